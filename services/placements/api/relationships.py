"""Whose children a caller may act on: from allocations casefile publishes.

Read from the `placements_care_periods` read model: a social worker is related
to the children allocated to them today, an IRO to those they are appointed for
today; team managers, auditors and the performance team act across the council's
children by role (their reads are still logged); anyone else is not related.
See docs/adr/0009-what-placements-learns-and-who-is-related.md.
"""

from __future__ import annotations

from uuid import UUID

from services.placements.projections import ReadModels
from shared.auth.roles import Role
from shared.dates import today as council_today

_ACROSS_THE_COUNCIL = frozenset({Role.TEAM_MANAGER, Role.AUDITOR, Role.PERFORMANCE})


class AllocationRelationships:
    """A `shared.auth.relationships.RelationshipChecker` over the care periods read model."""

    def __init__(self, read_models: ReadModels) -> None:
        self.read_models = read_models

    def is_related(self, user_id: str, role: str, child_id: str) -> bool:
        today = council_today()  # allocations are whole days, in council time
        try:
            child_id = str(UUID(child_id))  # the path as typed; the read model holds canonical ids
        except ValueError:
            return False
        if role in _ACROSS_THE_COUNCIL:
            return True
        if role == Role.SOCIAL_WORKER:
            return self.read_models.allocated_social_worker(child_id, today) == user_id
        if role == Role.IRO:
            return self.read_models.appointed_iro(child_id, today) == user_id
        return False
