"""The Independent Reviewing Officer appointed for a child in care (Children Act 1989 s.25A)."""

from __future__ import annotations

from datetime import date

import pytest

from services.casefile.domain import commands as c
from services.casefile.domain import errors

from .conftest import CARE_STARTS, REGISTERED, Case


def test_an_iro_is_appointed_and_replaced(case: Case) -> None:
    case.app.execute(
        case.child_id, c.AppointIro.model_construct(effective_date=CARE_STARTS, iro_id="iro-7")
    )
    version = case.app.execute(
        case.child_id, c.AppointIro.model_construct(effective_date=CARE_STARTS, iro_id="iro-7")
    )
    assert version == case.version  # the same appointment again records nothing
    case.app.execute(
        case.child_id, c.AppointIro.model_construct(effective_date=date(2024, 6, 1), iro_id="iro-9")
    )

    child = case.app.get_case(case.child_id)
    assert [a.iro_id for a in child.iros] == ["iro-7", "iro-9"]
    assert child.iro_on(date(2024, 5, 31)).iro_id == "iro-7"  # type: ignore[union-attr]
    assert case.app.summarise_case(case.child_id, as_at=date(2024, 6, 2)).iro_id == "iro-9"


def test_the_iro_is_for_a_looked_after_child(case: Case) -> None:
    with pytest.raises(errors.NotLookedAfter) as caught:
        case.app.execute(
            case.child_id, c.AppointIro.model_construct(effective_date=REGISTERED, iro_id="iro-7")
        )
    assert caught.value.field == "effective_date"


def test_appointing_the_current_iro_again_is_refused(case: Case) -> None:
    case.app.execute(
        case.child_id, c.AppointIro.model_construct(effective_date=CARE_STARTS, iro_id="iro-7")
    )
    with pytest.raises(errors.IroAlreadyAppointed) as caught:
        case.app.execute(
            case.child_id,
            c.AppointIro.model_construct(effective_date=date(2024, 2, 1), iro_id="iro-7"),
        )
    assert caught.value.field == "iro_id"


def test_an_iro_id_is_not_blank(case: Case) -> None:
    with pytest.raises(errors.MissingValue):
        case.app.execute(
            case.child_id, c.AppointIro.model_construct(effective_date=CARE_STARTS, iro_id="  ")
        )


def test_what_a_refused_appointment_says(case: Case) -> None:
    child = case.app.get_case(case.child_id)
    with pytest.raises(errors.MissingValue) as blank:
        child.appoint_iro(effective_date=CARE_STARTS, iro_id="  ")
    assert (blank.value.field, blank.value.message) == ("iro_id", "iro id must not be blank")
    child.appoint_iro(effective_date=CARE_STARTS, iro_id="iro-17")
    with pytest.raises(errors.IroAlreadyAppointed) as again:
        child.appoint_iro(effective_date=date(2024, 3, 1), iro_id="iro-17")
    assert (again.value.field, again.value.message) == (
        "iro_id",
        "iro-17 is already the child's IRO from 2024-01-08",
    )
