"""One row per placement, from this service's own domain events.

Each row is what `domain.stability.PlacementSpan` needs, plus how the placement
began and the SSDA903 reason a move ended it. A move ends one row and starts the
next in the same event. Staying Put is kept apart (`staying_put`), not as a
placement.
See docs/adr/0009-what-placements-learns-and-who-is-related.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
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
-- Recorded time: every state a placement row has had, from the event (stream
-- sequence `seq`, recorded at `recorded_at`) that gave it; `voided` once taken
-- out by a correction. The rows as they stood at T are, for each placement, the
-- latest with recorded_at <= T (ADR 0018).
CREATE TABLE IF NOT EXISTS placement_span_history (
    placement_id text NOT NULL,
    seq bigint NOT NULL,
    child_id text NOT NULL,
    recorded_at timestamptz NOT NULL,
    start_date date NOT NULL,
    end_date date,
    placement_type text NOT NULL,
    carer_id text,
    postcode text,
    short_break boolean NOT NULL,
    voided boolean NOT NULL,
    PRIMARY KEY (placement_id, seq)
);
CREATE INDEX IF NOT EXISTS placement_span_history_child
    ON placement_span_history (child_id, recorded_at);
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


_CORRECTIONS = (events.PlacementAmended, events.PlacementInserted, events.PlacementVoided)


class PlacementSpans(Projection):
    name = SCHEMA
    tables = ("placement_spans", "placement_span_history", "staying_put")

    def __init__(self, source: Source) -> None:
        self._source = source

    def sources(self) -> Sequence[Source]:
        return [self._source]

    def schema_sql(self) -> str:
        return _DDL

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        e: Any = delivered.event
        if isinstance(e, _CORRECTIONS):
            await _correct(conn, e, delivered)
            return
        await self._apply(conn, e)
        for placement_id in _touched(e):
            await _remember(conn, placement_id, delivered, voided=False)

    async def _apply(self, conn: asyncpg.Connection, e: Any) -> None:
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


# ----------------------------------------------------------- late corrections

_UPSERT = (
    "INSERT INTO placement_spans (placement_id, child_id, start_date, end_date, placement_type, "
    "placement_provider, carer_id, postcode, short_break, began_with, reason_place_change) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'insert', $10) "
    "ON CONFLICT (placement_id) DO UPDATE SET start_date = $3, end_date = $4, "
    "placement_type = $5, placement_provider = $6, carer_id = $7, postcode = $8, "
    "short_break = $9, reason_place_change = $10"
)
_REMEMBER = (
    "INSERT INTO placement_span_history (placement_id, seq, child_id, recorded_at, start_date, "
    "end_date, placement_type, carer_id, postcode, short_break, voided) "
    "SELECT placement_id, $2, child_id, $3, start_date, end_date, placement_type, carer_id, "
    "postcode, short_break, $4 FROM placement_spans WHERE placement_id = $1 "
    "ON CONFLICT DO NOTHING"
)


def _touched(e: Any) -> list[str]:
    """The placements an event (other than a correction) changed."""
    ids = [str(e.placement_id)] if hasattr(e, "placement_id") else []
    if hasattr(e, "from_placement_id"):
        ids.append(str(e.from_placement_id))
    return ids


async def _remember(
    conn: asyncpg.Connection, placement_id: str, delivered: Delivered, *, voided: bool
) -> None:
    """Keep the placement's row as it now stands, as of when the event was recorded."""
    await conn.execute(_REMEMBER, placement_id, delivered.seq, delivered.recorded_at, voided)


async def _correct(conn: asyncpg.Connection, e: Any, delivered: Delivered) -> None:
    """A correction carries the resulting rows (and the ones it removed): no rule here."""
    for placement_id in e.removed:
        await _remember(conn, placement_id, delivered, voided=True)
        await conn.execute("DELETE FROM placement_spans WHERE placement_id = $1", placement_id)
    for span in e.spans:
        await conn.execute(
            _UPSERT,
            span["placement_id"],
            str(e.child_id),
            date.fromisoformat(span["start"]),
            date.fromisoformat(span["end"]) if span["end"] else None,
            span["placement_type"],
            span["provider"],
            span["carer_id"],
            span["postcode"],
            bool(span["short_break"]),
            span["reason_place_change"],
        )
        await _remember(conn, span["placement_id"], delivered, voided=False)
