"""Care leavers: status by age, personal adviser, in-touch contacts (SSDA903 OC3), Staying Put.

Kai is born 10 May 2007, so is 16 on 10 May 2023 and 18 on 10 May 2025. He is
looked after from 10 January 2022 until his 18th birthday, when he stays put
with his foster carers.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from casefile.refusals import refusal
from services.casefile.application import Casefile
from services.casefile.domain import Child, errors
from services.casefile.domain import commands as c
from services.casefile.domain.values import (
    InTouchContact,
    PersonalAdviserAppointment,
    StayingPutRecord,
)

from .conftest import Case


@pytest.fixture
def kai(app: Casefile) -> Case:
    child_id = app.register_child(
        c.RegisterChild.model_construct(
            local_child_id="KAI04",
            date_of_birth=date(2007, 5, 10),
            sex="M",
            ethnicity="APKN",
            registration_date=date(2022, 1, 10),
        )
    )
    period_id = uuid4()
    app.execute(
        child_id,
        c.StartPeriodOfCare.model_construct(
            period_id=period_id,
            start_date=date(2022, 1, 10),
            legal_status="V2",
            category_of_need="N4",
        ),
    )
    return Case(app, child_id, period_id)


def leaves_care_at_18(kai: Case) -> None:
    kai.app.execute(
        kai.child_id,
        c.EndPeriodOfCare.model_construct(end_date=date(2025, 5, 10), reason_ceased="E17"),
        path={"period_id": kai.period_id},
    )


def test_eligible_from_16_while_looked_after(kai: Case) -> None:
    with pytest.raises(errors.BelowMinimumAge) as caught:
        kai.app.execute(
            kai.child_id,
            c.RecordEligibility.model_construct(effective_date=date(2023, 5, 9), status="eligible"),
        )
    assert caught.value.field == "status"
    kai.app.execute(
        kai.child_id,
        c.RecordEligibility.model_construct(effective_date=date(2023, 5, 10), status="eligible"),
    )
    assert kai.app.get_case(kai.child_id).care_leaver_status_on(date(2024, 1, 1)) == "eligible"


def test_eligible_means_still_looked_after(kai: Case) -> None:
    leaves_care_at_18(kai)
    with pytest.raises(errors.NotLookedAfter):
        kai.app.execute(
            kai.child_id,
            c.RecordEligibility.model_construct(effective_date=date(2025, 6, 1), status="eligible"),
        )


def test_former_relevant_from_18(kai: Case) -> None:
    leaves_care_at_18(kai)
    with pytest.raises(errors.BelowMinimumAge):
        kai.app.execute(
            kai.child_id,
            c.RecordEligibility.model_construct(
                effective_date=date(2025, 5, 9), status="former_relevant"
            ),
        )
    kai.app.execute(
        kai.child_id,
        c.RecordEligibility.model_construct(
            effective_date=date(2025, 5, 10), status="former_relevant"
        ),
    )


def test_unknown_status(kai: Case) -> None:
    with pytest.raises(errors.UnknownCode) as caught:
        kai.app.execute(
            kai.child_id,
            c.RecordEligibility.model_construct(
                effective_date=date(2025, 5, 10), status="graduated"
            ),
        )
    assert caught.value.field == "status"


def test_personal_adviser(kai: Case) -> None:
    kai.app.execute(
        kai.child_id,
        c.AppointPersonalAdviser.model_construct(
            effective_date=date(2023, 5, 1), personal_adviser_id="pa-9"
        ),
    )
    with pytest.raises(errors.PersonalAdviserAlreadyAppointed):
        kai.app.execute(
            kai.child_id,
            c.AppointPersonalAdviser.model_construct(
                effective_date=date(2024, 1, 1), personal_adviser_id="pa-9"
            ),
        )
    kai.app.execute(
        kai.child_id,
        c.AppointPersonalAdviser.model_construct(
            effective_date=date(2024, 1, 1), personal_adviser_id="pa-12"
        ),
    )
    child = kai.app.get_case(kai.child_id)
    assert child.personal_adviser_on(date(2023, 12, 31)).personal_adviser_id == "pa-9"  # type: ignore[union-attr]
    assert child.personal_adviser_on(date(2024, 1, 1)).personal_adviser_id == "pa-12"  # type: ignore[union-attr]


def test_in_touch_contact_with_oc3_codes(kai: Case) -> None:
    leaves_care_at_18(kai)
    contact_id = uuid4()
    with pytest.raises(errors.NotACareLeaver) as caught:
        kai.app.execute(
            kai.child_id,
            c.RecordInTouchContact.model_construct(
                contact_id=contact_id, contact_date=date(2025, 7, 1), in_touch="YES"
            ),
        )
    assert caught.value.field == "contact_date"
    kai.app.execute(
        kai.child_id,
        c.RecordEligibility.model_construct(
            effective_date=date(2025, 5, 10), status="former_relevant"
        ),
    )
    kai.app.execute(
        kai.child_id,
        c.RecordInTouchContact.model_construct(
            contact_id=contact_id,
            contact_date=date(2025, 7, 1),
            in_touch="YES",
            activity="F2",
            accommodation="Z1",
        ),
    )
    contact = kai.app.get_case(kai.child_id).in_touch_contacts[contact_id]
    assert contact.accommodation_suitable is True  # Z1: with former foster carers, suitable
    summary = kai.app.summarise_case(kai.child_id, as_at=date(2025, 7, 2))
    assert summary.last_in_touch_contact == date(2025, 7, 1)
    assert summary.in_touch_contact_due == date(2025, 8, 26)  # 8 weeks on


@pytest.mark.parametrize(
    ("field", "value"),
    [("in_touch", "MAYBE"), ("activity", "F3"), ("accommodation", "B3")],
)
def test_in_touch_codes_are_checked(kai: Case, field: str, value: str) -> None:
    kai.app.execute(
        kai.child_id,
        c.RecordEligibility.model_construct(effective_date=date(2023, 5, 10), status="eligible"),
    )
    contact = {"in_touch": "YES", "activity": "F2", "accommodation": "C1", field: value}
    with pytest.raises(errors.UnknownCode) as caught:
        kai.app.execute(
            kai.child_id,
            c.RecordInTouchContact.model_construct(
                contact_id=uuid4(), contact_date=date(2024, 7, 1), **contact
            ),
        )
    assert caught.value.field == field


def test_staying_put_from_18(kai: Case) -> None:
    with pytest.raises(errors.BelowMinimumAge):
        kai.app.execute(
            kai.child_id,
            c.RecordStayingPut.model_construct(effective_date=date(2025, 5, 9), staying_put=True),
        )
    leaves_care_at_18(kai)
    kai.app.execute(
        kai.child_id,
        c.RecordStayingPut.model_construct(effective_date=date(2025, 5, 10), staying_put=True),
    )
    assert kai.app.summarise_case(kai.child_id, as_at=date(2025, 6, 1)).staying_put is True
    kai.app.execute(
        kai.child_id,
        c.RecordStayingPut.model_construct(effective_date=date(2026, 1, 5), staying_put=False),
    )
    child = kai.app.get_case(kai.child_id)
    assert child.staying_put_on(date(2025, 12, 31)) and not child.staying_put_on(date(2026, 1, 5))


# --------------------------------------------------------------------------- on the aggregate
#
# The rules themselves, on `Child` with no application around it: retries that
# record nothing, the same id with other facts refused, and what each refusal
# says (the API's problem detail) and names.

PERIOD = UUID("00000000-0000-4000-8000-0000000000c1")
CONTACT = UUID("00000000-0000-4000-8000-0000000000c2")


def kai_record() -> Child:
    """Kai (born 10 May 2007), looked after from 10 January 2022 until his 18th birthday."""
    child = Child.register(
        local_child_id="KAI04",
        date_of_birth=date(2007, 5, 10),
        sex="M",
        ethnicity="APKN",
        registration_date=date(2022, 1, 10),
    )
    child.start_period_of_care(
        period_id=PERIOD, start_date=date(2022, 1, 10), legal_status="V2", category_of_need="N4"
    )
    child.end_period_of_care(period_id=PERIOD, end_date=date(2025, 5, 10), reason_ceased="E17")
    return child


def test_a_status_again_records_nothing() -> None:
    child = kai_record()
    child.record_care_leaver_eligibility(effective_date=date(2023, 5, 10), status="eligible")
    version = child.version
    child.record_care_leaver_eligibility(effective_date=date(2023, 5, 10), status="eligible")
    assert child.version == version
    child.record_care_leaver_eligibility(effective_date=date(2023, 5, 10), status="qualifying")
    assert child.care_leaver_status_on(date(2023, 5, 10)) == "qualifying"


@pytest.mark.parametrize(
    ("status", "day", "message"),
    [
        ("eligible", date(2023, 5, 9), "a young person is eligible from age 16"),
        ("relevant", date(2023, 5, 9), "a young person is relevant from age 16"),
        ("qualifying", date(2023, 5, 9), "a young person is qualifying from age 16"),
        ("former_relevant", date(2025, 5, 9), "a young person is former relevant from age 18"),
    ],
)
def test_what_a_status_below_its_age_says(status: str, day: date, message: str) -> None:
    child = kai_record()
    assert refusal(
        errors.BelowMinimumAge,
        lambda: child.record_care_leaver_eligibility(effective_date=day, status=status),
    ) == ("status", message)
    birthday = day + timedelta(days=1)
    if status != "eligible":  # from the birthday, each is allowed (eligible: while in care)
        child.record_care_leaver_eligibility(effective_date=birthday, status=status)
        assert child.care_leaver_status_on(birthday) == status


def test_what_eligible_after_care_says() -> None:
    child = kai_record()
    assert refusal(
        errors.NotLookedAfter,
        lambda: child.record_care_leaver_eligibility(
            effective_date=date(2025, 5, 10), status="eligible"
        ),
    ) == ("status", "an eligible child is one still looked after")
    assert refusal(
        errors.UnknownCode,
        lambda: child.record_care_leaver_eligibility(
            effective_date=date(2025, 5, 10), status="graduated"
        ),
    ) == ("status", "'graduated' is not a valid status")


def test_a_personal_adviser_again_records_nothing() -> None:
    child = kai_record()
    appoint = child.appoint_personal_adviser
    appoint(effective_date=date(2023, 5, 1), personal_adviser_id=" pa-9 ")
    version = child.version
    appoint(effective_date=date(2023, 5, 1), personal_adviser_id="pa-9")
    assert child.version == version
    assert child.personal_advisers == [PersonalAdviserAppointment(date(2023, 5, 1), "pa-9")]
    assert refusal(
        errors.PersonalAdviserAlreadyAppointed,
        lambda: appoint(effective_date=date(2024, 1, 1), personal_adviser_id="pa-9"),
    ) == ("personal_adviser_id", "pa-9 is already the personal adviser from 2023-05-01")
    assert refusal(
        errors.MissingValue,
        lambda: appoint(effective_date=date(2024, 1, 1), personal_adviser_id=" "),
    ) == ("personal_adviser_id", "personal adviser id must not be blank")
    appoint(effective_date=date(2023, 5, 1), personal_adviser_id="pa-12")  # same day, another
    assert child.personal_adviser_on(date(2023, 5, 1)) == PersonalAdviserAppointment(
        date(2023, 5, 1), "pa-12"
    )


CONTACTED = {
    "contact_date": date(2025, 7, 1),
    "in_touch": "YES",
    "activity": "F2",
    "accommodation": "Z1",
}


def former_relevant_kai() -> Child:
    child = kai_record()
    child.record_care_leaver_eligibility(effective_date=date(2025, 5, 10), status="former_relevant")
    return child


def test_a_contact_again_records_nothing_and_other_facts_are_refused() -> None:
    child = former_relevant_kai()
    child.record_in_touch_contact(contact_id=CONTACT, **CONTACTED)  # type: ignore[arg-type]
    assert child.in_touch_contacts[CONTACT] == InTouchContact(
        CONTACT, date(2025, 7, 1), "YES", "F2", "Z1"
    )
    version = child.version
    child.record_in_touch_contact(contact_id=CONTACT, **CONTACTED)  # type: ignore[arg-type]
    assert child.version == version
    for other in [
        {"contact_date": date(2025, 7, 2)},
        {"in_touch": "NO"},
        {"activity": "P2"},
        {"activity": None},
        {"accommodation": "Z2"},
        {"accommodation": None},
    ]:
        facts = {**CONTACTED, **other}
        assert refusal(
            errors.IdAlreadyUsed,
            child.record_in_touch_contact,
            contact_id=CONTACT,
            **facts,
        ) == ("contact_id", f"contact {CONTACT} is already recorded, with other details")


def test_a_contact_need_not_say_activity_or_accommodation() -> None:
    child = former_relevant_kai()
    child.record_in_touch_contact(
        contact_id=CONTACT, contact_date=date(2025, 7, 1), in_touch="REFU"
    )
    assert child.in_touch_contacts[CONTACT] == InTouchContact(
        CONTACT, date(2025, 7, 1), "REFU", None, None
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("in_touch", "MAYBE", "'MAYBE' is not an SSDA903 IN_TOUCH code"),
        ("activity", "F3", "'F3' is not an SSDA903 ACTIV code"),
        ("accommodation", "B3", "'B3' is not an SSDA903 ACCOM code"),
    ],
)
def test_what_an_unknown_contact_code_says(field: str, value: str, message: str) -> None:
    child = former_relevant_kai()
    facts = {**CONTACTED, field: value}
    assert refusal(
        errors.UnknownCode,
        lambda: child.record_in_touch_contact(contact_id=CONTACT, **facts),  # type: ignore[arg-type]
    ) == (field, message)


def test_what_a_contact_before_any_status_says() -> None:
    child = kai_record()
    assert refusal(
        errors.NotACareLeaver,
        lambda: child.record_in_touch_contact(contact_id=CONTACT, **CONTACTED),  # type: ignore[arg-type]
    ) == ("contact_date", "no care-leaver status is recorded on or before 2025-07-01")


def test_staying_put_again_records_nothing_and_starts_at_18() -> None:
    child = kai_record()
    child.record_staying_put(effective_date=date(2025, 5, 10), staying_put=True)
    version = child.version
    child.record_staying_put(effective_date=date(2025, 5, 10), staying_put=True)
    assert child.version == version
    child.record_staying_put(effective_date=date(2025, 5, 10), staying_put=False)  # a change
    assert child.staying_put_records == [
        StayingPutRecord(date(2025, 5, 10), True),
        StayingPutRecord(date(2025, 5, 10), False),
    ]
    assert refusal(
        errors.BelowMinimumAge,
        lambda: child.record_staying_put(effective_date=date(2025, 5, 9), staying_put=True),
    ) == ("effective_date", "Staying Put starts at 18 or over")
