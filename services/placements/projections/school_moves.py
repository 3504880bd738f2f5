"""Mid-year school moves: the Stability Index's school input, from the education service.

The education service decides which school moves were mid-year and will publish
them as integration events. It does not exist yet, so this projection has no
source, its table is empty, and until it is connected every child's mid-year
school moves are unknown: the Stability Index shows the measure as null with the
reason, never as 0.0 %. How to connect it: docs/adr/0002-placement-stability-measures.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg

from shared.projections import Delivered, Projection, Source

SCHEMA = "placements_school_moves"

_DDL = """
CREATE TABLE IF NOT EXISTS mid_year_school_moves (
    stream text NOT NULL,
    seq bigint NOT NULL,
    child_id text NOT NULL,
    move_date date NOT NULL,
    PRIMARY KEY (stream, seq)
);
CREATE INDEX IF NOT EXISTS mid_year_school_moves_child ON mid_year_school_moves (child_id);
"""


@dataclass(frozen=True)
class MidYearSchoolMove:
    """A school move the education service classed as mid-year."""

    child_id: str
    move_date: date


ReadMove = Callable[[Any], MidYearSchoolMove | None]


def no_school_moves(_: Any) -> MidYearSchoolMove | None:
    """The default reader: no source yet, so nothing is a school move."""
    return None


class SchoolMoves(Projection):
    name = SCHEMA
    tables = ("mid_year_school_moves",)

    def __init__(
        self, sources: Sequence[Source] = (), read_move: ReadMove = no_school_moves
    ) -> None:
        self._sources = tuple(sources)
        self._read_move = read_move

    def sources(self) -> Sequence[Source]:
        return self._sources

    @property
    def connected(self) -> bool:
        """Whether anything feeds this read model (else school moves are unknown)."""
        return bool(self._sources)

    def schema_sql(self) -> str:
        return _DDL

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        move = self._read_move(delivered.event)
        if move is None:
            return
        await conn.execute(
            "INSERT INTO mid_year_school_moves (stream, seq, child_id, move_date) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            delivered.stream,
            delivered.seq,
            move.child_id,
            move.move_date,
        )
