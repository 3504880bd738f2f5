"""The keyed digests of children's UPNs, from casefile's `child.pupil-number.v1`.

A school's feed row names a pupil by UPN; education digests it the same way
(`shared.contracts.pupil_numbers.upn_digest`) and looks the digest up here.
The UPN itself never reaches this service from casefile (docs/adr/0021).
Quarantine is recorded by `CasefileFacts`, which reads every casefile subject.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from shared.contracts import casefile
from shared.contracts.quarantine import from_relay
from shared.contracts.relay import IntegrationMessage, integration_stream
from shared.projections import Delivered, Projection, Source

SCHEMA = "education_pupil_numbers"


class PupilNumbers(Projection):
    name = SCHEMA
    tables = ("upn_digests",)

    def sources(self) -> Sequence[Source]:
        return [
            Source(
                integration_stream(casefile.SERVICE),
                casefile.ChildPupilNumberRecorded.subject(),
                from_relay(casefile.SERVICE),
            )
        ]

    def schema_sql(self) -> str:
        return """
        CREATE TABLE IF NOT EXISTS upn_digests (
            child_id text PRIMARY KEY,
            digest text NOT NULL
        );
        CREATE INDEX IF NOT EXISTS upn_digests_digest ON upn_digests (digest);
        """

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        message = delivered.event
        if not isinstance(message, IntegrationMessage):
            return
        e = message.data
        if not isinstance(e, casefile.ChildPupilNumberRecorded):
            return
        if e.upn_digest is None:
            await conn.execute("DELETE FROM upn_digests WHERE child_id = $1", e.child_id)
        else:
            await conn.execute(
                "INSERT INTO upn_digests (child_id, digest) VALUES ($1, $2) "
                "ON CONFLICT (child_id) DO UPDATE SET digest = EXCLUDED.digest",
                e.child_id,
                e.upn_digest,
            )
