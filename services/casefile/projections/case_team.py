"""`case_team`: who stands in which relationship to each child, for authorisation.

Rows are (child_id, relationship, user_id, since): the allocated `social_worker`
and `team`, the `iro`, each `review_chair`, the `personal_adviser`, and
`registered_by` until a worker is allocated. `CaseTeam` answers the relationship
check from them. Rows depend only on the events and their envelope.
See docs/adr/0009-what-placements-learns-and-who-is-related.md.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from typing import Any

import asyncpg
from psycopg import Connection
from psycopg_pool import ConnectionPool

from services.casefile.domain.child import Child
from shared.auth.roles import Role
from shared.eventstore import envelope as env
from shared.projections.runner import Delivered, Projection, Source

SOCIAL_WORKER = "social_worker"
TEAM = "team"
IRO = "iro"
REVIEW_CHAIR = "review_chair"
PERSONAL_ADVISER = "personal_adviser"
REGISTERED_BY = "registered_by"

#: Which relationships let a user act on a child in each role. Team managers are
#: related through their teams (see `CaseTeam`).
RELATIONSHIPS_FOR_ROLE: Mapping[str, frozenset[str]] = {
    Role.SOCIAL_WORKER: frozenset({SOCIAL_WORKER, REGISTERED_BY}),
    Role.TEAM_MANAGER: frozenset({REGISTERED_BY}),
    Role.IRO: frozenset({IRO, REVIEW_CHAIR}),
    Role.PERSONAL_ADVISER: frozenset({PERSONAL_ADVISER}),
}


class CaseTeamProjection(Projection):
    name = "casefile_case_team"
    tables = ("case_team",)

    def __init__(self, source: Source) -> None:
        self._source = source

    def sources(self) -> Sequence[Source]:
        return [self._source]

    def schema_sql(self) -> str:
        return """
        CREATE TABLE IF NOT EXISTS case_team (
            child_id text NOT NULL,
            relationship text NOT NULL,
            user_id text NOT NULL,
            since date NOT NULL,
            PRIMARY KEY (child_id, relationship, user_id)
        );
        CREATE INDEX IF NOT EXISTS case_team_by_user ON case_team (user_id, relationship);
        """

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        if not isinstance(delivered.event, Child.Event):
            return  # the access log
        e: Any = delivered.event  # fields differ by event; `kind` says which
        kind = type(e).__name__
        child_id = str(e.originator_id)
        if kind == "ChildRegistered":
            actor = delivered.headers.get(env.ACTOR)
            if actor:
                await _add(conn, child_id, REGISTERED_BY, actor, e.effective_date)
        elif kind == "SocialWorkerAllocated":
            await conn.execute(
                "DELETE FROM case_team WHERE child_id = $1 AND relationship = $2",
                child_id,
                REGISTERED_BY,
            )
            if await _replace(conn, child_id, SOCIAL_WORKER, e.social_worker_id, e.effective_date):
                await _replace(conn, child_id, TEAM, e.team, e.effective_date)
        elif kind == "IroAppointed":
            await _replace(conn, child_id, IRO, e.iro_id, e.effective_date)
        elif kind == "ReviewHeld":
            await _add(conn, child_id, REVIEW_CHAIR, e.iro_id, e.effective_date)
        elif kind == "PersonalAdviserAppointed":
            await _replace(
                conn, child_id, PERSONAL_ADVISER, e.personal_adviser_id, e.effective_date
            )


async def _add(
    conn: asyncpg.Connection, child_id: str, relationship: str, user_id: str, since: date
) -> None:
    await conn.execute(
        "INSERT INTO case_team (child_id, relationship, user_id, since) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT DO NOTHING",
        child_id,
        relationship,
        user_id,
        since,
    )


async def _replace(
    conn: asyncpg.Connection, child_id: str, relationship: str, user_id: str, since: date
) -> bool:
    """Make `user_id` the one holder of `relationship`, unless a later one holds it."""
    later = await conn.fetchval(
        "SELECT 1 FROM case_team WHERE child_id = $1 AND relationship = $2 AND since > $3",
        child_id,
        relationship,
        since,
    )
    if later:
        return False
    await conn.execute(
        "DELETE FROM case_team WHERE child_id = $1 AND relationship = $2", child_id, relationship
    )
    await _add(conn, child_id, relationship, user_id, since)
    return True


class CaseTeam:
    """The `RelationshipChecker` for casefile routes, reading `case_team`.

    `unrelated_readers` are roles the policy lets read any child's record
    without a relationship (auditor, performance); the policy grants them no
    writes. A miss may only mean the read model has not yet seen a write made
    a moment ago (a child just registered, a worker just allocated), so before
    answering "not related" the checker asks `catch_up` to bring the read model
    up to date and looks again.
    """

    def __init__(
        self,
        pool: ConnectionPool[Connection[Any]],
        *,
        unrelated_readers: Collection[str],
        catch_up: Callable[[], None] | None = None,
        schema: str = CaseTeamProjection.name,
    ) -> None:
        self.pool = pool
        self.unrelated_readers = frozenset(unrelated_readers)
        self.catch_up = catch_up
        self.schema = schema

    def is_related(
        self, user_id: str, role: str, child_id: str, teams: Collection[str] = ()
    ) -> bool:
        if role in self.unrelated_readers:
            return True
        if self._related(user_id, role, child_id, teams):
            return True
        if self.catch_up is None:
            return False
        self.catch_up()
        return self._related(user_id, role, child_id, teams)

    def _related(self, user_id: str, role: str, child_id: str, managed: Collection[str]) -> bool:
        relationships = sorted(RELATIONSHIPS_FOR_ROLE.get(role, frozenset()))
        # The team rule of every service (shared.auth.relationships.manages_childs_team):
        # the child's team from the allocation in `case_team`, the manager's from the token.
        teams = sorted(managed) if role == Role.TEAM_MANAGER else []
        if not relationships and not teams:
            return False
        with self.pool.connection() as conn:
            row = conn.execute(
                f'SELECT 1 FROM "{self.schema}".case_team WHERE child_id = %s AND ('
                "(user_id = %s AND relationship = ANY(%s)) "
                "OR (relationship = 'team' AND user_id = ANY(%s))) LIMIT 1",
                (child_id, user_id, relationships, teams),
            ).fetchone()
        return row is not None
