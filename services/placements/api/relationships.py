"""Whose children a caller may act on: from allocations casefile publishes.

The relationship is read from the `placements_care_periods` read model, which
follows casefile's `SocialWorkerAllocated` and `IroAppointed` integration
events, so a reallocation takes effect as soon as it is published, whatever
the caller's token says (shared/auth/relationships.py).

- social_worker: the worker allocated to the child today.
- iro: the IRO appointed for the child today.
- team_manager, auditor, performance: no per-child relationship. Casefile's
  published language says which team a worker is in but not who manages
  the team, and tokens carry no team, so this service cannot narrow a
  manager to their team's children; auditors and the performance team work
  across the council's children by their role. Every read these roles make of
  a child's record is still recorded in the access log.
- anyone else: not related (the role table would have refused them anyway).
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
