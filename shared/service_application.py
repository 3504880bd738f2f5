"""What every service's `eventsourcing` Application has in common.

- `datetime.date` is stored as an ISO date: every fact carries an
  `effective_date`, and the library's JSON transcoder has no date type.
- The mapper is `EnvelopeMapper`, which lifts `effective_date` and
  `child_id` into the audit envelope before the body is encrypted.
Persistence (NATS in services, in-memory in unit tests), cipher and
compressor still come from the environment, as the library intends.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Transcoding

# AES-GCM through the `cryptography` package: about 3 µs to decrypt an event
# where the pycryptodome-based `eventsourcing.cipher` takes about 120 µs
# (measured by `make bench --profile replay`); both read each other's output.
CIPHER_TOPIC = "eventsourcing.cryptography:AESCipher"


class DateAsISO(Transcoding):
    """Stores `datetime.date` as an ISO 8601 string ("2024-03-31")."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ServiceApplication(Application[UUID]):
    env: ClassVar[dict[str, str]] = {"MAPPER_TOPIC": "shared.eventstore.envelope:EnvelopeMapper"}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
