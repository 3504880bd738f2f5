"""Whose children a caller may act on: from allocations casefile publishes.

Read from the `placements_care_periods` read model: a social worker is related
to the children allocated to them today, an IRO to those they are appointed for
today, a team manager to the children allocated today to a team they manage
(the token's `teams`: the same rule as casefile's, shared.auth.relationships);
auditors and the performance team act across the council's children by role
(their reads are still logged); anyone else is not related.
See docs/adr/0009-what-placements-learns-and-who-is-related.md.

An unrelated caller acts under a break-glass grant casefile recorded and
published (`PublishedGrants`); placements honours it until it expires and opens
none itself (docs/adr/0015-break-glass.md).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime
from uuid import UUID

from services.placements.projections import ReadModels
from shared.auth.break_glass import CannotOpenHere, Grant
from shared.auth.dependencies import BREAK_GLASS_HEADER
from shared.auth.relationships import manages_childs_team
from shared.auth.roles import Role
from shared.dates import today as council_today

_ACROSS_THE_COUNCIL = frozenset({Role.AUDITOR, Role.PERFORMANCE})


class AllocationRelationships:
    """A `shared.auth.relationships.RelationshipChecker` over the care periods read model."""

    def __init__(self, read_models: ReadModels, catch_up: Callable[[], None] | None = None) -> None:
        self.read_models = read_models
        #: Brings the read model up to date before answering "not related": an
        #: allocation made in casefile a moment ago may not be in it yet (ADR 0019).
        self.catch_up = catch_up

    def is_related(
        self, user_id: str, role: str, child_id: str, teams: Collection[str] = ()
    ) -> bool:
        if self._related(user_id, role, child_id, teams):
            return True
        if self.catch_up is None or role in _ACROSS_THE_COUNCIL:
            return False
        self.catch_up()
        return self._related(user_id, role, child_id, teams)

    def _related(self, user_id: str, role: str, child_id: str, teams: Collection[str]) -> bool:
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
        if role == Role.TEAM_MANAGER:
            return manages_childs_team(
                role, teams, self.read_models.allocated_team(child_id, today)
            )
        return False


class PublishedGrants:
    """A `shared.auth.break_glass.BreakGlassGrants` over the grants casefile published.

    A grant made in casefile a moment ago may not have reached the read model
    yet: before answering that the user has no open grant, `catch_up` brings it
    up to date and it looks again.
    """

    def __init__(self, read_models: ReadModels, catch_up: Callable[[], None] | None = None) -> None:
        self.read_models = read_models
        self.catch_up = catch_up

    def latest(self, user_id: str, child_id: str) -> Grant | None:
        grant = self.read_models.latest_break_glass(user_id, child_id)
        if (grant is None or not grant.open_at(datetime.now(UTC))) and self.catch_up is not None:
            self.catch_up()
            grant = self.read_models.latest_break_glass(user_id, child_id)
        return grant

    def open(self, user_id: str, role: str, child_id: str, reason: str) -> Grant:
        raise CannotOpenHere(
            "Placements honours break-glass access opened on the child's case record; it "
            f"does not open it. Send your reason as {BREAK_GLASS_HEADER} with a request "
            f"about this child to the casefile service (GET /v1/children/{child_id}): the "
            "access is recorded, the child's team manager is told, and placements honours "
            "it a moment later, until it expires."
        )
