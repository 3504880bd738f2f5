"""Whether a user stands in a relationship to a child that lets them act in a role.

Role alone is not enough for case data (DESIGN.md, "Security"). Who is related
to whom lives in each service's read models, so services implement this
protocol, and decide which roles need no relationship; the auth dependency only
asks it (docs/adr/0006-tokens-say-who-read-models-say-whom.md).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class RelationshipChecker(Protocol):
    def is_related(self, user_id: str, role: str, child_id: str) -> bool:
        """True if `user_id`, acting as `role`, has a relationship with `child_id`.

        Called from a worker thread, so it may block on a database read.
        """
        ...
