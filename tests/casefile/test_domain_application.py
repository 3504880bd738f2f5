"""The casefile application: versions, If-Match, retries, late entries, the record as of."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest

from services.casefile.domain import Child, errors
from services.casefile.domain import commands as c
from services.casefile.domain.values import PermanencePlanType

from .conftest import CARE_STARTS, Case


def recorded_now() -> datetime:
    """A point in recorded time strictly between two commands."""
    time.sleep(0.002)
    now = datetime.now(UTC)
    time.sleep(0.002)
    return now


def test_each_command_returns_the_new_version(case: Case) -> None:
    assert case.version == 2  # registered, period started
    version = case.app.execute(
        case.child_id, c.AgreeCarePlan.model_construct(effective_date=date(2024, 1, 19))
    )
    assert version == 3 == case.version


def test_expected_version_matching_is_accepted(case: Case) -> None:
    version = case.app.execute(
        case.child_id,
        c.AgreeCarePlan.model_construct(effective_date=date(2024, 1, 19)),
        expected_version=2,
    )
    assert version == 3


def test_stale_expected_version_is_a_conflict(case: Case) -> None:
    case.app.execute(
        case.child_id, c.AgreeCarePlan.model_construct(effective_date=date(2024, 1, 19))
    )  # now version 3
    with pytest.raises(errors.VersionConflict) as caught:
        case.app.execute(
            case.child_id,
            c.RecordVisit.model_construct(
                visit_id=uuid4(), visit_date=date(2024, 1, 20), seen_alone=True
            ),
            expected_version=2,
        )
    assert (caught.value.expected, caught.value.actual) == (2, 3)
    assert case.version == 3  # nothing recorded


def test_stale_caller_whose_command_breaks_a_rule_gets_the_conflict(case: Case) -> None:
    case.app.execute(
        case.child_id, c.AgreeCarePlan.model_construct(effective_date=date(2024, 1, 19))
    )
    with pytest.raises(errors.VersionConflict):
        case.app.execute(
            case.child_id,
            c.ChangeLegalStatus.model_construct(effective_date=date(2024, 3, 1), legal_status="C1"),
            expected_version=2,
            path={"period_id": case.period_id},
        )


def test_retry_of_a_command_already_done_answers_with_current_version(case: Case) -> None:
    visit = {"visit_id": uuid4(), "visit_date": date(2024, 1, 20), "seen_alone": True}
    first = case.app.execute(
        case.child_id, c.RecordVisit.model_construct(**visit), expected_version=2
    )  # type: ignore[arg-type]
    # The response was lost; the client retries with the same If-Match.
    again = case.app.execute(
        case.child_id, c.RecordVisit.model_construct(**visit), expected_version=2
    )  # type: ignore[arg-type]
    assert first == again == 3
    assert len(list(case.app.events.get(case.child_id))) == 3


def test_save_losing_a_race_is_rerun_without_if_match(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer appends between our load and our save: the command runs again."""
    other = uuid4()
    calls: list[int] = []
    agree = Child.agree_care_plan

    def racing(child: Child, **kwargs: Any) -> None:
        if not calls:  # first attempt: someone else records a visit meanwhile
            case.app.execute(
                case.child_id,
                c.RecordVisit(visit_id=other, visit_date=date(2024, 1, 20), seen_alone=True),
            )
        calls.append(child.version)
        agree(child, **kwargs)

    monkeypatch.setattr(Child, "agree_care_plan", racing)
    plan = c.AgreeCarePlan(effective_date=date(2024, 1, 19))
    assert case.app.execute(case.child_id, plan) == 4
    assert calls == [2, 3]


