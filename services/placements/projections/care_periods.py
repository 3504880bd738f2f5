"""Periods of care and the people responsible, learnt from casefile's integration events.

What every service learns from casefile (`shared.casefile_facts.CasefileFacts`:
the child's date of birth, periods of care, allocations, IRO appointments;
only what casefile's relay published, anything else quarantined), plus what
placements alone needs: `legal_statuses` (the stability cohorts exclude an
agreed series of short breaks, V3/V4, by legal status on the day) and
`learned_facts` (each fact as published, with when casefile recorded it, so
figures can be asked "as the record stood at T": ADR 0018). Placements keeps
no NHS number digest: it matches no health record.
See docs/adr/0009-what-placements-learns-and-who-is-related.md.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from shared.casefile_facts import CasefileFacts
from shared.contracts import casefile
from shared.contracts.relay import IntegrationMessage
from shared.eventstore import envelope as env
from shared.projections import Delivered

SCHEMA = "placements_care_periods"

_DDL = """
CREATE TABLE IF NOT EXISTS legal_statuses (
    child_id text NOT NULL,
    period_id text NOT NULL,
    effective_date date NOT NULL,
    legal_status text NOT NULL,
    PRIMARY KEY (child_id, period_id, effective_date)
);
-- Every fact taken, as published, with when casefile recorded it: the tables
-- as they stood at any moment (figures "as the record stood at T", ADR 0018).
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


class CarePeriods(CasefileFacts):
    """Casefile's facts as every service keeps them, with legal statuses and recorded times."""

    name = SCHEMA
    tables = (*CasefileFacts.tables, "legal_statuses", "learned_facts")

    def __init__(self) -> None:
        super().__init__(SCHEMA)

    def schema_sql(self) -> str:
        return super().schema_sql() + _DDL

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        message = delivered.event
        if isinstance(message, IntegrationMessage) and isinstance(
            message.data, casefile.ChildNhsNumberRecorded
        ):
            return  # for health's matching only: placements keeps no digest
        await super().apply(conn, delivered)
        if not isinstance(message, IntegrationMessage):
            return
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
        if isinstance(e, casefile.PeriodOfCareStarted):
            await self._legal_status(conn, e.child_id, e.period_id, e.start_date, e.legal_status)
        elif isinstance(e, casefile.LegalStatusChanged) and e.effective_date is not None:
            await self._legal_status(
                conn, e.child_id, e.period_id, e.effective_date, e.legal_status
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
