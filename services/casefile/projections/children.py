"""`children`: the register of children, for lists and `GET /v1/children`.

One row a child: local id, date of birth, whether looked after and under which
legal status since when, and who is allocated. "Current" means the latest by
effective date, so a backdated entry older than what the row shows changes
nothing; end dates are never in the future (the domain refuses them), so an
ended period means "not looked after now".
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
from psycopg import Connection
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from services.casefile.domain.child import Child
from services.casefile.projections.case_team import CaseTeamProjection
from shared.projections.runner import Delivered, Projection, Source


class ChildrenRegisterProjection(Projection):
    name = "casefile_children"
    tables = ("children",)

    def __init__(self, source: Source) -> None:
        self._source = source

    def sources(self) -> Sequence[Source]:
        return [self._source]

    def schema_sql(self) -> str:
        return """
        CREATE TABLE IF NOT EXISTS children (
            child_id text PRIMARY KEY,
            local_child_id text NOT NULL,
            date_of_birth date NOT NULL,
            registered_on date NOT NULL,
            looked_after boolean NOT NULL DEFAULT false,
            period_id text,
            period_start date,
            period_end date,
            legal_status text,
            legal_status_since date,
            social_worker_id text,
            team text,
            allocated_since date
        );
        CREATE INDEX IF NOT EXISTS children_by_local_id ON children (local_child_id);
        """

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        if not isinstance(delivered.event, Child.Event):
            return  # the access log
        e: Any = delivered.event  # fields differ by event; `kind` says which
        kind = type(e).__name__
        child_id = str(e.originator_id)
        if kind == "ChildRegistered":
            await conn.execute(
                "INSERT INTO children (child_id, local_child_id, date_of_birth, registered_on) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                child_id,
                e.local_child_id,
                e.date_of_birth,
                e.effective_date,
            )
        elif kind == "ChildDetailsCorrected":
            await conn.execute(
                "UPDATE children SET local_child_id = $2, date_of_birth = $3 WHERE child_id = $1",
                child_id,
                e.local_child_id,
                e.date_of_birth,
            )
        elif kind == "PeriodOfCareStarted":
            await conn.execute(
                "UPDATE children SET looked_after = true, period_id = $2, period_start = $3, "
                "period_end = NULL, legal_status = $4, legal_status_since = $3 "
                "WHERE child_id = $1 AND (period_start IS NULL OR period_start <= $3)",
                child_id,
                str(e.period_id),
                e.effective_date,
                e.legal_status,
            )
        elif kind == "LegalStatusChanged":
            await conn.execute(
                "UPDATE children SET legal_status = $3, legal_status_since = $4 "
                "WHERE child_id = $1 AND period_id = $2 AND legal_status_since <= $4",
                child_id,
                str(e.period_id),
                e.legal_status,
                e.effective_date,
            )
        elif kind == "PeriodOfCareEnded":
            await conn.execute(
                "UPDATE children SET looked_after = false, period_end = $3 "
                "WHERE child_id = $1 AND period_id = $2",
                child_id,
                str(e.period_id),
                e.effective_date,
            )
        elif kind == "SocialWorkerAllocated":
            await conn.execute(
                "UPDATE children SET social_worker_id = $2, team = $3, allocated_since = $4 "
                "WHERE child_id = $1 AND (allocated_since IS NULL OR allocated_since <= $4)",
                child_id,
                e.social_worker_id,
                e.team,
                e.effective_date,
            )


@dataclass(frozen=True)
class RegisteredChild:
    child_id: str
    local_child_id: str
    date_of_birth: date
    registered_on: date
    looked_after: bool
    period_id: str | None
    period_start: date | None
    period_end: date | None
    legal_status: str | None
    legal_status_since: date | None
    social_worker_id: str | None
    team: str | None
    allocated_since: date | None


@dataclass(frozen=True)
class Visibility:
    """Which children a caller may list: all of them, or those they are related to."""

    everyone: bool = False
    user_id: str | None = None
    relationships: Collection[str] = ()
    teams: Collection[str] = ()


class ChildrenRegister:
    """Queries over the `children` read model."""

    def __init__(
        self,
        pool: ConnectionPool[Connection[Any]],
        schema: str = ChildrenRegisterProjection.name,
        case_team_schema: str = CaseTeamProjection.name,
    ) -> None:
        self.pool = pool
        self.schema = schema
        self.case_team_schema = case_team_schema

    def list(
        self,
        visibility: Visibility,
        *,
        looked_after: bool | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[RegisteredChild]:
        where: list[str] = []
        params: list[Any] = []
        if looked_after is not None:
            where.append("c.looked_after = %s")
            params.append(looked_after)
        if not visibility.everyone:
            where.append(
                f'c.child_id IN (SELECT t.child_id FROM "{self.case_team_schema}".case_team t '
                "WHERE (t.user_id = %s AND t.relationship = ANY(%s)) "
                "OR (t.relationship = 'team' AND t.user_id = ANY(%s)))"
            )
            params += [visibility.user_id, list(visibility.relationships), list(visibility.teams)]
        sql = f'SELECT c.* FROM "{self.schema}".children c'
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY c.local_child_id, c.child_id LIMIT %s OFFSET %s"
        params += [limit, offset]
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            rows = cursor.execute(sql, params).fetchall()
        return [RegisteredChild(**row) for row in rows]


@dataclass(frozen=True)
class RetentionCandidate:
    """A registered child whose record may have reached the end of retention."""

    child_id: str
    local_child_id: str
    date_of_birth: date


def retention_candidates(
    register: ChildrenRegister, on: date, limit: int, offset: int
) -> list[RetentionCandidate]:
    """Children whose record could be erased by `on`: born 75 years before, or
    born at least 15 years before and out of care (a death before 18 ends a
    period of care; the domain decides from the record)."""
    sql = (
        f'SELECT child_id, local_child_id, date_of_birth FROM "{register.schema}".children '
        "WHERE date_of_birth <= %s AND (date_of_birth <= %s OR period_end IS NOT NULL) "
        "ORDER BY date_of_birth, child_id LIMIT %s OFFSET %s"
    )
    params = [_years_before(on, 15), _years_before(on, 75), limit, offset]
    with register.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
        rows = cursor.execute(sql, params).fetchall()
    return [RetentionCandidate(**row) for row in rows]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return date(day.year - years, 2, 28)
