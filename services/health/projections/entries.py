"""One row per health entry, from this service's own events: the scorecard, deadlines
and chronology read it.

Each row keeps when it was recorded and, once taken out by a correction, when
that was recorded (`voided_at`): the entries as the record stood at T are those
recorded by T and not voided by T (recorded time, docs/adr/0018). Only dates,
kinds and coded values: the details a status needs, never a note.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import asyncpg

from services.health.domain import events
from shared.projections import Delivered, Projection, Source

SCHEMA = "health_entries"

_DDL = """
CREATE TABLE IF NOT EXISTS health_entries (
    entry_id text PRIMARY KEY,
    child_id text NOT NULL,
    kind text NOT NULL,
    day date NOT NULL,
    details jsonb NOT NULL,
    recorded_at timestamptz NOT NULL,
    voided_at timestamptz
);
CREATE INDEX IF NOT EXISTS health_entries_child ON health_entries (child_id, day);
"""


class HealthEntries(Projection):
    name = SCHEMA
    tables = ("health_entries",)

    def __init__(self, source: Source) -> None:
        self._source = source

    def sources(self) -> Sequence[Source]:
        return [self._source]

    def schema_sql(self) -> str:
        return _DDL

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        e: Any = delivered.event
        if isinstance(e, events.EntryRecorded):
            await conn.execute(
                "INSERT INTO health_entries "
                "(entry_id, child_id, kind, day, details, recorded_at) "
                "VALUES ($1, $2, $3, $4, $5::jsonb, $6) ON CONFLICT (entry_id) DO NOTHING",
                str(e.entry_id),
                str(e.child_id),
                e.kind,
                e.effective_date,
                json.dumps(dict(e.details), default=str),
                delivered.recorded_at,
            )
        elif isinstance(e, events.EntryVoided):
            await conn.execute(
                "UPDATE health_entries SET voided_at = $2 WHERE entry_id = $1",
                str(e.entry_id),
                delivered.recorded_at,
            )
