"""This service's own events, one row each, for each child's status on any date.

Each row is one domain event of a child's `EducationRecord`: its kind (the
event's name), its facts as JSON (the child's views, free text, left out),
its stream sequence and when it was recorded. `ReadModels.status` folds a
child's rows through `EducationState.apply`, the function the aggregate itself
uses, so the status cannot drift from the record; with `recorded_by` it folds
only the rows recorded by then (what the record said at that moment).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg

from shared.projections import Delivered, Projection, Source

SCHEMA = "education_status"
#: Never in the read model: free text stays in the record (the API shows it by role).
_LEFT_OUT = frozenset({"originator_id", "originator_version", "timestamp", "child_views"})


def _plain(value: Any) -> Any:
    if isinstance(value, date | UUID):
        return str(value)
    return value


def facts_of(event: Any) -> dict[str, Any]:
    """The event's facts as JSON-able values (dates as ISO text)."""
    return {
        k: [_plain(v) for v in value] if isinstance(value, list | tuple) else _plain(value)
        for k, value in vars(event).items()
        if k not in _LEFT_OUT and not k.startswith("_")
    }


class EducationFacts(Projection):
    name = SCHEMA
    tables = ("education_facts",)

    def __init__(self, source: Source) -> None:
        self._source = source

    def sources(self) -> Sequence[Source]:
        return [self._source]

    def schema_sql(self) -> str:
        return """
        CREATE TABLE IF NOT EXISTS education_facts (
            stream text NOT NULL,
            seq bigint NOT NULL,
            child_id text NOT NULL,
            recorded_at timestamptz NOT NULL,
            kind text NOT NULL,
            data jsonb NOT NULL,
            PRIMARY KEY (stream, seq)
        );
        CREATE INDEX IF NOT EXISTS education_facts_child ON education_facts (child_id, seq);
        """

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        event = delivered.event
        child_id = getattr(event, "child_id", None)
        if child_id is None:
            return  # the access log's reads: not facts about the child's education
        await conn.execute(
            "INSERT INTO education_facts (stream, seq, child_id, recorded_at, kind, data) "
            "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            delivered.stream,
            delivered.seq,
            str(child_id),
            delivered.recorded_at,
            type(event).__name__,
            json.dumps(facts_of(event)),
        )
