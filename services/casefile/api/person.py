"""The child as a person on the case view, field by field, to the roles that need each.

The practitioners who work with the child (social worker, team manager, IRO,
personal adviser) see everything: they speak to the child by name, visit them,
and plan for their identity and family. Auditors and the performance team read
every child's record without a relationship to any (ADR 0006), so they see only
what their work needs: the first language (whether an interpreter was offered,
equalities monitoring) and not names, addresses, religion, disability or the
people in the child's life. See docs/adr/0017-person-details.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import BaseModel, Field

from services.casefile.domain.child import Child
from shared.auth.roles import Role


class PersonField(StrEnum):
    NAME = "name"
    ADDRESS = "address"
    FIRST_LANGUAGE = "first_language"
    RELIGION = "religion"
    DISABILITY = "disability"
    PEOPLE_WHO_MATTER = "people_who_matter"


_EVERYTHING = frozenset(PersonField)

#: Which person details each role sees on the case view; a role not listed sees none.
VISIBLE_TO: dict[str, frozenset[PersonField]] = {
    Role.SOCIAL_WORKER: _EVERYTHING,
    Role.TEAM_MANAGER: _EVERYTHING,
    Role.IRO: _EVERYTHING,
    Role.PERSONAL_ADVISER: _EVERYTHING,
    Role.AUDITOR: frozenset({PersonField.FIRST_LANGUAGE}),
    Role.PERFORMANCE: frozenset({PersonField.FIRST_LANGUAGE}),
}


def visible_fields(roles: Iterable[str]) -> frozenset[PersonField]:
    """What a caller holding `roles` sees: the union over their roles."""
    return frozenset().union(*(VISIBLE_TO.get(role, frozenset()) for role in roles))


class NameView(BaseModel):
    given_names: str
    family_name: str
    preferred_name: str | None
    since: date


class AddressView(BaseModel):
    address_id: UUID
    address: str
    postcode: str | None
    since: date


class PersonWhoMattersView(BaseModel):
    person_id: UUID
    name: str
    relationship: str
    parental_responsibility: bool
    placed_together: bool | None
    since: date
    ended: date | None


class PersonView(BaseModel):
    """The child as a person on `as_of`; a field the caller may not see is absent (null),
    and `withheld` names it, so "not recorded" and "not shown to you" differ."""

    name: NameView | None = None
    address: AddressView | None = None
    previous_addresses: list[AddressView] | None = None
    first_language: str | None = None
    religion: str | None = None
    disabilities: list[str] | None = None
    people_who_matter: list[PersonWhoMattersView] | None = None
    withheld: list[str] = Field(default_factory=list, description="Fields not shown to you")


def person_view(child: Child, day: date, roles: Iterable[str]) -> PersonView:
    shown = visible_fields(roles)
    view = PersonView(withheld=sorted(str(f) for f in _EVERYTHING - shown))
    if PersonField.NAME in shown and (name := child.name_on(day)) is not None:
        view.name = NameView(
            given_names=name.given_names,
            family_name=name.family_name,
            preferred_name=name.preferred_name,
            since=name.effective_date,
        )
    if PersonField.ADDRESS in shown:
        lived = sorted(
            (a for a in child.addresses.values() if a.effective_date <= day),
            key=lambda a: a.effective_date,
            reverse=True,
        )
        views = [
            AddressView(
                address_id=a.address_id,
                address=a.address,
                postcode=a.postcode,
                since=a.effective_date,
            )
            for a in lived
        ]
        view.address = views[0] if views else None
        view.previous_addresses = views[1:]
    if PersonField.FIRST_LANGUAGE in shown:
        view.first_language = child.first_language_on(day)
    if PersonField.RELIGION in shown:
        view.religion = child.religion_on(day)
    if PersonField.DISABILITY in shown and (codes := child.disabilities_on(day)) is not None:
        view.disabilities = [str(code) for code in codes]
    if PersonField.PEOPLE_WHO_MATTER in shown:
        view.people_who_matter = [
            PersonWhoMattersView(
                person_id=p.person_id,
                name=p.name,
                relationship=str(p.relationship),
                parental_responsibility=p.parental_responsibility,
                placed_together=p.placed_together,
                since=p.effective_date,
                ended=p.end_date,
            )
            for p in child.people_who_matter_on(day)
        ]
    return view
