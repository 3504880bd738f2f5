"""Whether a user stands in a relationship to a child that lets them act in a role.

Role alone is not enough for case data (DESIGN.md, "Security"). Who is related
to whom lives in each service's read models, so services implement this
protocol, and decide which roles need no relationship; the auth dependency only
asks it (docs/adr/0006-tokens-say-who-read-models-say-whom.md).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol, runtime_checkable

from shared.auth.roles import Role


@runtime_checkable
class RelationshipChecker(Protocol):
    def is_related(
        self, user_id: str, role: str, child_id: str, teams: Collection[str] = ()
    ) -> bool:
        """True if `user_id`, acting as `role`, has a relationship with `child_id`.

        `teams` are the teams the caller manages (the token's `teams` claim).
        Called from a worker thread, so it may block on a database read.
        """
        ...


def manages_childs_team(role: str, teams: Collection[str], childs_team: str | None) -> bool:
    """The one team rule of every service: a team manager is related to the
    children allocated (today) to a team they manage; the child's team comes
    from the record (the social worker's allocation), the manager's from the token."""
    return role == Role.TEAM_MANAGER and childs_team is not None and childs_team in teams
