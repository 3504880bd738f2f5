"""Whether a user stands in a relationship to a child that lets them act in a role.

Role alone is not enough for case data: a social worker may read the children
allocated to them, not every child in the council (DESIGN.md, "Security").
Who is related to whom lives in each service's read models (allocated worker,
IRO, personal adviser, the child's school), so services implement this
protocol; the auth dependency only asks it. Whether a cross-cutting role such
as auditor needs no relationship is likewise the service's policy, expressed
in its implementation, never hardcoded here.
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
