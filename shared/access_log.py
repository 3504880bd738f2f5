"""Every read of a child's record is itself recorded (DESIGN.md, "Security").

Each service keeps one `AccessLog` aggregate per child in its own stream; a
read appends `RecordRead` with what was read, and the audit envelope in the
event's headers says who, when, in what role, on whose behalf and why (from
the request context), so the corporate-parent audit trail shows reads beside
writes.
"""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

_NAMESPACE = uuid5(NAMESPACE_URL, "https://belonging.example/access-log")


class AccessLog(Aggregate):
    """The reads of one child's record held by one service."""

    @event("Opened")
    def __init__(self, child_id: str) -> None:
        self.child_id = child_id
        self.reads = 0

    @staticmethod
    def create_id(child_id: str) -> UUID:
        return uuid5(_NAMESPACE, str(child_id))

    @event("RecordRead")
    def record_read(self, what: str, effective_date: date) -> None:
        self.reads += 1


def record_access(app: Application[UUID], child_id: str, what: str) -> None:
    """Appends a read to the child's access log; retries a lost race once or twice."""
    log_id = AccessLog.create_id(child_id)
    for _attempt in range(3):
        try:
            try:
                access_log: AccessLog = app.repository.get(log_id)
            except AggregateNotFoundError:
                access_log = AccessLog(child_id=str(child_id))
            access_log.record_read(what=what, effective_date=date.today())
            app.save(access_log)
            return
        except IntegrityError:
            continue
    raise IntegrityError(f"could not record the read of {child_id}")
