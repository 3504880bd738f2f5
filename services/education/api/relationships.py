"""Whose children a caller may act on in education.

Social workers, team managers, IROs, auditors and the performance team: as in
every service, from the allocations casefile publishes
(`shared.casefile_facts.AllocationRelationships`). Education's own roles:

- the Virtual School is related to every child the council looks after today
  (its Head's duty is to all of them, Children and Families Act 2014 s.99);
- a designated teacher is related to the children whose record names them as
  designated teacher today.

An unrelated caller acts under a break-glass grant casefile published
(`shared.casefile_facts.PublishedGrants`); education opens none.
"""

from __future__ import annotations

from collections.abc import Callable

from services.education.projections import ReadModels
from shared.auth.roles import Role
from shared.casefile_facts import AllocationRelationships, PublishedGrants
from shared.dates import today


def education_roles(read_models: ReadModels) -> Callable[[str, str, str], bool]:
    def related(user_id: str, role: str, child_id: str) -> bool:
        day = today()
        if role == Role.VIRTUAL_SCHOOL:
            return read_models.looked_after_on(child_id, day) is not None
        if role == Role.DESIGNATED_TEACHER:
            return read_models.designated_teacher(child_id, day) == user_id
        return False

    return related


def relationships(
    read_models: ReadModels, catch_up: Callable[[], None] | None = None
) -> AllocationRelationships:
    return AllocationRelationships(
        read_models, catch_up=catch_up, related_by_role=education_roles(read_models)
    )


def grants(read_models: ReadModels, catch_up: Callable[[], None] | None = None) -> PublishedGrants:
    return PublishedGrants(read_models, catch_up=catch_up, service="Education")
