"""Periods of care and legal status: before birth, overlaps, ceasing, valid-time queries.

Amira (born 1 March 2015) is looked after from 8 January 2024 under an interim
care order (C1); a full care order (C2) follows on 1 March 2024.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from casefile.children import amira
from casefile.refusals import refusal
from services.casefile.application import Casefile
from services.casefile.domain import commands as c
from services.casefile.domain import errors
from services.casefile.domain.values import LegalStatusSpell

from .conftest import BORN, CARE_STARTS, Case


def start(app: Casefile, child_id: UUID, start_date: date, **changes: str) -> UUID:
    period_id = uuid4()
    app.execute(
        child_id,
        c.StartPeriodOfCare.model_construct(
            period_id=period_id,
            start_date=start_date,
            legal_status=changes.get("legal_status", "V2"),
            category_of_need=changes.get("category_of_need", "N4"),
        ),
    )
    return period_id


def test_start_change_and_end_a_period(case: Case) -> None:
    app = case.app
    app.execute(
        case.child_id,
        c.ChangeLegalStatus.model_construct(effective_date=date(2024, 3, 1), legal_status="C2"),
        path={"period_id": case.period_id},
    )
    app.execute(
        case.child_id,
        c.EndPeriodOfCare.model_construct(end_date=date(2024, 9, 2), reason_ceased="E41"),
        path={"period_id": case.period_id},
    )

    child = app.get_case(case.child_id)
    period = child.periods[case.period_id]
    assert (period.start_date, period.end_date, period.reason_ceased) == (
        CARE_STARTS,
        date(2024, 9, 2),
        "E41",
    )
    assert [type(e).__name__ for e in app.events.get(case.child_id)] == [
        "ChildRegistered",
        "PeriodOfCareStarted",
        "LegalStatusChanged",
        "PeriodOfCareEnded",
    ]
    # Valid time: what was true on each day.
    assert child.legal_status_on(date(2024, 1, 7)) is None  # not yet looked after
    assert child.legal_status_on(CARE_STARTS) == "C1"
    assert child.legal_status_on(date(2024, 2, 29)) == "C1"
    assert child.legal_status_on(date(2024, 3, 1)) == "C2"
    assert child.is_looked_after_on(date(2024, 9, 1))
    # Ceased on 2 September: not looked after at the end of that day (DfE's counting).
    assert not child.is_looked_after_on(date(2024, 9, 2))
    assert child.current_period is None


def test_every_fact_event_carries_effective_date(case: Case) -> None:
    for domain_event in case.app.events.get(case.child_id):
        assert isinstance(domain_event.effective_date, date)  # type: ignore[attr-defined]


def test_period_cannot_start_before_birth(app: Casefile, child_id: UUID) -> None:
    with pytest.raises(errors.DateBeforeBirth) as caught:
        start(app, child_id, BORN - timedelta(days=1))
    assert caught.value.field == "start_date"
    start(app, child_id, BORN)  # from birth is fine (a baby looked after from hospital)


def test_period_cannot_start_in_the_future(app: Casefile, child_id: UUID) -> None:
    with pytest.raises(errors.DateInFuture):
        start(app, child_id, date.today() + timedelta(days=2))


def test_second_open_period_overlaps(case: Case) -> None:
    with pytest.raises(errors.PeriodsOverlap) as caught:
        start(case.app, case.child_id, date(2024, 6, 1))
    assert caught.value.field == "start_date"


def test_period_inside_an_ended_period_overlaps(case: Case) -> None:
    case.app.execute(
        case.child_id,
        c.EndPeriodOfCare.model_construct(end_date=date(2024, 6, 30), reason_ceased="E4A"),
        path={"period_id": case.period_id},
    )
    with pytest.raises(errors.PeriodsOverlap):
        start(case.app, case.child_id, date(2024, 6, 29))
    # A period entered late, starting before an existing one, would run over it.
    with pytest.raises(errors.PeriodsOverlap):
        start(case.app, case.child_id, date(2023, 6, 1))


def test_new_period_may_start_on_the_day_the_last_ended(case: Case) -> None:
    case.app.execute(
        case.child_id,
        c.EndPeriodOfCare.model_construct(end_date=date(2024, 6, 30), reason_ceased="E4A"),
        path={"period_id": case.period_id},
    )
    second = start(case.app, case.child_id, date(2024, 6, 30), legal_status="V2")
    child = case.app.get_case(case.child_id)
    assert child.current_period is not None and child.current_period.period_id == second
    assert len(child.periods) == 2
    assert child.period_on(date(2024, 6, 29)).period_id == case.period_id  # type: ignore[union-attr]
    assert child.period_on(date(2024, 6, 30)).period_id == second  # type: ignore[union-attr]


def test_only_an_open_period_can_be_ended(case: Case) -> None:
    app = case.app
    app.execute(
        case.child_id,
        c.EndPeriodOfCare.model_construct(end_date=date(2024, 6, 30), reason_ceased="E4A"),
        path={"period_id": case.period_id},
    )
    with pytest.raises(errors.PeriodOfCareAlreadyEnded) as caught:
        app.execute(
            case.child_id,
            c.EndPeriodOfCare.model_construct(end_date=date(2024, 7, 1), reason_ceased="E8"),
            path={"period_id": case.period_id},
        )
    assert caught.value.field == "period_id"


def test_ending_again_with_same_facts_is_a_retry(case: Case) -> None:
    app = case.app
    first = app.execute(
        case.child_id,
        c.EndPeriodOfCare.model_construct(end_date=date(2024, 6, 30), reason_ceased="E4A"),
        path={"period_id": case.period_id},
    )
    again = app.execute(
        case.child_id,
        c.EndPeriodOfCare.model_construct(end_date=date(2024, 6, 30), reason_ceased="E4A"),
        path={"period_id": case.period_id},
    )
    assert first == again == 3


def test_period_cannot_end_before_it_started(case: Case) -> None:
    with pytest.raises(errors.DatesOutOfOrder) as caught:
        case.app.execute(
            case.child_id,
            c.EndPeriodOfCare.model_construct(end_date=date(2024, 1, 7), reason_ceased="E8"),
            path={"period_id": case.period_id},
        )
    assert caught.value.field == "end_date"


def test_unknown_period(case: Case) -> None:
    with pytest.raises(errors.PeriodOfCareNotFound) as caught:
        case.app.execute(
            case.child_id,
            c.EndPeriodOfCare.model_construct(end_date=date(2024, 6, 30), reason_ceased="E8"),
            path={"period_id": uuid4()},
        )
    assert caught.value.field == "period_id"


@pytest.mark.parametrize(
    ("field", "value"),
    [("legal_status", "C3"), ("legal_status", "c2"), ("category_of_need", "N9")],
)
def test_invalid_codes_on_start(app: Casefile, child_id: UUID, field: str, value: str) -> None:
    with pytest.raises(errors.UnknownCode) as caught:
        start(app, child_id, CARE_STARTS, **{field: value})
    assert caught.value.field == field


@pytest.mark.parametrize("reason", ["E4", "X1"])
def test_invalid_reason_ceased(case: Case, reason: str) -> None:
    # E4 was split into E4A/E4B; X1 ends an episode, not a period of care.
    with pytest.raises(errors.UnknownCode) as caught:
        case.app.execute(
            case.child_id,
            c.EndPeriodOfCare.model_construct(end_date=date(2024, 6, 30), reason_ceased=reason),
            path={"period_id": case.period_id},
        )
    assert caught.value.field == "reason_ceased"


def test_legal_status_change_must_change_it(case: Case) -> None:
    with pytest.raises(errors.LegalStatusUnchanged) as caught:
        case.app.execute(
            case.child_id,
            c.ChangeLegalStatus.model_construct(effective_date=date(2024, 3, 1), legal_status="C1"),
            path={"period_id": case.period_id},
        )
    assert caught.value.field == "legal_status"


def test_legal_status_change_must_fall_within_the_period(case: Case) -> None:
    app = case.app
    with pytest.raises(errors.DatesOutOfOrder):
        app.execute(
            case.child_id,
            c.ChangeLegalStatus.model_construct(effective_date=CARE_STARTS, legal_status="C2"),
            path={"period_id": case.period_id},
        )
    app.execute(
        case.child_id,
        c.EndPeriodOfCare.model_construct(end_date=date(2024, 6, 30), reason_ceased="E4A"),
        path={"period_id": case.period_id},
    )
    with pytest.raises(errors.NotLookedAfter):
        app.execute(
            case.child_id,
            c.ChangeLegalStatus.model_construct(effective_date=date(2024, 7, 1), legal_status="C2"),
            path={"period_id": case.period_id},
        )


def test_late_legal_status_change_slots_into_history(case: Case) -> None:
    app = case.app
    app.execute(
        case.child_id,
        c.ChangeLegalStatus.model_construct(effective_date=date(2024, 5, 1), legal_status="E1"),
        path={"period_id": case.period_id},
    )
    # Entered afterwards: the full care order that came before the placement order.
    app.execute(
        case.child_id,
        c.ChangeLegalStatus.model_construct(effective_date=date(2024, 3, 1), legal_status="C2"),
        path={"period_id": case.period_id},
    )
    child = app.get_case(case.child_id)
    assert [s.legal_status for s in child.periods[case.period_id].legal_statuses] == [
        "C1",
        "C2",
        "E1",
    ]
    assert child.legal_status_on(date(2024, 4, 1)) == "C2"


def test_period_cannot_end_before_things_recorded_in_it(case: Case) -> None:
    case.app.execute(
        case.child_id,
        c.RecordVisit.model_construct(
            visit_id=uuid4(), visit_date=date(2024, 7, 10), seen_alone=True
        ),
    )
    with pytest.raises(errors.RecordsAfterEndDate) as caught:
        case.app.execute(
            case.child_id,
            c.EndPeriodOfCare.model_construct(end_date=date(2024, 6, 30), reason_ceased="E8"),
            path={"period_id": case.period_id},
        )
    assert caught.value.field == "end_date"


def test_repeated_start_with_same_id_is_a_retry(app: Casefile, child_id: UUID) -> None:
    period_id = uuid4()
    for _ in range(2):
        version = app.execute(
            child_id,
            c.StartPeriodOfCare.model_construct(
                period_id=period_id,
                start_date=CARE_STARTS,
                legal_status="V2",
                category_of_need="N4",
            ),
        )
    assert version == 2
    with pytest.raises(errors.IdAlreadyUsed) as caught:
        app.execute(
            child_id,
            c.StartPeriodOfCare.model_construct(
                period_id=period_id,
                start_date=CARE_STARTS,
                legal_status="C1",
                category_of_need="N4",
            ),
        )
    assert caught.value.field == "period_id"


# --------------------------------------------------------------------------- on the aggregate
#
# The rules themselves, on `Child` with no application around it: retries that
# record nothing, the same id with other facts refused, and what each refusal
# says (the API's problem detail) and names.

PERIOD = UUID("00000000-0000-4000-8000-00000000000a")


def test_starting_again_with_the_same_facts_records_nothing() -> None:
    child = amira(PERIOD)
    version = child.version
    child.start_period_of_care(
        period_id=PERIOD, start_date=CARE_STARTS, legal_status="C1", category_of_need="N1"
    )
    assert child.version == version
    period = child.periods[PERIOD]
    assert (period.start_date, period.legal_status, period.category_of_need) == (
        CARE_STARTS,
        "C1",
        "N1",
    )


@pytest.mark.parametrize(
    "other",
    [
        {"start_date": date(2024, 1, 9)},
        {"legal_status": "C2"},
        {"category_of_need": "N2"},
    ],
    ids=["start date", "legal status", "category of need"],
)
def test_the_same_period_id_with_one_fact_different_is_refused(other: dict[str, object]) -> None:
    child = amira(PERIOD)
    facts: dict[str, object] = {
        "start_date": CARE_STARTS,
        "legal_status": "C1",
        "category_of_need": "N1",
        **other,
    }
    assert refusal(
        errors.IdAlreadyUsed,
        lambda: child.start_period_of_care(period_id=PERIOD, **facts),  # type: ignore[arg-type]
    ) == ("period_id", f"period of care {PERIOD} is already recorded, with other details")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("legal_status", "ZZ", "'ZZ' is not an SSDA903 LS code"),
        ("category_of_need", "N9", "'N9' is not an SSDA903 CIN code"),
    ],
)
def test_what_an_unknown_code_on_start_says(field: str, value: str, message: str) -> None:
    child = amira(PERIOD)
    facts = {"legal_status": "C1", "category_of_need": "N1", field: value}
    assert refusal(
        errors.UnknownCode,
        lambda: child.start_period_of_care(period_id=uuid4(), start_date=date(2023, 1, 1), **facts),
    ) == (field, message)


def test_what_an_overlapping_period_says() -> None:
    child = amira(PERIOD)
    assert refusal(
        errors.PeriodsOverlap,
        lambda: child.start_period_of_care(
            period_id=uuid4(), start_date=date(2024, 2, 1), legal_status="C1", category_of_need="N1"
        ),
    ) == (
        "start_date",
        "a period of care from 2024-02-01 would overlap the period from 2024-01-08 (still open)",
    )
    child.end_period_of_care(period_id=PERIOD, end_date=date(2024, 3, 1), reason_ceased="E13")
    assert refusal(
        errors.PeriodsOverlap,
        lambda: child.start_period_of_care(
            period_id=uuid4(), start_date=date(2024, 2, 1), legal_status="C1", category_of_need="N1"
        ),
    ) == (
        "start_date",
        "a period of care from 2024-02-01 would overlap the period from 2024-01-08 to 2024-03-01",
    )


def test_changing_to_the_same_status_on_the_same_day_again_records_nothing() -> None:
    child = amira(PERIOD)
    child.change_legal_status(period_id=PERIOD, effective_date=date(2024, 3, 1), legal_status="C2")
    version = child.version
    child.change_legal_status(period_id=PERIOD, effective_date=date(2024, 3, 1), legal_status="C2")
    assert child.version == version
    assert child.periods[PERIOD].legal_statuses == (
        LegalStatusSpell(CARE_STARTS, "C1"),
        LegalStatusSpell(date(2024, 3, 1), "C2"),
    )


def test_what_a_refused_change_of_legal_status_says() -> None:
    child = amira(PERIOD)
    change = child.change_legal_status
    assert refusal(
        errors.UnknownCode,
        lambda: change(period_id=PERIOD, effective_date=date(2024, 3, 1), legal_status="ZZ"),
    ) == ("legal_status", "'ZZ' is not an SSDA903 LS code")
    assert refusal(
        errors.DatesOutOfOrder,
        lambda: change(period_id=PERIOD, effective_date=CARE_STARTS, legal_status="C2"),
    ) == (
        "effective_date",
        "a change of legal status comes after the period of care starts (2024-01-08)",
    )
    change(period_id=PERIOD, effective_date=date(2024, 3, 1), legal_status="C2")
    assert refusal(
        errors.LegalStatusChangeClash,
        lambda: change(period_id=PERIOD, effective_date=date(2024, 3, 1), legal_status="E1"),
    ) == ("effective_date", "the legal status already changed on 2024-03-01")
    assert refusal(
        errors.LegalStatusUnchanged,
        lambda: change(period_id=PERIOD, effective_date=date(2024, 3, 2), legal_status="C2"),
    ) == ("legal_status", "the legal status on 2024-03-02 is already C2")
    child.end_period_of_care(period_id=PERIOD, end_date=date(2024, 6, 1), reason_ceased="E13")
    assert refusal(
        errors.NotLookedAfter,
        lambda: change(period_id=PERIOD, effective_date=date(2024, 6, 1), legal_status="E1"),
    ) == ("effective_date", "the period of care ended on 2024-06-01")
    change(period_id=PERIOD, effective_date=date(2024, 5, 31), legal_status="E1")  # its last night
    assert child.periods[PERIOD].legal_status == "E1"


def test_a_change_of_legal_status_is_checked_against_the_day_before() -> None:
    child = amira(PERIOD)
    change = child.change_legal_status
    change(period_id=PERIOD, effective_date=CARE_STARTS + timedelta(days=1), legal_status="C2")
    # On 10 January the status the day before is C2 (not C1 of 8 January): C1 is a change.
    change(period_id=PERIOD, effective_date=date(2024, 1, 10), legal_status="C1")
    # Entered late, before a change already recorded for the next day: still a change.
    change(period_id=PERIOD, effective_date=date(2024, 3, 2), legal_status="E1")
    change(period_id=PERIOD, effective_date=date(2024, 3, 1), legal_status="E1")
    assert [s.legal_status for s in child.periods[PERIOD].legal_statuses] == [
        "C1",
        "C2",
        "C1",
        "E1",
        "E1",
    ]


def test_ending_again_with_the_same_facts_records_nothing_and_other_facts_are_refused() -> None:
    child = amira(PERIOD)
    child.end_period_of_care(period_id=PERIOD, end_date=CARE_STARTS, reason_ceased="E13")
    version = child.version
    child.end_period_of_care(period_id=PERIOD, end_date=CARE_STARTS, reason_ceased="E13")
    assert child.version == version
    for end_date, reason in [(CARE_STARTS, "E11"), (date(2024, 1, 9), "E13")]:
        assert refusal(
            errors.PeriodOfCareAlreadyEnded,
            child.end_period_of_care,
            period_id=PERIOD,
            end_date=end_date,
            reason_ceased=reason,
        ) == ("period_id", "the period of care already ended on 2024-01-08")
    period = child.periods[PERIOD]
    assert (period.end_date, period.reason_ceased) == (CARE_STARTS, "E13")


def test_what_a_refused_end_of_a_period_says() -> None:
    child = amira(PERIOD)
    end = child.end_period_of_care
    assert refusal(
        errors.UnknownCode,
        lambda: end(period_id=PERIOD, end_date=date(2024, 3, 1), reason_ceased="E99"),
    ) == ("reason_ceased", "'E99' is not an SSDA903 REC code")
    assert refusal(
        errors.UnknownCode,
        lambda: end(period_id=PERIOD, end_date=date(2024, 3, 1), reason_ceased="X1"),
    ) == ("reason_ceased", "X1 ends an episode, not a period of care")
    assert refusal(
        errors.DatesOutOfOrder,
        lambda: end(period_id=PERIOD, end_date=date(2024, 1, 7), reason_ceased="E13"),
    ) == ("end_date", "a period of care cannot end before it started (2024-01-08)")
    unknown = uuid4()
    assert refusal(
        errors.PeriodOfCareNotFound,
        lambda: end(period_id=unknown, end_date=date(2024, 3, 1), reason_ceased="E13"),
    ) == ("period_id", f"no period of care {unknown} in this record")


def test_a_period_cannot_end_before_any_kind_of_fact_recorded_in_it() -> None:
    child = amira(PERIOD)
    child.schedule_review(  # scheduled, not held: not a fact in the period yet
        review_id=uuid4(), scheduled_date=date(2024, 5, 1), effective_date=date(2024, 1, 9)
    )
    child.record_visit(visit_id=uuid4(), visit_date=date(2024, 2, 1), seen_alone=True)
    child.change_legal_status(period_id=PERIOD, effective_date=date(2024, 3, 1), legal_status="C2")
    assert refusal(
        errors.RecordsAfterEndDate,
        lambda: child.end_period_of_care(
            period_id=PERIOD, end_date=date(2024, 1, 20), reason_ceased="E13"
        ),
    ) == ("end_date", "the record has facts in this period of care up to 2024-03-01")
    child.end_period_of_care(period_id=PERIOD, end_date=date(2024, 3, 1), reason_ceased="E13")
    assert child.periods[PERIOD].end_date == date(2024, 3, 1)


def test_what_a_fact_outside_any_period_says() -> None:
    child = amira(PERIOD)
    assert refusal(
        errors.NotLookedAfter, lambda: child.agree_care_plan(effective_date=date(2024, 1, 7))
    ) == ("effective_date", "the child was not looked after on 2024-01-07")
