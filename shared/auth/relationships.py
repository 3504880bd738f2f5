"""Whether a user stands in a relationship to a child that lets them act in a role.

Role alone is not enough for case data (DESIGN.md, "Security"). Who is related
to whom lives in each service's read models, so services implement this
protocol, and decide which roles need no relationship; the auth dependency only
asks it (docs/adr/0006-tokens-say-who-read-models-say-whom.md).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from datetime import date
from typing import Protocol, runtime_checkable

from shared.auth.roles import Role
from shared.dates import today


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


class RememberedRelationships:
    """A `RelationshipChecker` that remembers the relationships it found, for a while.

    Every read of a child's record asks whether the caller is related to the
    child; asking PostgreSQL each time was more than a quarter of the CPU a
    read cost (docs/bench-api.md). A relationship found is remembered for
    `max_age` seconds, or until a read model changes, whichever is first: `forget` is
    called with every change `shared.projections.changes.ReadModelChanges`
    hears, which is sent at the commit that makes the change visible. So a
    relationship that ends is honoured no longer than it was before: until the
    read model says so. Only "related" is remembered, never "not related" (that
    answer first brings the read model up to date), and nothing is remembered
    while `listening()` is False or if a change arrived while the read model
    was being asked (docs/adr/0025-remembered-relationships.md). The day is in
    the key: allocations are whole days.
    """

    def __init__(
        self,
        checker: RelationshipChecker,
        listening: Callable[[], bool],
        *,
        max_age: float = 60.0,
        max_size: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.checker = checker
        self.listening = listening
        self.max_age = max_age
        self.max_size = max_size
        self.clock = clock
        self._found: dict[tuple[str, str, str, frozenset[str], date], float] = {}
        self._changes = 0  # how many times everything was forgotten
        self._lock = threading.Lock()

    def _key(
        self, user_id: str, role: str, child_id: str, teams: Collection[str]
    ) -> tuple[str, str, str, frozenset[str], date]:
        return (user_id, role, child_id, frozenset(teams), today())

    def remembers(
        self, user_id: str, role: str, child_id: str, teams: Collection[str] = ()
    ) -> bool:
        """Whether the relationship is remembered: no database, safe on the event loop."""
        return self._remembered(self._key(user_id, role, child_id, teams))

    def _remembered(self, key: tuple[str, str, str, frozenset[str], date]) -> bool:
        found = self._found.get(key)
        return found is not None and self.clock() - found < self.max_age

    def is_related(
        self, user_id: str, role: str, child_id: str, teams: Collection[str] = ()
    ) -> bool:
        key = self._key(user_id, role, child_id, teams)  # the day the answer is for
        if self._remembered(key):
            return True
        with self._lock:
            changes = self._changes
        asked = self.clock()
        related = self.checker.is_related(user_id, role, child_id, teams)
        if related and self.listening():
            with self._lock:
                if self._changes == changes:  # no change was heard while we asked
                    if len(self._found) >= self.max_size:
                        self._found.clear()
                    self._found[key] = asked
        return related

    def forget(self, _projection: str | None = None) -> None:
        """A read model changed (or may have): forget every relationship remembered."""
        with self._lock:
            self._changes += 1
            self._found.clear()
