"""Break-glass grants: an unrelated caller's access to one child, recorded, time-limited, reviewed.

A caller in a permitted role but with no relationship to the child may ask for
access with an `X-Break-Glass-Reason` header. The first such request records a
grant for (user, child) until `expires_at`; within it the user's requests to
that child are allowed and flagged in the audit envelope; after it they are
refused until the user asks again, which records a new grant (and so a new
alert to the child's team manager). Each service says where grants come from
by implementing `BreakGlassGrants`; `shared.auth.dependencies.require` applies
the rule, the same way in every service (docs/adr/0015-break-glass.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Grant:
    """One break-glass grant, as the auth dependency needs it."""

    grant_id: str
    user_id: str
    role: str
    child_id: str
    granted_at: datetime
    expires_at: datetime
    #: The reason given; None where a service holds only the published grant
    #: (reasons are free text and stay in the service that recorded them, ADR 0010).
    reason: str | None = None

    def open_at(self, moment: datetime) -> bool:
        """Whether the grant still gives access at `moment` (it ends at `expires_at`)."""
        return moment < self.expires_at


class CannotOpenHere(Exception):
    """This service honours grants but does not record them; the message says where to ask."""


@runtime_checkable
class BreakGlassGrants(Protocol):
    """Where a service finds (and, if it records them, opens) break-glass grants.

    Both methods are called from a worker thread, so they may block on a read
    or a write.
    """

    def latest(self, user_id: str, child_id: str) -> Grant | None:
        """The user's most recent grant to the child, open or expired; None if never granted."""
        ...

    def open(self, user_id: str, role: str, child_id: str, reason: str) -> Grant:
        """Records a new grant (or returns the user's open one) and tells the child's team.

        Raises `CannotOpenHere` in a service that only honours grants recorded
        elsewhere, and the service's `NotFound` for a child it has no record of.
        """
        ...
