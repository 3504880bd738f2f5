"""Integration events are taken only from their owner's relay; anything else is quarantined.

NATS permissions let only a service's own credentials publish on
`integration.<service>.>` (docs/adr/0014-nats-credentials-and-permissions.md),
but the admin can, and so could a stolen or misused credential. A consumer
therefore accepts a message on another service's integration stream only if
it is what that service's relay publishes (`shared/contracts/relay.py`):

- its subject is under `integration.<service>.`;
- it carries the relay's source headers, `Belonging-Source-Sequence` (a
  stream sequence, from 1) and `Belonging-Source-Index` (from 0);
- it decodes (`decode_integration`) into its contract, and its CloudEvent
  `source` is `/belonging/<service>`.

Anything else is `Quarantined`: never applied, never re-published, and it
never stops the projection that meets it (an inbound message is the sender's
fault, and stopping on one would let whoever can publish halt every
consumer). The projection records it, in the same transaction as its
position (`quarantine`), in its schema's `quarantined_messages` table; it is
logged (`integration_message_quarantined`), counted
(`belonging.integration.quarantined`) and reported by `/ready` as degraded.
A type the consumer does not know yet is still passed over quietly (a
tolerant reader), but only from the relay. A consumer given no integration
key to open sealed data is misconfigured, not attacked: its projection stops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from opentelemetry import metrics

from shared.contracts.relay import SOURCE_INDEX, SOURCE_SEQUENCE, IntegrationMessage
from shared.contracts.relay import decode_integration as _decode_integration
from shared.contracts.sealing import NoIntegrationKey
from shared.eventstore.reader import StoredMessage

log = structlog.get_logger(__name__)

#: The table, in each quarantining projection's schema; list it in the projection's `tables`.
QUARANTINE_TABLE = "quarantined_messages"
QUARANTINE_DDL = f"""
CREATE TABLE IF NOT EXISTS {QUARANTINE_TABLE} (
    stream text NOT NULL,
    seq bigint NOT NULL,
    subject text NOT NULL,
    reason text NOT NULL,
    PRIMARY KEY (stream, seq)
);
"""

_quarantined = metrics.get_meter("belonging.integration").create_counter(
    "belonging.integration.quarantined",
    unit="{message}",
    description="Integration messages not accepted: not from their owner's relay, or malformed",
)


@dataclass(frozen=True)
class Quarantined:
    """An integration message that was not accepted, and why."""

    reason: str


def _relay_position(message: StoredMessage) -> str | None:
    """Why the message does not carry a relay's source headers, or None if it does."""
    sequence, index = message.header(SOURCE_SEQUENCE), message.header(SOURCE_INDEX)
    if sequence is None or index is None:
        return f"no relay source headers ({SOURCE_SEQUENCE}, {SOURCE_INDEX})"
    try:
        if int(sequence) < 1 or int(index) < 0:
            raise ValueError
    except ValueError:
        return f"relay source headers that are not a position: {sequence!r}, {index!r}"
    return None


def accept_from_relay(
    service: str,
    message: StoredMessage,
    decode: Callable[[StoredMessage], Any] = _decode_integration,
) -> Any:
    """The decoded message if `service`'s relay published it; else `Quarantined`.

    None for a type this consumer does not know (a tolerant reader); what
    `decode` gives otherwise (an `IntegrationMessage`, or `ERASED` for an
    erased child).
    """
    if not message.subject.startswith(f"integration.{service}."):
        return Quarantined(f"subject {message.subject!r} is not {service}'s")
    refused = _relay_position(message)
    if refused is not None:
        return Quarantined(refused)
    try:
        decoded = decode(message)
    except LookupError:
        return None  # a type (or version) this service does not know yet
    except NoIntegrationKey:
        raise  # not the message's fault but ours: the projection stops, naming it
    except Exception as e:
        return Quarantined(f"cannot decode: {e!r}"[:500])
    if isinstance(decoded, IntegrationMessage) and decoded.source != f"/belonging/{service}":
        return Quarantined(f"CloudEvent source {decoded.source!r} is not {service}'s relay")
    return decoded


def from_relay(
    service: str, decode: Callable[[StoredMessage], Any] = _decode_integration
) -> Callable[[StoredMessage], Any]:
    """A `Source` decoder for `service`'s integration stream (`accept_from_relay`)."""

    def decode_from_relay(message: StoredMessage) -> Any:
        return accept_from_relay(service, message, decode)

    return decode_from_relay


async def quarantine(
    conn: asyncpg.Connection,
    projection: str,
    stream: str,
    seq: int,
    subject: str,
    quarantined: Quarantined,
) -> None:
    """Records a quarantined message in the projection's schema (its transaction), logs, counts."""
    inserted = await conn.execute(
        f"INSERT INTO {QUARANTINE_TABLE} (stream, seq, subject, reason) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING",
        stream,
        seq,
        subject,
        quarantined.reason,
    )
    log.warning(
        "integration_message_quarantined",
        projection=projection,
        stream=stream,
        seq=seq,
        subject=subject,
        reason=quarantined.reason,
    )
    if not inserted.endswith(" 0"):
        _quarantined.add(1, {"projection": projection, "stream": stream})


async def quarantined_count(conn: asyncpg.Connection, schema: str) -> int:
    """How many messages the projection in `schema` has quarantined."""
    quoted = '"' + schema.replace('"', '""') + '"'
    value = await conn.fetchval(f"SELECT count(*) FROM {quoted}.{QUARANTINE_TABLE}")
    return int(value or 0)


async def quarantined(conn: asyncpg.Connection, projection: str, delivered: Any) -> bool:
    """Records `delivered` in the projection's quarantine if it was refused; whether it was.

    The first thing a consuming projection's `apply` asks of each event.
    """
    if not isinstance(delivered.event, Quarantined):
        return False
    await quarantine(
        conn, projection, delivered.stream, delivered.seq, delivered.subject, delivered.event
    )
    return True
