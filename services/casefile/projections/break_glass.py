"""`break_glass_grants`: every break-glass grant and its review, for the managers' alerts.

One row a grant, from the `BreakGlass` aggregate's events: who, in which role,
why, when, until when, the child's team at the time, and the review once made.
`BreakGlassAlerts` lists them for a team manager (grants to their teams'
children: the team named when the grant was made, or the child's team now)
or for an auditor (every grant). See docs/adr/0015-break-glass.md.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import asyncpg
from psycopg import Connection
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from services.casefile.domain.break_glass import BreakGlass
from services.casefile.projections.case_team import TEAM, CaseTeamProjection
from shared.projections.runner import Delivered, Projection, Source

#: Which alerts to list: not yet reviewed, reviewed, or both.
AlertStatus = Literal["open", "reviewed", "all"]


class BreakGlassProjection(Projection):
    name = "casefile_break_glass"
    tables = ("break_glass_grants",)

    def __init__(self, source: Source) -> None:
        self._source = source

    def sources(self) -> Sequence[Source]:
        return [self._source]

    def schema_sql(self) -> str:
        return """
        CREATE TABLE IF NOT EXISTS break_glass_grants (
            grant_id text PRIMARY KEY,
            child_id text NOT NULL,
            user_id text NOT NULL,
            role text NOT NULL,
            reason text NOT NULL,
            team text,
            granted_at timestamptz NOT NULL,
            expires_at timestamptz NOT NULL,
            reviewed_by text,
            reviewed_at timestamptz,
            review_note text
        );
        CREATE INDEX IF NOT EXISTS break_glass_grants_by_team
            ON break_glass_grants (team, granted_at);
        CREATE INDEX IF NOT EXISTS break_glass_grants_by_child ON break_glass_grants (child_id);
        """

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        if not isinstance(delivered.event, BreakGlass.Event):
            return  # the child's record, the access log
        e: Any = delivered.event
        kind = type(e).__name__
        if kind == "Granted":
            await conn.execute(
                "INSERT INTO break_glass_grants (grant_id, child_id, user_id, role, reason, team, "
                "granted_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                "ON CONFLICT DO NOTHING",
                str(e.grant_id),
                str(e.child_id),
                e.user_id,
                e.role,
                e.reason,
                e.team,
                e.granted_at,
                e.expires_at,
            )
        elif kind == "Reviewed":
            await conn.execute(
                "UPDATE break_glass_grants SET reviewed_by = $2, reviewed_at = $3, "
                "review_note = $4 WHERE grant_id = $1",
                str(e.grant_id),
                e.reviewer_id,
                e.reviewed_at,
                e.note,
            )


@dataclass(frozen=True)
class BreakGlassAlertRow:
    grant_id: str
    child_id: str
    user_id: str
    role: str
    reason: str
    team: str | None
    granted_at: datetime
    expires_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None


class BreakGlassAlerts:
    """Queries over `break_glass_grants` for the alerts endpoints.

    `teams` None means every grant (auditors); otherwise grants to children of
    those teams. Each query first brings the read model up to the stream's
    end (`catch_up`), so a grant made a moment ago is already listed: the
    manager is told at once, not when the runner next wakes.
    """

    def __init__(
        self,
        pool: ConnectionPool[Connection[Any]],
        *,
        catch_up: Callable[[], None] | None = None,
        schema: str = BreakGlassProjection.name,
        case_team_schema: str = CaseTeamProjection.name,
    ) -> None:
        self.pool = pool
        self.catch_up = catch_up
        self.schema = schema
        self.case_team_schema = case_team_schema

    def _select(
        self,
        where: list[str],
        params: list[Any],
        teams: Collection[str] | None,
        tail: str = "",
        tail_params: Sequence[Any] = (),
    ) -> list[BreakGlassAlertRow]:
        if teams is not None:
            where.append(
                "(g.team = ANY(%s) OR g.child_id IN (SELECT t.child_id FROM "
                f'"{self.case_team_schema}".case_team t '
                "WHERE t.relationship = %s AND t.user_id = ANY(%s)))"
            )
            params += [list(teams), TEAM, list(teams)]
        sql = f'SELECT g.* FROM "{self.schema}".break_glass_grants g'
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            rows = cursor.execute(sql + tail, [*params, *tail_params]).fetchall()
        return [BreakGlassAlertRow(**row) for row in rows]

    def list(
        self,
        *,
        teams: Collection[str] | None,
        status: AlertStatus = "open",
        limit: int = 100,
        offset: int = 0,
    ) -> list[BreakGlassAlertRow]:
        """Newest first."""
        if self.catch_up is not None:
            self.catch_up()
        where: list[str] = []
        if status == "open":
            where.append("g.reviewed_at IS NULL")
        elif status == "reviewed":
            where.append("g.reviewed_at IS NOT NULL")
        return self._select(
            where,
            [],
            teams,
            " ORDER BY g.granted_at DESC, g.grant_id LIMIT %s OFFSET %s",
            (limit, offset),
        )

    def find(self, grant_id: str, *, teams: Collection[str] | None) -> BreakGlassAlertRow | None:
        """One grant the caller may see; looks again after catching up before saying none."""
        for attempt in range(2):
            rows = self._select(["g.grant_id = %s"], [grant_id], teams)
            if rows:
                return rows[0]
            if attempt == 0 and self.catch_up is not None:
                self.catch_up()
        return None