def test_save_losing_a_race_with_if_match_is_a_conflict(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With If-Match, a write landing between our load and our save makes ours stale."""
    agree = Child.agree_care_plan

    def racing(child: Child, **kwargs: Any) -> None:
        monkeypatch.setattr(Child, "agree_care_plan", agree)
        case.app.execute(case.child_id, c.AgreeCarePlan(effective_date=date(2024, 2, 19)))
        agree(child, **kwargs)

    monkeypatch.setattr(Child, "agree_care_plan", racing)
    with pytest.raises(errors.VersionConflict):
        case.app.execute(
            case.child_id, c.AgreeCarePlan(effective_date=date(2024, 3, 19)), expected_version=2
        )
    assert case.app.get_case(case.child_id).version == 3


def test_late_entry_keeps_effective_date_and_recorded_time_apart(case: Case) -> None:
    """A visit on 20 January 2024 typed in much later: effective date stays 20 January."""
    case.app.execute(
        case.child_id,
        c.RecordVisit.model_construct(
            visit_id=uuid4(), visit_date=date(2024, 1, 20), seen_alone=True
        ),
    )
    visit_event = list(case.app.events.get(case.child_id))[-1]
    assert visit_event.effective_date == date(2024, 1, 20)  # type: ignore[attr-defined]
    assert visit_event.timestamp.date() > visit_event.effective_date  # type: ignore[attr-defined]
    # The actor is not in the event: the event store puts it in headers from the request.
    assert not any("actor" in name for name in vars(visit_event))


def test_case_as_of_returns_the_record_as_it_was_recorded(case: Case) -> None:
    app, child_id = case.app, case.child_id
    before_registration = datetime.now(UTC) - timedelta(days=1)
    recorded_with_c1 = recorded_now()
    # Later someone enters, backdated, the full care order made on 1 March 2024 ...
    app.execute(
        child_id,
        c.ChangeLegalStatus.model_construct(effective_date=date(2024, 3, 1), legal_status="C2"),
        path={"period_id": case.period_id},
    )
    recorded_with_c2 = recorded_now()
    # ... and then corrects Amira's ethnicity.
    app.execute(
        child_id,
        c.CorrectDetails.model_construct(effective_date=date(2024, 4, 2), ethnicity="BOTH"),
    )

    # What the record said at each time (recorded time), about 1 April 2024 (valid time):
    then = app.case_as_of(child_id, recorded_by=recorded_with_c1)
    assert then.version == 2
    assert then.legal_status_on(date(2024, 4, 1)) == "C1"
    assert then.details.ethnicity == "BAFR"
    later = app.case_as_of(child_id, recorded_by=recorded_with_c2)
    assert later.legal_status_on(date(2024, 4, 1)) == "C2"
    assert later.details.ethnicity == "BAFR"
    now = app.case_as_of(child_id)
    assert now.details.ethnicity == "BOTH" and now.version == 4
    # A naive time is read as UTC.
    naive = recorded_with_c1.replace(tzinfo=None)
    assert app.case_as_of(child_id, recorded_by=naive).version == 2
    with pytest.raises(errors.ChildNotFound):
        app.case_as_of(child_id, recorded_by=before_registration)


def test_summary_as_at_a_date(case: Case) -> None:
    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 1, 10))
    assert summary.looked_after and summary.current_period is not None
    assert summary.current_period.legal_status == "C1"
    assert summary.current_period.start_date == CARE_STARTS
    assert summary.age == 8
    as_dict = summary.as_dict()
    assert as_dict["current_period"]["category_of_need"] == "N1"
    before = case.app.summarise_case(case.child_id, as_at=date(2024, 1, 7))
    assert not before.looked_after and before.next_review_due is None


def test_events_round_trip_through_the_store(case: Case) -> None:
    """Every read rebuilds the child from stored (serialised) events: dates, UUIDs, enums."""
    app = case.app
    app.execute(
        case.child_id,
        c.AllocateSocialWorker.model_construct(
            effective_date=CARE_STARTS, social_worker_id="sw-1", team="CiC"
        ),
    )
    app.execute(
        case.child_id,
        c.AgreePermanencePlan.model_construct(
            effective_date=date(2024, 4, 1), plan_type="adoption"
        ),
    )
    rebuilt = app.repository.get(case.child_id)
    assert rebuilt.permanence_plans[0].plan_type is PermanencePlanType.ADOPTION
    assert rebuilt.periods[case.period_id].start_date == CARE_STARTS
    assert rebuilt.allocations[0].effective_date == CARE_STARTS
