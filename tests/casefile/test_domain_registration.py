"""Registering a child and correcting their details: identifiers, codes, corrections as events."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from casefile.children import amira
from casefile.refusals import refusal
from services.casefile.application import Casefile
from services.casefile.domain import UNCHANGED, Child, errors
from services.casefile.domain import commands as c
from services.casefile.domain.values import ChildDetails, DetailsCorrection

from .conftest import BORN, CARE_STARTS, REGISTERED, Case

# A valid UPN, worked out by the DfE check-letter rule: characters 2-13 are
# 2 0 1 2 3 4 5 6 7 8 9 0, weighted 2..13:
#   2*2 + 3*0 + 4*1 + 5*2 + 6*3 + 7*4 + 8*5 + 9*6 + 10*7 + 11*8 + 12*9 + 13*0 = 424
#   424 mod 23 = 10 -> the 11th letter of ABCDEFGHJKLMNPQRTUVWXYZ = "L".
UPN = "L201234567890"
# A valid NHS number: 9 4 3 4 7 6 5 9 1 weighted 10..2:
#   90 + 36 + 24 + 28 + 42 + 30 + 20 + 27 + 2 = 299; 299 mod 11 = 2; 11 - 2 = 9.
NHS_NUMBER = "9434765919"

#: Ben (born 14 July 2012), registered 1 February 2024: what `register` and `ben` change.
BEN: dict[str, object] = {
    "local_child_id": "BEN02",
    "date_of_birth": date(2012, 7, 14),
    "sex": "M",
    "ethnicity": "WBRI",
    "registration_date": date(2024, 2, 1),
}


def register(app: Casefile, **changes: object) -> UUID:
    details = {**BEN, **changes}
    return app.register_child(c.RegisterChild.model_construct(**details))  # type: ignore[arg-type]


def test_registration_records_identifiers_normalised(app: Casefile) -> None:
    child_id = register(app, upn=" l201234567890 ", nhs_number="943 476 5919", uasc=True)

    child = app.get_case(child_id)
    assert child_id == Child.create_id("BEN02")
    assert child.version == 1
    assert child.details.upn == UPN
    assert child.details.nhs_number == NHS_NUMBER
    assert child.details.uasc is True
    assert child.registration_date == date(2024, 2, 1)


def test_identifiers_are_optional(app: Casefile) -> None:
    child = app.get_case(register(app))
    assert child.details.upn is None
    assert child.details.nhs_number is None


def test_registration_event_has_effective_date_and_date_of_birth(app: Casefile) -> None:
    child_id = register(app)
    (registered,) = list(app.events.get(child_id))
    assert type(registered).__name__ == "ChildRegistered"
    assert registered.effective_date == date(2024, 2, 1)  # type: ignore[attr-defined]
    assert registered.date_of_birth == date(2012, 7, 14)  # type: ignore[attr-defined]
    # Entered late: the fact (registration) took effect before it was recorded.
    assert registered.timestamp.date() > registered.effective_date  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("upn", "why"),
    [
        ("A201234567890", "wrong check letter (L is right)"),
        ("L20123456789", "12 characters"),
        ("I201234567890", "I is never a check letter"),
    ],
)
def test_invalid_upn_is_refused(app: Casefile, upn: str, why: str) -> None:
    with pytest.raises(errors.InvalidUpn) as caught:
        register(app, upn=upn)
    assert caught.value.field == "upn", why


def test_nhs_number_failing_modulus_11_is_refused(app: Casefile) -> None:
    with pytest.raises(errors.InvalidNhsNumber) as caught:
        register(app, nhs_number="9434765918")  # check digit should be 9
    assert caught.value.field == "nhs_number"


@pytest.mark.parametrize(("field", "value"), [("sex", "X"), ("sex", "m"), ("ethnicity", "BRIT")])
def test_codes_outside_ssda903_lists_are_refused(app: Casefile, field: str, value: str) -> None:
    with pytest.raises(errors.UnknownCode) as caught:
        register(app, **{field: value})
    assert caught.value.field == field


def test_refused_registration_records_nothing(app: Casefile) -> None:
    with pytest.raises(errors.UnknownCode):
        register(app, sex="X")
    with pytest.raises(errors.ChildNotFound):
        app.get_case(Child.create_id("BEN02"))


def test_date_of_birth_in_the_future_is_refused(app: Casefile) -> None:
    with pytest.raises(errors.DateInFuture) as caught:
        register(app, date_of_birth=date.today() + timedelta(days=40))
    assert caught.value.field == "date_of_birth"


def test_registration_before_birth_is_refused(app: Casefile) -> None:
    with pytest.raises(errors.DateBeforeBirth) as caught:
        register(app, registration_date=date(2012, 7, 13))
    assert caught.value.field == "registration_date"


def test_uasc_ceased_needs_uasc(app: Casefile) -> None:
    with pytest.raises(errors.UascDetailsInconsistent) as caught:
        register(app, uasc=False, uasc_ceased_date=date(2024, 1, 1))
    assert caught.value.field == "uasc_ceased_date"


def test_registering_again_with_same_details_is_idempotent(app: Casefile) -> None:
    first = register(app)
    assert register(app) == first
    assert app.get_case(first).version == 1


def test_registering_same_local_id_with_other_details_is_refused(app: Casefile) -> None:
    register(app)
    with pytest.raises(errors.ChildAlreadyRegistered) as caught:
        register(app, sex="F")
    assert caught.value.field == "local_child_id"


def test_correction_is_a_new_event_not_an_edit(app: Casefile) -> None:
    child_id = register(app)

    version = app.execute(
        child_id,
        c.CorrectDetails.model_construct(
            effective_date=date(2024, 3, 1),
            upn=UPN,
            ethnicity="WIRI",
            note="UPN received from school; ethnicity as the child describes it",
        ),
    )

    assert version == 2
    registered, corrected = list(app.events.get(child_id))
    assert registered.ethnicity == "WBRI"  # type: ignore[attr-defined]  # never rewritten
    assert type(corrected).__name__ == "ChildDetailsCorrected"
    assert corrected.corrected_fields == ["ethnicity", "upn"]  # type: ignore[attr-defined]
    assert corrected.effective_date == date(2024, 3, 1)  # type: ignore[attr-defined]
    child = app.get_case(child_id)
    assert (child.details.ethnicity, child.details.upn) == ("WIRI", UPN)
    assert child.details.sex == "M"  # untouched
    assert child.corrections[0].corrected_fields == ("ethnicity", "upn")


def test_correction_can_clear_an_identifier(app: Casefile) -> None:
    child_id = register(app, nhs_number=NHS_NUMBER)
    app.execute(
        child_id, c.CorrectDetails.model_construct(effective_date=date(2024, 3, 1), nhs_number=None)
    )
    assert app.get_case(child_id).details.nhs_number is None


def test_correction_is_validated_like_registration(app: Casefile) -> None:
    child_id = register(app)
    with pytest.raises(errors.InvalidUpn):
        app.execute(
            child_id,
            c.CorrectDetails.model_construct(effective_date=date(2024, 3, 1), upn="A201234567890"),
        )
    assert app.get_case(child_id).version == 1


def test_correction_changing_nothing_records_nothing(app: Casefile) -> None:
    child_id = register(app)
    assert (
        app.execute(
            child_id, c.CorrectDetails.model_construct(effective_date=date(2024, 3, 1), sex="M")
        )
        == 1
    )
    assert app.execute(child_id, c.CorrectDetails.model_construct(sex=UNCHANGED)) == 1


def test_date_of_birth_cannot_be_corrected_to_after_care_began(case: Case) -> None:
    with pytest.raises(errors.CorrectionConflictsWithRecord) as caught:
        case.app.execute(
            case.child_id,
            c.CorrectDetails.model_construct(
                effective_date=date(2024, 3, 1), date_of_birth=CARE_STARTS + timedelta(days=1)
            ),
        )
    assert caught.value.field == "date_of_birth"
    case.app.execute(
        case.child_id,
        c.CorrectDetails.model_construct(
            effective_date=date(2024, 3, 1), date_of_birth=date(2015, 2, 28)
        ),
    )
    assert case.app.get_case(case.child_id).details.date_of_birth == date(2015, 2, 28)


def test_uasc_status_ceasing_is_recorded_by_correction(app: Casefile) -> None:
    child_id = register(app, uasc=True)
    app.execute(
        child_id,
        c.CorrectDetails.model_construct(
            effective_date=date(2024, 9, 1), uasc_ceased_date=date(2024, 8, 30)
        ),
    )
    details = app.get_case(child_id).details
    assert details.uasc and details.uasc_ceased_date == date(2024, 8, 30)


def test_unknown_child(app: Casefile) -> None:
    with pytest.raises(errors.ChildNotFound):
        app.get_case(uuid4())
    with pytest.raises(errors.ChildNotFound):
        app.execute(uuid4(), c.AgreeCarePlan.model_construct(effective_date=date(2024, 1, 2)))


def test_fixture_child(app: Casefile, child_id: UUID) -> None:
    child = app.get_case(child_id)
    assert child.details.date_of_birth == BORN
    assert child.registration_date == REGISTERED


# --------------------------------------------------------------------------- on the aggregate
#
# The rules themselves, on `Child` with no application around it: what each
# refusal says (the API's problem detail) and names, and what is kept as given.


def ben(**changes: object) -> Child:
    details = {**BEN, **changes}
    return Child.register(**details)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "error", "field", "message"),
    [
        (
            {"local_child_id": "  "},
            errors.MissingValue,
            "local_child_id",
            "local child id must not be blank",
        ),
        (
            {"upn": "A201234567890"},
            errors.InvalidUpn,
            "upn",
            "UPN check letter (character 1) does not match characters 2-13; "
            "the number has probably been mistyped",
        ),
        (
            {"nhs_number": "9434765918"},
            errors.InvalidNhsNumber,
            "nhs_number",
            "NHS number check digit (10th digit) does not match; "
            "the number has probably been mistyped",
        ),
        ({"sex": "X"}, errors.UnknownCode, "sex", "'X' is not an SSDA903 SEX code"),
        (
            {"ethnicity": "BRIT"},
            errors.UnknownCode,
            "ethnicity",
            "'BRIT' is not an SSDA903 ETHNIC code",
        ),
        (
            {"uasc_ceased_date": date(2024, 1, 1)},
            errors.UascDetailsInconsistent,
            "uasc_ceased_date",
            "a date UASC status ceased needs the child recorded as UASC",
        ),
        (
            {"uasc": True, "uasc_ceased_date": date(2012, 7, 13)},
            errors.DateBeforeBirth,
            "uasc_ceased_date",
            "UASC status cannot cease before the child was born",
        ),
        (
            {"registration_date": date(2012, 7, 13)},
            errors.DateBeforeBirth,
            "registration_date",
            "a child is registered once born: registration date is before date of birth",
        ),
    ],
    ids=[
        "blank id",
        "upn",
        "nhs number",
        "sex",
        "ethnicity",
        "ceased without uasc",
        "ceased before birth",
        "registered before birth",
    ],
)
def test_what_a_refused_registration_says(
    changes: dict[str, object], error: type[Exception], field: str, message: str
) -> None:
    assert refusal(error, lambda: ben(**changes)) == (field, message)


def test_uasc_status_cannot_cease_after_today() -> None:
    tomorrow = date.today() + timedelta(days=2)
    field, _ = refusal(errors.DateInFuture, lambda: ben(uasc=True, uasc_ceased_date=tomorrow))
    assert field == "uasc_ceased_date"


def test_registration_keeps_the_details_normalised() -> None:
    child = ben(
        local_child_id=" BEN02 ",
        upn=" l201234567890 ",
        nhs_number="943 476 5919",
        uasc=True,
        uasc_ceased_date=date(2012, 7, 14),  # the day of birth itself is allowed
        registration_date=date(2012, 7, 14),  # and so is registering a newborn
    )
    assert child.details == ChildDetails(
        local_child_id="BEN02",
        date_of_birth=date(2012, 7, 14),
        sex="M",
        ethnicity="WBRI",
        upn=UPN,
        nhs_number=NHS_NUMBER,
        uasc=True,
        uasc_ceased_date=date(2012, 7, 14),
    )
    assert child.registration_date == date(2012, 7, 14)
    assert ben().details.uasc is False


FULL = {
    "local_child_id": "BEN02",
    "upn": UPN,
    "nhs_number": NHS_NUMBER,
    "uasc": True,
    "uasc_ceased_date": date(2024, 1, 5),
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("local_child_id", "BEN03"),
        ("date_of_birth", date(2012, 7, 15)),
        ("sex", "F"),
        ("ethnicity", "WIRI"),
        ("upn", None),
        ("nhs_number", None),
        ("uasc_ceased_date", None),
        ("uasc", False),
    ],
)
def test_a_correction_changes_only_the_detail_given(field: str, value: object) -> None:
    child = ben(**FULL)
    changes: dict[str, object] = {field: value}
    if field == "uasc":
        changes["uasc_ceased_date"] = None  # no longer UASC: no date it ceased
    before = child.details
    child.correct_details(effective_date=date(2024, 3, 1), note="from the court papers", **changes)
    assert child.details == replace(before, **changes)  # type: ignore[arg-type]
    assert child.corrections[-1] == DetailsCorrection(date(2024, 3, 1), tuple(sorted(changes)))
    (corrected,) = [
        e for e in child.collect_events() if type(e).__name__ == "ChildDetailsCorrected"
    ]
    assert corrected.note == "from the court papers"  # type: ignore[attr-defined]
    assert corrected.local_child_id == child.details.local_child_id  # type: ignore[attr-defined]
    assert corrected.nhs_number == child.details.nhs_number  # type: ignore[attr-defined]


def test_a_correction_is_made_once_the_child_is_registered() -> None:
    child = ben()
    assert refusal(
        errors.DatesOutOfOrder,
        lambda: child.correct_details(effective_date=date(2024, 1, 31), sex="F"),
    ) == ("effective_date", "a correction cannot be made before the child was registered")
    child.correct_details(effective_date=date(2024, 2, 1), sex="F")  # the same day will do
    assert child.details.sex == "F"


def test_date_of_birth_correction_is_checked_against_the_earliest_fact() -> None:
    # Registered 2 January 2024, before anything else in the record.
    child = amira()
    child.schedule_review(
        review_id=uuid4(), scheduled_date=date(2024, 2, 1), effective_date=date(2024, 1, 9)
    )
    assert refusal(
        errors.CorrectionConflictsWithRecord,
        lambda: child.correct_details(
            effective_date=date(2024, 3, 1), date_of_birth=REGISTERED + timedelta(days=1)
        ),
    ) == (
        "date_of_birth",
        "the record has facts from 2024-01-02, before the corrected date of birth",
    )
    child.correct_details(effective_date=date(2024, 3, 1), date_of_birth=REGISTERED)
    assert child.details.date_of_birth == REGISTERED


def test_the_child_id_never_changes_for_a_local_id() -> None:
    # Ids already stored were derived this way: a new namespace would orphan them.
    assert Child.create_id(" BEN02 ") == UUID("80e0b0ac-6144-5f28-89ef-ba58ed4a5fe6")
