"""The audit envelope: what every stored event says, in clear, outside its body.

Each event's NATS headers carry who did what to which child's record, when and
why, and an integrity hash chaining it to the aggregate's previous event, so an
auditor can check the record without the key that decrypts the body (DESIGN.md,
"Audit envelope"; docs/adr/0003-event-store-layout-and-concurrency.md).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent

from shared.eventstore.keyring import KeyDestroyed, KeyRing, record_keyring
from shared.eventstore.reader import StoredMessage
from shared.observability.tracing import inject_headers
from shared.request_context import current

# Header names.
ID = "Es-Id"  # content id of the event: sha256 of originator, version, topic, body
ORIGINATOR = "Es-Originator"
ORIGINATOR_IS_UUID = "Es-Uuid"
VERSION = "Es-Version"
TOPIC = "Es-Topic"
CHILD = "Belonging-Child"
EVENT_TYPE = "Belonging-Event-Type"
ACTOR = "Belonging-Actor"
ROLE = "Belonging-Role"
ON_BEHALF_OF = "Belonging-On-Behalf-Of"
PURPOSE = "Belonging-Purpose"
BREAK_GLASS = "Belonging-Break-Glass"
EFFECTIVE_DATE = "Belonging-Effective-Date"
RECORDED_AT = "Belonging-Recorded-At"
PREVIOUS_HASH = "Belonging-Previous-Hash"
INTEGRITY = "Belonging-Integrity"
TRACKING_ID = "Es-Tracking-Id"

GENESIS = "0" * 64

# What the integrity hash covers, in this order (the body is appended last).
CHAINED_HEADERS = (
    ORIGINATOR,
    VERSION,
    TOPIC,
    CHILD,
    EVENT_TYPE,
    ACTOR,
    ROLE,
    ON_BEHALF_OF,
    PURPOSE,
    BREAK_GLASS,
    EFFECTIVE_DATE,
    RECORDED_AT,
    PREVIOUS_HASH,
)


@dataclass(frozen=True)
class EnvelopedStoredEvent(StoredEvent):
    """A stored event that also carries facts read from the domain event."""

    envelope: dict[str, str] = field(default_factory=dict, compare=False)


class EnvelopeMapper(Mapper[UUID]):
    """Reads `effective_date` and `child_id` from domain events before encryption.

    Convention for domain events: a real-world fact's date is the field
    `effective_date`; an event of an aggregate owned by a child may carry
    `child_id`. Otherwise the child comes from the request context.

    With a key ring (`use_record_keys`), each record's bodies are encrypted
    under the record's own data key instead of the service's key, so that a
    record can be erased by destroying its key (shared/eventstore/keyring.py).
    """

    keyring: KeyRing | None = None

    def use_record_keys(self, keyring: KeyRing) -> None:
        """From now on, bodies are sealed under each record's own key."""
        self.keyring = keyring
        self.cipher = None

    def to_stored_event(self, domain_event: DomainEventProtocol[Any]) -> StoredEvent:
        stored = super().to_stored_event(domain_event)
        state = stored.state
        if self.keyring is not None:
            state = self.keyring.encrypt(str(stored.originator_id), state)
        envelope: dict[str, str] = {
            RECORDED_AT: getattr(domain_event, "timestamp", datetime.now(UTC))
            .astimezone(UTC)
            .isoformat(),
        }
        effective = getattr(domain_event, "effective_date", None)
        if isinstance(effective, datetime):
            envelope[EFFECTIVE_DATE] = effective.date().isoformat()
        elif isinstance(effective, date):
            envelope[EFFECTIVE_DATE] = effective.isoformat()
        child = getattr(domain_event, "child_id", None)
        if child is not None:
            envelope[CHILD] = str(child)
        reason = current().break_glass_reason
        if reason and self.keyring is not None:
            # Free text about the child: sealed with the record, erased with it.
            sealed = self.keyring.encrypt(str(stored.originator_id), _clean(reason).encode())
            envelope[BREAK_GLASS] = SEALED_PREFIX + base64.b64encode(sealed).decode()
        return EnvelopedStoredEvent(
            originator_id=stored.originator_id,
            originator_version=stored.originator_version,
            topic=stored.topic,
            state=state,
            envelope=envelope,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """Opens the body with its record's key first; KeyDestroyed if the record is erased."""
        if self.keyring is not None:
            stored_event = StoredEvent(
                originator_id=stored_event.originator_id,
                originator_version=stored_event.originator_version,
                topic=stored_event.topic,
                state=self.keyring.decrypt(str(stored_event.originator_id), stored_event.state),
            )
        return super().to_domain_event(stored_event)


def protect_records(mapper: Mapper[Any], factory: Any, env: Any) -> None:
    """Gives an application's mapper its key ring, when the service has a key to wrap with."""
    key = getattr(mapper.cipher, "key", None)
    if isinstance(mapper, EnvelopeMapper) and isinstance(key, bytes):
        mapper.use_record_keys(record_keyring(factory, env, key))


#: A header value sealed under the record's key (the break-glass reason).
SEALED_PREFIX = "sealed:"


def break_glass_reason(headers: dict[str, str], keyring: KeyRing | None) -> str | None:
    """The break-glass reason of an event, opened with its record's key.

    "(erased)" once the record's key is destroyed; "(sealed)" to a reader
    without the key ring (the envelope stays checkable without any key).
    """
    value = headers.get(BREAK_GLASS)
    if not value or not value.startswith(SEALED_PREFIX):
        return value
    if keyring is None:
        return "(sealed)"
    try:
        body = base64.b64decode(value[len(SEALED_PREFIX) :], validate=True)
        return keyring.decrypt(headers.get(ORIGINATOR, ""), body).decode()
    except KeyDestroyed:
        return "(erased)"


def event_type(topic: str) -> str:
    """`services.casefile.domain.child:Child.Registered` -> `Child.Registered`."""
    return topic.rpartition(":")[2] or topic


def content_id(originator: str, version: int, topic: str, state: bytes) -> str:
    h = hashlib.sha256()
    h.update(f"{originator}\n{version}\n{topic}\n".encode())
    h.update(state)
    return h.hexdigest()[:40]


def integrity_hash(headers: dict[str, str], state: bytes) -> str:
    h = hashlib.sha256()
    for name in CHAINED_HEADERS:
        h.update(f"{name}:{headers.get(name, '')}\n".encode())
    h.update(state)
    return h.hexdigest()


def _clean(value: str) -> str:
    """Header values are one line; callers' text is bounded and flattened."""
    return " ".join(value.split())[:500]


def build_headers(
    stored_event: StoredEvent, originator: str, previous_hash: str, is_uuid: bool
) -> dict[str, str]:
    """Every header of one event, the integrity hash last."""
    context = current()
    headers: dict[str, str] = {
        ID: content_id(
            originator, stored_event.originator_version, stored_event.topic, stored_event.state
        ),
        VERSION: str(stored_event.originator_version),
        TOPIC: stored_event.topic,
        ORIGINATOR: originator,
    }
    if is_uuid:
        headers[ORIGINATOR_IS_UUID] = "1"
    envelope = stored_event.envelope if isinstance(stored_event, EnvelopedStoredEvent) else {}
    child = envelope.get(CHILD) or context.child_id
    if child:
        headers[CHILD] = child
    headers[EVENT_TYPE] = event_type(stored_event.topic)
    headers[ACTOR] = _clean(context.actor)
    headers[ROLE] = _clean(context.role)
    if context.on_behalf_of:
        headers[ON_BEHALF_OF] = _clean(context.on_behalf_of)
    headers[PURPOSE] = _clean(context.purpose)
    if context.break_glass_reason:
        headers[BREAK_GLASS] = envelope.get(BREAK_GLASS) or _clean(context.break_glass_reason)
    if EFFECTIVE_DATE in envelope:
        headers[EFFECTIVE_DATE] = envelope[EFFECTIVE_DATE]
    headers[RECORDED_AT] = envelope.get(RECORDED_AT) or datetime.now(UTC).isoformat()
    headers[PREVIOUS_HASH] = previous_hash
    headers[INTEGRITY] = integrity_hash(headers, stored_event.state)
    # The trace of the command that caused this event (W3C traceparent), so
    # one trace spans the REST command, the event and the projection update.
    return inject_headers(headers)


@lru_cache(maxsize=1 << 16)
def _uuid(text: str) -> UUID:
    """An aggregate's id, parsed once for all of its events."""
    return UUID(text)


def event_fields(message: StoredMessage) -> tuple[UUID | str, int, str]:
    """(originator id, version, topic) of a stored event: what a replay decodes first."""
    headers = message.headers
    text = headers.get(ORIGINATOR, "")
    return (
        _uuid(text) if headers.get(ORIGINATOR_IS_UUID) == "1" else text,
        int(headers.get(VERSION) or 0),
        headers.get(TOPIC, ""),
    )


def stored_event(message: StoredMessage, originator_id: UUID | str | None = None) -> StoredEvent:
    """The library's StoredEvent of a stored message (`originator_id`: already known)."""
    originator, version, topic = event_fields(message)
    return StoredEvent(
        originator_id=originator_id if originator_id is not None else originator,
        originator_version=version,
        topic=topic,
        state=message.data,
    )


def verify_chain(messages: list[tuple[dict[str, str], bytes]]) -> list[str]:
    """Problems found walking one aggregate's events in order (empty = intact)."""
    problems: list[str] = []
    previous = GENESIS
    for index, (headers, state) in enumerate(messages):
        where = f"event {index + 1} (version {headers.get(VERSION)})"
        if headers.get(PREVIOUS_HASH) != previous:
            problems.append(f"{where}: previous hash does not match the event before it")
        expected = integrity_hash(headers, state)
        if headers.get(INTEGRITY) != expected:
            problems.append(f"{where}: integrity hash does not match its content")
        previous = headers.get(INTEGRITY, "")
    return problems
