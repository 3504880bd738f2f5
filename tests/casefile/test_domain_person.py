"""The child as a person: name, addresses, language, religion, disability, people who matter.

Amira (born 1 March 2015) is looked after from Monday 8 January 2024.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from casefile.children import amira
from casefile.refusals import refusal
from services.casefile.api.person import person_view, visible_fields
from services.casefile.domain import commands as c
from services.casefile.domain import errors
from services.casefile.domain.values import (
    Address,
    ChildName,
    Disability,
    PersonWhoMatters,
    Relationship,
)

from .conftest import BORN, CARE_STARTS, Case


def person(case: Case, relationship: str = "mother", **changes: object) -> UUID:
    fields: dict[str, Any] = {
        "person_id": uuid4(),
        "effective_date": CARE_STARTS,
        "name": "Leila Haddad",
        "relationship": relationship,
        "parental_responsibility": True,
    }
    fields.update(changes)
    case.app.execute(case.child_id, c.RecordPersonWhoMatters.model_construct(**fields))
    person_id: UUID = fields["person_id"]
    return person_id


def test_name_recorded_then_corrected_keeps_history(case: Case) -> None:
    app, child_id = case.app, case.child_id
    app.execute(
        child_id,
        c.RecordName(effective_date=CARE_STARTS, given_names=" Amira ", family_name="Hadad"),
    )
    version = case.version
    app.execute(  # the same name again: nothing recorded
        child_id,
        c.RecordName(effective_date=date(2024, 2, 1), given_names="Amira", family_name="Hadad"),
    )
    assert case.version == version
    app.execute(
        child_id,
        c.RecordName(
            effective_date=date(2024, 2, 1),
            given_names="Amira",
            family_name="Haddad",
            preferred_name="Mira",
        ),
    )
    child = app.get_case(child_id)
    assert [(n.family_name, n.preferred_name) for n in child.names] == [
        ("Hadad", None),
        ("Haddad", "Mira"),
    ]
    assert child.name_on(date(2024, 1, 31)).family_name == "Hadad"  # type: ignore[union-attr]
    assert child.name_on(date(2024, 2, 1)).given_names == "Amira"  # type: ignore[union-attr]
    assert child.name_on(date(2024, 1, 7)) is None
    with pytest.raises(errors.MissingValue) as caught:
        app.execute(
            child_id,
            c.RecordName.model_construct(
                effective_date=CARE_STARTS, given_names=" ", family_name="X", preferred_name=None
            ),
        )
    assert caught.value.field == "given_names"
    with pytest.raises(errors.DateBeforeBirth):
        app.execute(
            child_id,
            c.RecordName.model_construct(
                effective_date=date(2015, 2, 1),
                given_names="A",
                family_name="X",
                preferred_name=None,
            ),
        )


def test_name_command_defaults_to_today_and_is_bounded() -> None:
    command = c.RecordName(given_names="Amira", family_name="Haddad")
    assert command.arguments()["effective_date"] is not None
    with pytest.raises(ValidationError) as caught:
        c.RecordName(given_names="A" * 101, family_name="Haddad")
    assert caught.value.errors()[0]["loc"] == ("given_names",)


def test_addresses_are_a_history(case: Case) -> None:
    app, child_id = case.app, case.child_id
    first, second = uuid4(), uuid4()
    app.execute(
        child_id,
        c.AddAddress(
            address_id=first,
            effective_date=CARE_STARTS,
            address="1 Mill Lane, Leeds",
            postcode="ls1 4ap",
        ),
    )
    app.execute(
        child_id,
        c.AddAddress(
            address_id=second, effective_date=date(2024, 5, 1), address="9 Park Row, Leeds"
        ),
    )
    version = case.version
    app.execute(
        child_id,
        c.AddAddress(  # a retry
            address_id=second, effective_date=date(2024, 5, 1), address="9 Park Row, Leeds"
        ),
    )
    assert case.version == version
    child = app.get_case(child_id)
    assert child.address_on(date(2024, 4, 30)).postcode == "LS1 4AP"  # type: ignore[union-attr]
    assert child.address_on(date(2024, 5, 1)).address_id == second  # type: ignore[union-attr]
    assert child.address_on(date(2024, 1, 7)) is None
    with pytest.raises(errors.IdAlreadyUsed) as used:
        app.execute(
            child_id,
            c.AddAddress(address_id=second, effective_date=date(2024, 5, 1), address="10 Park Row"),
        )
    assert used.value.field == "address_id"
    with pytest.raises(errors.PersonDetailsClash) as clash:
        app.execute(
            child_id,
            c.AddAddress(
                address_id=uuid4(), effective_date=date(2024, 5, 1), address="10 Park Row"
            ),
        )
    assert clash.value.field == "effective_date"
    with pytest.raises(errors.DateBeforeBirth):
        app.execute(
            child_id,
            c.AddAddress(
                address_id=uuid4(), effective_date=date(2014, 5, 1), address="10 Park Row"
            ),
        )
    with pytest.raises(ValidationError) as caught:
        c.AddAddress(effective_date=CARE_STARTS, address="x", postcode="NOT A CODE")
    assert caught.value.errors()[0]["loc"] == ("postcode",)


def test_language_and_religion(case: Case) -> None:
    app, child_id = case.app, case.child_id
    app.execute(
        child_id, c.RecordFirstLanguage(effective_date=CARE_STARTS, first_language="Arabic")
    )
    app.execute(child_id, c.RecordReligion(effective_date=CARE_STARTS, religion="Muslim"))
    version = case.version
    app.execute(
        child_id, c.RecordFirstLanguage(effective_date=date(2024, 3, 1), first_language="Arabic")
    )
    app.execute(child_id, c.RecordReligion(effective_date=date(2024, 3, 1), religion="Muslim"))
    assert case.version == version
    app.execute(child_id, c.RecordReligion(effective_date=date(2024, 3, 1), religion="None"))
    child = app.get_case(child_id)
    assert child.first_language_on(CARE_STARTS) == "Arabic"
    assert child.first_language_on(date(2024, 1, 7)) is None
    assert child.religion_on(date(2024, 2, 29)) == "Muslim"
    assert child.religion_on(date(2024, 3, 1)) == "None"
    assert child.religion_on(date(2024, 1, 7)) is None
    with pytest.raises(errors.MissingValue) as caught:
        app.execute(
            child_id, c.RecordReligion.model_construct(effective_date=CARE_STARTS, religion=" ")
        )
    assert caught.value.field == "religion"
    with pytest.raises(errors.MissingValue) as caught:
        app.execute(
            child_id,
            c.RecordFirstLanguage.model_construct(effective_date=CARE_STARTS, first_language=""),
        )
    assert caught.value.field == "first_language"
    with pytest.raises(errors.DateBeforeBirth):
        app.execute(child_id, c.RecordReligion(effective_date=date(2014, 1, 1), religion="x"))
    with pytest.raises(errors.DateBeforeBirth):
        app.execute(
            child_id, c.RecordFirstLanguage(effective_date=date(2014, 1, 1), first_language="x")
        )
    with pytest.raises(ValidationError):
        c.RecordReligion(effective_date=CARE_STARTS, religion="x" * 101)


def test_disability_codes(case: Case) -> None:
    app, child_id = case.app, case.child_id
    app.execute(
        child_id,
        c.RecordDisability(effective_date=CARE_STARTS, disabilities=["HEAR", "AUT", "HEAR"]),
    )
    version = case.version
    app.execute(
        child_id, c.RecordDisability(effective_date=date(2024, 2, 1), disabilities=["AUT", "HEAR"])
    )
    assert case.version == version
    child = app.get_case(child_id)
    assert child.disabilities_on(CARE_STARTS) == (Disability.AUT, Disability.HEAR)
    assert child.disabilities_on(date(2024, 1, 7)) is None
    app.execute(
        child_id, c.RecordDisability(effective_date=date(2024, 3, 1), disabilities=["NONE"])
    )
    assert app.get_case(child_id).disabilities_on(date(2024, 3, 1)) == (Disability.NONE,)
    for wrong, error in (
        (["DEAF"], errors.UnknownCode),
        (["NONE", "HEAR"], errors.UnknownCode),
        ([], errors.MissingValue),
    ):
        with pytest.raises(error) as caught:
            app.execute(
                child_id,
                c.RecordDisability.model_construct(effective_date=CARE_STARTS, disabilities=wrong),
            )
        assert caught.value.field == "disabilities"
    with pytest.raises(errors.DateBeforeBirth):
        app.execute(
            child_id, c.RecordDisability(effective_date=date(2014, 1, 1), disabilities=["LD"])
        )
    with pytest.raises(ValidationError):
        c.RecordDisability(effective_date=CARE_STARTS, disabilities=[])


def test_people_who_matter(case: Case) -> None:
    app, child_id = case.app, case.child_id
    mother = person(case)
    brother = person(
        case, "half_sibling", name="Yusuf", parental_responsibility=False, placed_together=True
    )
    version = case.version
    person(case, person_id=mother)  # a retry
    assert case.version == version
    child = app.get_case(child_id)
    assert [p.person_id for p in child.people_who_matter_on(CARE_STARTS)] == [mother, brother]
    assert child.people_who_matter[mother].parental_responsibility is True
    assert child.people_who_matter[brother].relationship is Relationship.HALF_SIBLING
    assert child.people_who_matter[brother].placed_together is True
    assert child.people_who_matter_on(date(2024, 1, 7)) == []

    end = c.EndRelationship(end_date=date(2024, 4, 1))
    app.execute(child_id, end, path={"person_id": mother})
    version = case.version
    app.execute(child_id, end, path={"person_id": mother})  # a retry
    assert case.version == version
    child = app.get_case(child_id)
    assert [p.person_id for p in child.people_who_matter_on(date(2024, 4, 1))] == [brother]
    assert [p.person_id for p in child.people_who_matter_on(date(2024, 3, 31))] == [mother, brother]
    with pytest.raises(errors.RelationshipAlreadyEnded):
        app.execute(
            child_id, c.EndRelationship(end_date=date(2024, 4, 2)), path={"person_id": mother}
        )
    with pytest.raises(errors.PersonWhoMattersNotFound):
        app.execute(child_id, end, path={"person_id": uuid4()})
    with pytest.raises(errors.DatesOutOfOrder):
        app.execute(
            child_id, c.EndRelationship(end_date=date(2024, 1, 7)), path={"person_id": brother}
        )
    with pytest.raises(errors.IdAlreadyUsed):
        person(case, person_id=brother)


@pytest.mark.parametrize(
    ("relationship", "placed_together"),
    [("sibling", None), ("mother", True), ("step_sibling", None), ("friend", False)],
)
def test_only_siblings_are_placed_together(
    case: Case, relationship: str, placed_together: bool | None
) -> None:
    with pytest.raises(errors.RelationshipInconsistent) as caught:
        person(case, relationship, placed_together=placed_together, parental_responsibility=False)
    assert caught.value.field == "placed_together"


def test_person_who_matters_rules(case: Case) -> None:
    with pytest.raises(errors.UnknownCode):
        person(case, "cousin")
    with pytest.raises(errors.MissingValue):
        person(case, name=" ")
    with pytest.raises(errors.DateBeforeBirth):
        person(case, effective_date=date(2014, 1, 1))


def test_who_sees_what(case: Case) -> None:
    app, child_id = case.app, case.child_id
    app.execute(
        child_id,
        c.RecordName(effective_date=CARE_STARTS, given_names="Amira", family_name="Haddad"),
    )
    app.execute(
        child_id, c.AddAddress(address_id=uuid4(), effective_date=BORN, address="1 Mill Lane")
    )
    app.execute(
        child_id, c.AddAddress(address_id=uuid4(), effective_date=CARE_STARTS, address="9 Park Row")
    )
    app.execute(
        child_id, c.RecordFirstLanguage(effective_date=CARE_STARTS, first_language="Arabic")
    )
    app.execute(child_id, c.RecordReligion(effective_date=CARE_STARTS, religion="Muslim"))
    app.execute(child_id, c.RecordDisability(effective_date=CARE_STARTS, disabilities=["HEAR"]))
    person(case)
    child = app.get_case(child_id)

    worker = person_view(child, date(2024, 2, 1), ["social_worker"])
    assert worker.withheld == []
    assert worker.name is not None and worker.name.family_name == "Haddad"
    assert worker.address is not None and worker.address.address == "9 Park Row"
    assert [a.address for a in worker.previous_addresses or []] == ["1 Mill Lane"]
    assert (worker.first_language, worker.religion, worker.disabilities) == (
        "Arabic",
        "Muslim",
        ["HEAR"],
    )
    assert [p.name for p in worker.people_who_matter or []] == ["Leila Haddad"]

    for role in ("auditor", "performance"):
        reader = person_view(child, date(2024, 2, 1), [role])
        assert reader.first_language == "Arabic"
        assert reader.name is None and reader.address is None and reader.previous_addresses is None
        assert reader.religion is None and reader.disabilities is None
        assert reader.people_who_matter is None
        assert reader.withheld == ["address", "disability", "name", "people_who_matter", "religion"]
    assert visible_fields(["auditor", "iro"]) == visible_fields(["iro"])
    assert visible_fields(["records_manager"]) == frozenset()
    nothing_yet = person_view(child, date(2015, 3, 1), ["iro"])
    assert nothing_yet.name is None and nothing_yet.address is not None
    assert nothing_yet.disabilities is None and nothing_yet.people_who_matter == []


# --------------------------------------------------------------------------- on the aggregate
#
# The rules themselves, on `Child` with no application around it: retries that
# record nothing, the same id with other details refused, and what each refusal
# says (the API's problem detail) and names.

PERSON = UUID("00000000-0000-4000-8000-0000000000e1")
ADDRESS = UUID("00000000-0000-4000-8000-0000000000e2")


@pytest.mark.parametrize(
    ("blank", "field"),
    [
        ({"given_names": " "}, "given_names"),
        ({"family_name": " "}, "family_name"),
        ({"preferred_name": " "}, "preferred_name"),
    ],
)
def test_what_a_blank_name_says(blank: dict[str, str], field: str) -> None:
    child = amira()
    name = {"given_names": "Amira", "family_name": "Haddad", **blank}
    assert refusal(
        errors.MissingValue, lambda: child.record_name(effective_date=CARE_STARTS, **name)
    ) == (field, f"{field.replace('_', ' ')} must not be blank")


def test_a_name_is_kept_as_given_less_the_spaces() -> None:
    child = amira()
    child.record_name(
        effective_date=CARE_STARTS,
        given_names=" Amira ",
        family_name=" Haddad ",
        preferred_name=" Mira ",
    )
    assert child.names == [ChildName(CARE_STARTS, "Amira", "Haddad", "Mira")]


def test_what_a_refused_address_says() -> None:
    child = amira()
    add = child.add_address
    assert refusal(
        errors.MissingValue,
        lambda: add(address_id=ADDRESS, effective_date=CARE_STARTS, address=" "),
    ) == ("address", "address must not be blank")
    assert refusal(
        errors.MissingValue,
        lambda: add(
            address_id=ADDRESS, effective_date=CARE_STARTS, address="1 Mill Lane", postcode=" "
        ),
    ) == ("postcode", "postcode must not be blank")
    add(
        address_id=ADDRESS,
        effective_date=CARE_STARTS,
        address=" 1 Mill Lane ",
        postcode=" ls1 4ap ",
    )
    assert child.addresses[ADDRESS] == Address(ADDRESS, CARE_STARTS, "1 Mill Lane", "LS1 4AP")
    assert refusal(
        errors.IdAlreadyUsed,
        lambda: add(address_id=ADDRESS, effective_date=CARE_STARTS, address="2 Mill Lane"),
    ) == ("address_id", f"address {ADDRESS} is already recorded, with other details")
    assert refusal(
        errors.PersonDetailsClash,
        lambda: add(address_id=uuid4(), effective_date=CARE_STARTS, address="2 Mill Lane"),
    ) == ("effective_date", "another address is recorded from 2024-01-08")


@pytest.mark.parametrize(
    ("disabilities", "error", "message"),
    [
        ([], errors.MissingValue, "disabilities lists at least one code (NONE for no disability)"),
        (
            ["NONE", "AUT"],
            errors.UnknownCode,
            "NONE (no disability) cannot be recorded with a disability",
        ),
        (["AUT", "ADHD"], errors.UnknownCode, "'ADHD' is not a valid disabilities"),
    ],
)
def test_what_refused_disabilities_say(
    disabilities: list[str], error: type[Exception], message: str
) -> None:
    child = amira()
    assert refusal(
        error,
        lambda: child.record_disability(effective_date=CARE_STARTS, disabilities=disabilities),
    ) == ("disabilities", message)


SISTER = {
    "effective_date": CARE_STARTS,
    "name": " Yasmin Haddad ",
    "relationship": "half_sibling",
    "parental_responsibility": False,
    "placed_together": True,
}


def test_a_person_again_records_nothing_even_once_ended() -> None:
    child = amira()
    child.record_person_who_matters(person_id=PERSON, **SISTER)  # type: ignore[arg-type]
    assert child.people_who_matter[PERSON] == PersonWhoMatters(
        PERSON, CARE_STARTS, "Yasmin Haddad", Relationship.HALF_SIBLING, False, True
    )
    version = child.version
    child.record_person_who_matters(person_id=PERSON, **SISTER)  # type: ignore[arg-type]
    child.end_relationship(person_id=PERSON, end_date=date(2024, 5, 1))
    assert child.version == version + 1
    child.record_person_who_matters(person_id=PERSON, **SISTER)  # type: ignore[arg-type]
    child.end_relationship(person_id=PERSON, end_date=date(2024, 5, 1))
    assert child.version == version + 1
    assert refusal(
        errors.IdAlreadyUsed,
        lambda: child.record_person_who_matters(
            person_id=PERSON,
            **{**SISTER, "placed_together": False},  # type: ignore[arg-type]
        ),
    ) == ("person_id", f"person {PERSON} is already recorded, with other details")


def test_what_a_refused_person_says() -> None:
    child = amira()

    def person(**details: object) -> None:
        child.record_person_who_matters(person_id=uuid4(), **{**SISTER, **details})  # type: ignore[arg-type]

    assert refusal(errors.UnknownCode, lambda: person(relationship="cousin")) == (
        "relationship",
        "'cousin' is not a valid relationship",
    )
    assert refusal(errors.MissingValue, lambda: person(name=" ")) == (
        "name",
        "name must not be blank",
    )
    assert refusal(errors.RelationshipInconsistent, lambda: person(placed_together=None)) == (
        "placed_together",
        "for a sibling, say whether they are placed together with the child",
    )
    assert refusal(errors.RelationshipInconsistent, lambda: person(relationship="friend")) == (
        "placed_together",
        "only a sibling is placed together (or not) with the child",
    )


def test_what_a_refused_end_of_a_relationship_says() -> None:
    child = amira()
    unknown = uuid4()
    assert refusal(
        errors.PersonWhoMattersNotFound,
        lambda: child.end_relationship(person_id=unknown, end_date=date(2024, 5, 1)),
    ) == ("person_id", f"no person {unknown} is recorded as mattering to this child")
    child.record_person_who_matters(person_id=PERSON, **SISTER)  # type: ignore[arg-type]
    assert refusal(
        errors.DatesOutOfOrder,
        lambda: child.end_relationship(person_id=PERSON, end_date=date(2024, 1, 7)),
    ) == ("end_date", "the relationship cannot end before it was recorded (2024-01-08)")
    child.end_relationship(person_id=PERSON, end_date=CARE_STARTS)  # the same day will do
    assert refusal(
        errors.RelationshipAlreadyEnded,
        lambda: child.end_relationship(person_id=PERSON, end_date=date(2024, 5, 1)),
    ) == ("person_id", "the relationship already ended on 2024-01-08")
    assert child.people_who_matter[PERSON].end_date == CARE_STARTS
