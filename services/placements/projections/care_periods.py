"""Periods of care and the people responsible, learnt from casefile's integration events.

Reads the `INTEGRATION_CASEFILE` stream (never casefile's code) into `children`,
`periods_of_care`, `legal_statuses`, `social_worker_allocations` and
`iro_appointments`: what placement commands, the stability figures and the
relationship check need. Only what casefile's relay published is taken:
anything else on the stream is quarantined, recorded in `quarantined_messages`
and reported, never applied (`shared/contracts/quarantine.py`).
See docs/adr/0009-what-placements-learns-and-who-is-related.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from shared.contracts import casefile
from shared.contracts.quarantine import (
    QUARANTINE_DDL,
    QUARANTINE_TABLE,
    Quarantined,
    accept_from_relay,
    quarantine,
)
from shared.contracts.relay import IntegrationMessage, integration_stream
from shared.eventstore import envelope as env
from shared.eventstore.reader import StoredMessage
from shared.projections import Delivered, Projection, Source
from shared.projections.runner import Erased

SCHEMA = "placements_care_periods"

_DDL = """
CREATE TABLE IF NOT EXISTS children (
    child_id text PRIMARY KEY,
    date_of_birth date NOT NULL
);
CREATE TABLE IF NOT EXISTS periods_of_care (
    child_id text NOT NULL,
    period_id text NOT NULL,
    start_date date NOT NULL,
    end_date date,
    PRIMARY KEY (child_id, period_id)
);
CREATE TABLE IF NOT EXISTS legal_statuses (
    child_id text NOT NULL,
    period_id text NOT NULL,
    effective_date date NOT NULL,
    legal_status text NOT NULL,
    PRIMARY KEY (child_id, period_id, effective_date)
);
CREATE TABLE IF NOT EXISTS social_worker_allocations (
    child_id text NOT NULL,
    seq bigint NOT NULL,
    effective_date date NOT NULL,
    social_worker_id text NOT NULL,
    team text NOT NULL,
    PRIMARY KEY (child_id, seq)
);
CREATE INDEX IF NOT EXISTS social_worker_allocations_worker
    ON social_worker_allocations (social_worker_id);
CREATE TABLE IF NOT EXISTS iro_appointments (
    child_id text NOT NULL,
    seq bigint NOT NULL,
    effective_date date NOT NULL,
    iro_id text NOT NULL,
    PRIMARY KEY (child_id, seq)
);
-- Every fact taken, as published, with when casefile recorded it: the tables
-- above as they stood at any moment (figures "as the record stood at T", ADR 0018).
CREATE TABLE IF NOT EXISTS learned_facts (
    seq bigint PRIMARY KEY,
    child_id text NOT NULL,
    recorded_at timestamptz,
    event_type text NOT NULL,
    facts jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS learned_facts_by_child ON learned_facts (child_id, seq);
"""


#: The facts the figures are rebuilt from "as recorded at T" (`queries._casefile_facts`).
LEARNED = (
    casefile.ChildRegistered,
    casefile.ChildDetailsCorrected,
    casefile.ChildRegisteredV1,
    casefile.ChildDetailsCorrectedV1,
    casefile.PeriodOfCareStarted,
    casefile.LegalStatusChanged,
    casefile.PeriodOfCareEnded,
    casefile.SocialWorkerAllocated,
)


def decode_casefile(message: StoredMessage) -> IntegrationMessage | Erased | Quarantined | None:
    """A casefile integration message, or None for a type this service does not know.

    A tolerant reader: casefile may publish new event types (or new
    versions) before this service learns them, and one it does not know
    cannot change anything here. A message casefile's relay did not publish,
    or that does not match its contract, is `Quarantined`: never applied.
    """
    decoded: IntegrationMessage | Erased | Quarantined | None
    decoded = accept_from_relay(casefile.SERVICE, message)
    return decoded


class CarePeriods(Projection):
    name = SCHEMA
    tables = (
        "children",
        "periods_of_care",
        "legal_statuses",
        "social_worker_allocations",
        "iro_appointments",
        "learned_facts",
        QUARANTINE_TABLE,
    )

    def sources(self) -> Sequence[Source]:
        return [
            Source(
                integration_stream(casefile.SERVICE),
                f"integration.{casefile.SERVICE}.>",
                decode_casefile,
            )
        ]

    def schema_sql(self) -> str:
        return _DDL + QUARANTINE_DDL

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        message = delivered.event
        if isinstance(message, Quarantined):
            await quarantine(
                conn, self.name, delivered.stream, delivered.seq, delivered.subject, message
            )
            return
        if message is None:
            return
        assert isinstance(message, IntegrationMessage)
        e: Any = message.data
        if isinstance(e, LEARNED):  # only what the figures need: nothing else is kept
            recorded = message.headers.get(env.RECORDED_AT)
            await conn.execute(
                "INSERT INTO learned_facts (seq, child_id, recorded_at, event_type, facts) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                delivered.seq,
                e.child_id,
                datetime.fromisoformat(recorded) if recorded else None,
                type(e).event_type,
                e.model_dump_json(),
            )
        if isinstance(
            e,
            casefile.ChildRegistered
            | casefile.ChildDetailsCorrected
            | casefile.ChildRegisteredV1
            | casefile.ChildDetailsCorrectedV1,
        ):
            await conn.execute(
                "INSERT INTO children (child_id, date_of_birth) VALUES ($1, $2) "
                "ON CONFLICT (child_id) DO UPDATE SET date_of_birth = EXCLUDED.date_of_birth",
                e.child_id,
                e.date_of_birth,
            )
        elif isinstance(e, casefile.PeriodOfCareStarted):
            await conn.execute(
                "INSERT INTO periods_of_care (child_id, period_id, start_date) VALUES ($1, $2, $3) "
                "ON CONFLICT (child_id, period_id) DO UPDATE SET start_date = EXCLUDED.start_date",
                e.child_id,
                e.period_id,
                e.start_date,
            )
            await self._legal_status(conn, e.child_id, e.period_id, e.start_date, e.legal_status)
        elif isinstance(e, casefile.LegalStatusChanged):
            if e.effective_date is not None:
                await self._legal_status(
                    conn, e.child_id, e.period_id, e.effective_date, e.legal_status
                )
        elif isinstance(e, casefile.PeriodOfCareEnded):
            await conn.execute(
                "UPDATE periods_of_care SET end_date = $3 WHERE child_id = $1 AND period_id = $2",
                e.child_id,
                e.period_id,
                e.end_date,
            )
        elif isinstance(e, casefile.SocialWorkerAllocated):
            if e.effective_date is not None:
                await conn.execute(
                    "INSERT INTO social_worker_allocations "
                    "(child_id, seq, effective_date, social_worker_id, team) "
                    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    e.child_id,
                    delivered.seq,
                    e.effective_date,
                    e.social_worker_id,
                    e.team,
                )
        elif isinstance(e, casefile.IroAppointed) and e.effective_date is not None:
            await conn.execute(
                "INSERT INTO iro_appointments (child_id, seq, effective_date, iro_id) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                e.child_id,
                delivered.seq,
                e.effective_date,
                e.iro_id,
            )

    @staticmethod
    async def _legal_status(
        conn: asyncpg.Connection, child_id: str, period_id: str, day: Any, legal_status: str
    ) -> None:
        await conn.execute(
            "INSERT INTO legal_statuses (child_id, period_id, effective_date, legal_status) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (child_id, period_id, effective_date) "
            "DO UPDATE SET legal_status = EXCLUDED.legal_status",
            child_id,
            period_id,
            day,
            legal_status,
        )
