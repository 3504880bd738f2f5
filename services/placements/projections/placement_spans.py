"""One row per placement, from this service's own domain events.

Each row is what `domain.stability.PlacementSpan` needs, plus how the placement
began and the SSDA903 reason a move ended it. A move ends one row and starts the
next in the same event. Staying Put is kept apart (`staying_put`), not as a
placement.
See docs/adr/0009-what-placements-learns-and-who-is-related.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import asyncpg

from services.placements.domain import events
from shared.projections import Delivered, Projection, Source

SCHEMA = "placements_spans"

_DDL = """
CREATE TABLE IF NOT EXISTS placement_spans (
    placement_id text PRIMARY KEY,
    child_id text NOT NULL,
    start_date date NOT NULL,
    end_date date,
    placement_type text NOT NULL,
    placement_provider text,
    carer_id text,
    postcode text,
    short_break boolean NOT NULL,
    began_with text NOT NULL,          -- 'start', 'move' or 'adoption'
    reason_place_change text           -- SSDA903 REASON_PLACE_CHANGE when a move ended it
);
CREATE INDEX IF NOT EXISTS placement_spans_child ON placement_spans (child_id);
CREATE TABLE IF NOT EXISTS staying_put (
    child_id text PRIMARY KEY,
    placement_id text NOT NULL,
    start_date date NOT NULL
);
"""

_INSERT = (
    "INSERT INTO placement_spans (placement_id, child_id, start_date, placement_type, "
    "placement_provider, carer_id, postcode, short_break, began_with) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
)
_CLOSE = (
    "UPDATE placement_spans SET end_date = $2, reason_place_change = $3 WHERE placement_id = $1"
)


class PlacementSpans(Projection):
    name = SCHEMA
    tables = ("placement_spans", "staying_put")

    def __init__(self, source: Source) -> None:
        self._source = source

    def sources(self) -> Sequence[Source]:
        return [self._source]

    def schema_sql(self) -> str:
        return _DDL

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        e: Any = delivered.event
        if isinstance(e, events.PlacementStarted):
            await self._start(conn, e, "start", e.short_break)
        elif isinstance(e, events.PlacementChanged):
            await conn.execute(
                _CLOSE, str(e.from_placement_id), e.effective_date, e.reason_place_change
            )
            await self._start(conn, e, "move", e.short_break)
        elif isinstance(e, events.PlacedForAdoption):
            await conn.execute(
                _CLOSE, str(e.from_placement_id), e.effective_date, e.reason_place_change
            )
            await self._start(conn, e, "adoption", False)
        elif isinstance(e, events.PlacementEnded):
            await conn.execute(_CLOSE, str(e.placement_id), e.effective_date, None)
        elif isinstance(e, events.StayingPutStarted):
            await conn.execute(
                "UPDATE placement_spans SET end_date = $2 "
                "WHERE placement_id = $1 AND end_date IS NULL",
                str(e.placement_id),
                e.effective_date,
            )
            await conn.execute(
                "INSERT INTO staying_put (child_id, placement_id, start_date) VALUES ($1, $2, $3)",
                str(e.child_id),
                str(e.placement_id),
                e.effective_date,
            )

    @staticmethod
    async def _start(conn: asyncpg.Connection, e: Any, began_with: str, short_break: bool) -> None:
        await conn.execute(
            _INSERT,
            str(e.placement_id),
            str(e.child_id),
            e.effective_date,
            e.placement_type,
            e.provider,
            e.carer_id,
            e.postcode,
            short_break,
            began_with,
        )
