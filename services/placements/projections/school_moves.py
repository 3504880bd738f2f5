"""Mid-year school moves: the Stability Index's school input, from the education service.

The education service decides which school moves were mid-year and publishes
the child's school history in full after every change to it
(`shared.contracts.education.SchoolMovesStated`: where its record starts and
the days of the mid-year moves), so a correction or a void replaces what was
here. `education_source()` and `read_statement` connect it (bootstrap.py).
A child education has no school record for has unknown school moves (null with
the reason), never none; before `school_record_from` likewise.
See docs/adr/0002-placement-stability-measures.md and 0021-education-service.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from shared.contracts import education
from shared.contracts.quarantine import from_relay
from shared.contracts.relay import IntegrationMessage, integration_stream
from shared.eventstore import envelope as env
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
CREATE TABLE IF NOT EXISTS school_records (
    child_id text PRIMARY KEY,
    school_record_from date
);
-- Every statement as education made it, with when it was recorded: the school
-- moves as the record stood at any moment (figures "as recorded at T", ADR 0018).
CREATE TABLE IF NOT EXISTS school_statements (
    seq bigint PRIMARY KEY,
    child_id text NOT NULL,
    recorded_at timestamptz,
    school_record_from date,
    moves date[] NOT NULL
);
CREATE INDEX IF NOT EXISTS school_statements_by_child ON school_statements (child_id, seq);
"""


@dataclass(frozen=True)
class MidYearSchoolMove:
    """A school move the education service classed as mid-year."""

    child_id: str
    move_date: date


@dataclass(frozen=True)
class SchoolMovesStatement:
    """The child's school history as education now states it: replaces what was known."""

    child_id: str
    school_record_from: date | None
    moves: tuple[date, ...]


ReadMove = Callable[[Any], MidYearSchoolMove | SchoolMovesStatement | None]


def read_statement(message: Any) -> SchoolMovesStatement | None:
    """Education's `SchoolMovesStated`, from its relay only (anything else: nothing)."""
    if not isinstance(message, IntegrationMessage):
        return None
    e = message.data
    if not isinstance(e, education.SchoolMovesStated):
        return None
    return SchoolMovesStatement(e.child_id, e.school_record_from, tuple(e.mid_year_moves))


def education_source() -> Source:
    """Education's integration stream: what this read model learns school moves from."""
    return Source(
        integration_stream(education.SERVICE),
        education.SchoolMovesStated.subject(),
        from_relay(education.SERVICE),
    )


def no_school_moves(_: Any) -> MidYearSchoolMove | None:
    """The default reader: no source yet, so nothing is a school move."""
    return None


class SchoolMoves(Projection):
    name = SCHEMA
    tables = ("mid_year_school_moves", "school_records", "school_statements")

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
        if isinstance(move, SchoolMovesStatement):
            await conn.execute(
                "DELETE FROM mid_year_school_moves WHERE child_id = $1", move.child_id
            )
            await conn.executemany(
                "INSERT INTO mid_year_school_moves (stream, seq, child_id, move_date) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                # One statement's moves share its sequence: the stream column keeps them apart.
                [
                    (f"{delivered.stream}#{index}", delivered.seq, move.child_id, day)
                    for index, day in enumerate(move.moves)
                ],
            )
            await conn.execute(
                "INSERT INTO school_records (child_id, school_record_from) VALUES ($1, $2) "
                "ON CONFLICT (child_id) DO UPDATE SET school_record_from = "
                "EXCLUDED.school_record_from",
                move.child_id,
                move.school_record_from,
            )
            recorded = delivered.headers.get(env.RECORDED_AT)
            await conn.execute(
                "INSERT INTO school_statements "
                "(seq, child_id, recorded_at, school_record_from, moves) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                delivered.seq,
                move.child_id,
                datetime.fromisoformat(recorded) if recorded else None,
                move.school_record_from,
                list(move.moves),
            )
            return
        await conn.execute(
            "INSERT INTO mid_year_school_moves (stream, seq, child_id, move_date) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            delivered.stream,
            delivered.seq,
            move.child_id,
            move.move_date,
        )
