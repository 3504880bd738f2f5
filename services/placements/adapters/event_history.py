"""A child's placement history as the event store tells it: who recorded what, when, and why.

Who and when come from the audit envelope (the event store's headers, checked
against the integrity hash chain on the way); what was corrected and why come
from this service's own events (a correction's `reason` and `placement_id`;
never its note, never an address). The original events stay, so a correction
shows beside what it corrected (docs/adr/0018-corrections-and-recorded-time.md).
Casefile's history of the child links here rather than reading this stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from shared.eventstore import envelope as env
from shared.eventstore.factory import NatsFactory
from shared.eventstore.keyring import KeyRing


@dataclass(frozen=True)
class PlacementHistoryEntry:
    version: int
    event_type: str
    recorded_at: datetime
    effective_date: date | None
    actor: str
    role: str
    purpose: str
    on_behalf_of: str | None
    break_glass_reason: str | None
    #: The placement the event is about (the new one, for a move).
    placement_id: UUID | None
    #: Why a correction was made (a code); None for other events.
    reason: str | None


def of_history(
    factory: object, aggregate_id: UUID, domain_events: list[Any], keyring: KeyRing | None = None
) -> tuple[list[PlacementHistoryEntry], bool]:
    """The entries of one placement history, oldest first, and whether its chain is intact."""
    if not isinstance(factory, NatsFactory):
        raise TypeError("the placement history needs PERSISTENCE_MODULE=shared.eventstore")
    subject = f"{factory.subject_prefix}.events.{aggregate_id}"
    messages = factory.reader.all_on_subject(factory.stream, subject)
    intact = not env.verify_chain([(m.headers, m.data) for m in messages])
    by_version = {e.originator_version: e for e in domain_events}
    entries = []
    for message in messages:
        headers = message.headers
        version = int(headers.get(env.VERSION, "0"))
        event = by_version.get(version)
        effective = headers.get(env.EFFECTIVE_DATE)
        recorded = headers.get(env.RECORDED_AT)
        placement_id = getattr(event, "placement_id", None)
        entries.append(
            PlacementHistoryEntry(
                version=version,
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
                placement_id=UUID(str(placement_id)) if placement_id else None,
                reason=getattr(event, "reason", None),
            )
        )
    return entries, intact
