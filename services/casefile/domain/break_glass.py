"""`BreakGlass`: every break-glass grant to one child's record, and each grant's review.

Someone with no relationship to the child may be given access in an emergency
(DESIGN.md, "Security"). Each grant is a fact: who, in which role, why, when,
until when, and which team was to be told. A user has at most one open grant
to a child: asking again while it is open records nothing, and access after it
ends needs a new grant, so access is never extended without a new record. The
child's team manager reviews each grant once. One aggregate per child, beside
(not in) the `Child`, so a grant never takes a version of the case record.
See docs/adr/0015-break-glass.md.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.casefile.domain.errors import (
    BreakGlassAlreadyReviewed,
    BreakGlassGrantNotFound,
    OwnBreakGlassReview,
)

#: Namespace of `BreakGlass.create_id` (and of the grants' ids). Never change it.
BREAK_GLASS_NAMESPACE: Final = UUID("0b5e3c52-8a8e-4c1f-9d57-6f3f1b2f7a10")


@dataclass(frozen=True)
class BreakGlassReview:
    """A manager's review of one grant."""

    reviewer_id: str
    note: str
    reviewed_at: datetime


@dataclass(frozen=True)
class BreakGlassGrant:
    """Access to the child's record given to `user_id` from `granted_at` until `expires_at`."""

    grant_id: UUID
    user_id: str
    role: str
    reason: str
    #: The child's team when the grant was made: whose manager is told (None: no team yet).
    team: str | None
    granted_at: datetime
    expires_at: datetime
    review: BreakGlassReview | None = None

    def open_at(self, moment: datetime) -> bool:
        return moment < self.expires_at


class BreakGlass(Aggregate):
    """The break-glass grants to one child's record."""

    @staticmethod
    def create_id(child_id: UUID | str) -> UUID:
        """One per child, derived from the child's id (erased with the child's record)."""
        return uuid5(BREAK_GLASS_NAMESPACE, f"child/{UUID(str(child_id))}")

    @event("Opened")
    def __init__(self, child_id: str) -> None:
        self.child_id = child_id
        self.grants: dict[UUID, BreakGlassGrant] = {}

    # ------------------------------------------------------------------ grants

    def latest_of(self, user_id: str) -> BreakGlassGrant | None:
        """The user's most recent grant, open or not."""
        mine = [g for g in self.grants.values() if g.user_id == user_id]
        return mine[-1] if mine else None

    def grant(
        self,
        *,
        user_id: str,
        role: str,
        reason: str,
        team: str | None,
        at: datetime,
        lasting: timedelta,
    ) -> BreakGlassGrant:
        """Grant the user access from `at` for `lasting`, unless they hold an open grant.

        An open grant is returned as it is: asking again neither records a new
        grant nor moves its end.
        """
        latest = self.latest_of(user_id)
        if latest is not None and latest.open_at(at):
            return latest
        grant_id = uuid5(BREAK_GLASS_NAMESPACE, f"{self.id}/{len(self.grants) + 1}")
        self._granted(
            child_id=self.child_id,
            grant_id=grant_id,
            user_id=user_id,
            role=role,
            reason=reason,
            team=team,
            granted_at=at,
            expires_at=at + lasting,
        )
        return self.grants[grant_id]

    @event("Granted")
    def _granted(
        self,
        child_id: str,  # in the event so its audit envelope names the child
        grant_id: UUID,
        user_id: str,
        role: str,
        reason: str,
        team: str | None,
        granted_at: datetime,
        expires_at: datetime,
    ) -> None:
        self.grants[grant_id] = BreakGlassGrant(
            grant_id, user_id, role, reason, team, granted_at, expires_at
        )

    # ------------------------------------------------------------------ reviews

    def review(self, *, grant_id: UUID, reviewer_id: str, note: str, at: datetime) -> None:
        """The manager has looked at the grant and what was done under it.

        Once per grant; the same review again (a retry) records nothing. No one
        reviews their own use of break-glass.
        """
        grant = self.grants.get(grant_id)
        if grant is None:
            raise BreakGlassGrantNotFound(grant_id)
        if grant.user_id == reviewer_id:
            raise OwnBreakGlassReview(
                "a break-glass use is reviewed by someone other than who used it",
                field="alert_id",
            )
        if grant.review is not None:
            if (grant.review.reviewer_id, grant.review.note) == (reviewer_id, note):
                return
            raise BreakGlassAlreadyReviewed(
                f"this break-glass use was reviewed by {grant.review.reviewer_id} at "
                f"{grant.review.reviewed_at.isoformat(timespec='seconds')}",
                field="alert_id",
            )
        self._reviewed(
            child_id=self.child_id,
            grant_id=grant_id,
            reviewer_id=reviewer_id,
            note=note,
            reviewed_at=at,
        )

    @event("Reviewed")
    def _reviewed(
        self, child_id: str, grant_id: UUID, reviewer_id: str, note: str, reviewed_at: datetime
    ) -> None:
        grant = self.grants[grant_id]
        review = BreakGlassReview(reviewer_id, note, reviewed_at)
        self.grants[grant_id] = replace(grant, review=review)
