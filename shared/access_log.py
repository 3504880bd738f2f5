"""Every read of a child's record is itself recorded (DESIGN.md, "Security").

Each service keeps one `AccessLog` aggregate per child in its own stream; a
read appends `RecordRead` with what was read, and the audit envelope in the
event's headers says who, when, in what role, on whose behalf and why (from
the request context), so the corporate-parent audit trail shows reads beside
writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from shared.dates import today

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
    """Appends a read of one child's record to its access log."""
    record_accesses(app, [child_id], what)


def record_accesses(app: Application[UUID], child_ids: Iterable[str], what: str) -> None:
    """Appends a read to each child's access log, all in one atomic save.

    A list of children (register rows with dates of birth) is a read of each
    of their records. One save writes every log's event in one batch; a lost
    race with another reader is retried on fresh logs.
    """
    wanted = list(dict.fromkeys(str(c) for c in child_ids))
    if not wanted:
        return
    for _attempt in range(3):
        logs: list[AccessLog] = []
        for child_id in wanted:
            try:
                access_log: AccessLog = app.repository.get(AccessLog.create_id(child_id))
            except AggregateNotFoundError:
                access_log = AccessLog(child_id=child_id)
            access_log.record_read(what=what, effective_date=today())
            logs.append(access_log)
        try:
            app.save(*logs)
            return
        except IntegrityError:
            continue
    raise IntegrityError(f"could not record the reads of {len(wanted)} children")
