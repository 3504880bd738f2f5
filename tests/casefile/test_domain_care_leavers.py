"""Care leavers: status by age, personal adviser, in-touch contacts (SSDA903 OC3), Staying Put.

Kai is born 10 May 2007, so is 16 on 10 May 2023 and 18 on 10 May 2025. He is
looked after from 10 January 2022 until his 18th birthday, when he stays put
with his foster carers.
"""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from services.casefile.application import Casefile
from services.casefile.domain import commands as c
from services.casefile.domain import errors

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
