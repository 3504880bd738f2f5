"""A child's history as the audit envelope tells it: who recorded what, when, and why.

Read straight from the event store's headers (DESIGN.md, "Audit envelope"),
which are in clear beside the encrypted body: the history shows event types,
dates and people, never a body, so it needs no key and discloses no notes. The
integrity hash chain is checked on the way, so a tampered history says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from services.casefile.domain.break_glass import BreakGlass
from shared.access_log import stored_lanes
from shared.eventstore import envelope as env
from shared.eventstore.factory import NatsFactory
from shared.eventstore.keyring import KeyRing
from shared.eventstore.reader import StoredMessage

CASE = "case"
ACCESS = "access"
BREAK_GLASS = "break-glass"


@dataclass(frozen=True)
class HistoryEntry:
    record: str  # "case" (the child's record), "access" (a read of it), "break-glass" (a grant)
    version: int
    event_type: str
    recorded_at: datetime
    effective_date: date | None
    actor: str
    role: str
    purpose: str
    on_behalf_of: str | None
    break_glass_reason: str | None
    sequence: int


@dataclass(frozen=True)
class History:
    entries: list[HistoryEntry]
    chain_intact: bool


class EventHistory:
    """Reads histories from the NATS event store the application was built on."""

    def __init__(
        self, factory: object, access_logs: object, keyring: KeyRing | None = None
    ) -> None:
        if not isinstance(factory, NatsFactory) or not isinstance(access_logs, NatsFactory):
            raise TypeError("event history needs PERSISTENCE_MODULE=shared.eventstore")
        self.factory = factory
        self.access_logs = access_logs
        #: Opens sealed break-glass reasons (the service's and its access logs' records).
        self.keyring = keyring

    @staticmethod
    def _messages(factory: NatsFactory, aggregate_id: UUID) -> list[StoredMessage]:
        subject = f"{factory.subject_prefix}.events.{aggregate_id}"
        return factory.reader.all_on_subject(factory.stream, subject)

    def of_child(
        self,
        child_id: UUID,
        *,
        recorded_by: datetime | None = None,
        include_reads: bool = False,
    ) -> History:
        """The child's record (and optionally its reads and break-glass grants), oldest first."""
        messages = self._messages(self.factory, child_id)
        intact = not env.verify_chain([(m.headers, m.data) for m in messages])
        entries = [_entry(CASE, m, self.keyring) for m in messages]
        if include_reads:
            # The reads, written in lanes (one a process): each lane a chain of its own.
            for reads in stored_lanes(self.access_logs, str(child_id)):
                intact = intact and not env.verify_chain([(m.headers, m.data) for m in reads])
                entries += [_entry(ACCESS, m, self.keyring) for m in reads]
            # Who was given break-glass access, why and until when, and each review.
            grants = self._messages(self.factory, BreakGlass.create_id(child_id))
            intact = intact and not env.verify_chain([(m.headers, m.data) for m in grants])
            entries += [_entry(BREAK_GLASS, m, self.keyring) for m in grants]
            # Two streams: their sequences do not compare, their recorded times do.
            entries.sort(key=lambda entry: (entry.recorded_at, entry.record, entry.sequence))
        if recorded_by is not None:
            if recorded_by.tzinfo is None:
                recorded_by = recorded_by.replace(tzinfo=UTC)
            entries = [entry for entry in entries if entry.recorded_at <= recorded_by]
        return History(entries=entries, chain_intact=intact)


def _entry(record: str, message: StoredMessage, keyring: KeyRing | None) -> HistoryEntry:
    headers = message.headers
    effective = headers.get(env.EFFECTIVE_DATE)
    recorded = headers.get(env.RECORDED_AT)
    return HistoryEntry(
        record=record,
        version=int(headers.get(env.VERSION, "0")),
        event_type=headers.get(env.EVENT_TYPE, "").rpartition(".")[2],
        recorded_at=datetime.fromisoformat(recorded)
        if recorded
        else datetime.fromtimestamp(0, UTC),
        effective_date=date.fromisoformat(effective) if effective else None,
        actor=headers.get(env.ACTOR, ""),
        role=headers.get(env.ROLE, ""),
        purpose=headers.get(env.PURPOSE, ""),
        on_behalf_of=headers.get(env.ON_BEHALF_OF),
        break_glass_reason=env.break_glass_reason(headers, keyring),
        sequence=message.seq,
    )
