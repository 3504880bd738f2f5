"""What a service learns from casefile, and who is related to a child by it.

Casefile owns the child, periods of care, allocations and break-glass grants;
other services learn them from `INTEGRATION_CASEFILE` (never casefile's code)
into read models of their own schema:

- `CasefileFacts`: `children` (date of birth), `nhs_numbers` (the keyed digest,
  `shared/contracts/nhs_numbers.py`), `periods_of_care`,
  `social_worker_allocations` and `iro_appointments`; only what casefile's relay
  published is applied, anything else is quarantined (`quarantined_messages`);
- `CasefileGrants`: the break-glass grants casefile published (no reason);
- `CasefileQueries`: the synchronous queries over both;
- `AllocationRelationships`: the relationship check every service makes from
  them (the allocated social worker, the appointed IRO, the manager of the
  child's team; auditors and the performance team by role);
- `PublishedGrants`: the break-glass grants a service honours and never opens.

Placements' `CasefileGrants`, `AllocationRelationships` and `PublishedGrants`
are these (docs/adr/0009, 0015); health uses all of them (docs/adr/0020).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol
from uuid import UUID

import asyncpg
from psycopg import Connection
from psycopg_pool import ConnectionPool

from shared.auth.break_glass import CannotOpenHere, Grant
from shared.auth.dependencies import BREAK_GLASS_HEADER
from shared.auth.relationships import manages_childs_team
from shared.auth.roles import Role
from shared.contracts import casefile
from shared.contracts.quarantine import (
    QUARANTINE_DDL,
    QUARANTINE_TABLE,
    from_relay,
    quarantined,
)
from shared.contracts.relay import IntegrationMessage, integration_stream
from shared.dates import today as council_today
from shared.projections import Delivered, Projection, Source

#: Roles that act across the council's children without an allocation (their reads are logged).
ACROSS_THE_COUNCIL = frozenset({Role.AUDITOR, Role.PERFORMANCE})

_FACTS_DDL = """
CREATE TABLE IF NOT EXISTS children (
    child_id text PRIMARY KEY,
    date_of_birth date NOT NULL
);
CREATE TABLE IF NOT EXISTS nhs_numbers (
    child_id text PRIMARY KEY,
    digest text NOT NULL
);
CREATE INDEX IF NOT EXISTS nhs_numbers_digest ON nhs_numbers (digest);
CREATE TABLE IF NOT EXISTS periods_of_care (
    child_id text NOT NULL,
    period_id text NOT NULL,
    start_date date NOT NULL,
    end_date date,
    PRIMARY KEY (child_id, period_id)
);
CREATE TABLE IF NOT EXISTS social_worker_allocations (
    child_id text NOT NULL,
    seq bigint NOT NULL,
    effective_date date NOT NULL,
    social_worker_id text NOT NULL,
    team text NOT NULL,
    PRIMARY KEY (child_id, seq)
);
CREATE TABLE IF NOT EXISTS iro_appointments (
    child_id text NOT NULL,
    seq bigint NOT NULL,
    effective_date date NOT NULL,
    iro_id text NOT NULL,
    PRIMARY KEY (child_id, seq)
);
"""

_GRANTS_DDL = """
CREATE TABLE IF NOT EXISTS break_glass_grants (
    grant_id text PRIMARY KEY,
    child_id text NOT NULL,
    user_id text NOT NULL,
    role text NOT NULL,
    granted_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS break_glass_grants_by_user
    ON break_glass_grants (user_id, child_id, granted_at);
"""

_CHILD = (
    casefile.ChildRegistered,
    casefile.ChildDetailsCorrected,
    casefile.ChildRegisteredV1,
    casefile.ChildDetailsCorrectedV1,
)


class CasefileFacts(Projection):
    """The child, periods of care and the people responsible, as casefile published them."""

    tables: Sequence[str] = (
        "children",
        "nhs_numbers",
        "periods_of_care",
        "social_worker_allocations",
        "iro_appointments",
        QUARANTINE_TABLE,
    )

    def __init__(self, schema: str) -> None:
        self.name = schema

    def sources(self) -> Sequence[Source]:
        return [
            Source(
                integration_stream(casefile.SERVICE),
                f"integration.{casefile.SERVICE}.>",
                from_relay(casefile.SERVICE),
            )
        ]

    def schema_sql(self) -> str:
        return _FACTS_DDL + QUARANTINE_DDL

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        if await quarantined(conn, self.name, delivered):
            return
        message = delivered.event
        if not isinstance(message, IntegrationMessage):
            return  # a type this service does not know yet, or an erased child
        e: Any = message.data
        if isinstance(e, _CHILD):
            await conn.execute(
                "INSERT INTO children (child_id, date_of_birth) VALUES ($1, $2) "
                "ON CONFLICT (child_id) DO UPDATE SET date_of_birth = EXCLUDED.date_of_birth",
                e.child_id,
                e.date_of_birth,
            )
        elif isinstance(e, casefile.ChildNhsNumberRecorded):
            if e.nhs_number_digest is None:
                await conn.execute("DELETE FROM nhs_numbers WHERE child_id = $1", e.child_id)
            else:
                await conn.execute(
                    "INSERT INTO nhs_numbers (child_id, digest) VALUES ($1, $2) "
                    "ON CONFLICT (child_id) DO UPDATE SET digest = EXCLUDED.digest",
                    e.child_id,
                    e.nhs_number_digest,
                )
        elif isinstance(e, casefile.PeriodOfCareStarted):
            await conn.execute(
                "INSERT INTO periods_of_care (child_id, period_id, start_date) VALUES ($1, $2, $3) "
                "ON CONFLICT (child_id, period_id) DO UPDATE SET start_date = EXCLUDED.start_date",
                e.child_id,
                e.period_id,
                e.start_date,
            )
        elif isinstance(e, casefile.PeriodOfCareEnded):
            await conn.execute(
                "UPDATE periods_of_care SET end_date = $3 WHERE child_id = $1 AND period_id = $2",
                e.child_id,
                e.period_id,
                e.end_date,
            )
        elif isinstance(e, casefile.SocialWorkerAllocated) and e.effective_date is not None:
            await conn.execute(
                "INSERT INTO social_worker_allocations "
                "(child_id, seq, effective_date, social_worker_id, team) "
                "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                e.child_id,
                delivered.seq,
                e.effective_date,
                e.social_worker_id,
                e.team,
            )
        elif isinstance(e, casefile.IroAppointed) and e.effective_date is not None:
            await conn.execute(
                "INSERT INTO iro_appointments (child_id, seq, effective_date, iro_id) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                e.child_id,
                delivered.seq,
                e.effective_date,
                e.iro_id,
            )


class CasefileGrants(Projection):
    """Break-glass grants casefile published (`break-glass.granted.v1`), one row a grant.

    A subclass names its schema (`name`); `PublishedGrants` reads it (docs/adr/0015).
    """

    tables = ("break_glass_grants",)

    def __init__(self, schema: str | None = None) -> None:
        if schema is not None:
            self.name = schema

    def sources(self) -> Sequence[Source]:
        return [
            Source(
                integration_stream(casefile.SERVICE),
                f"integration.{casefile.SERVICE}.break-glass.>",
                from_relay(casefile.SERVICE),
            )
        ]

    def schema_sql(self) -> str:
        return _GRANTS_DDL

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        message = delivered.event
        if not isinstance(message, IntegrationMessage):
            return
        e = message.data
        if isinstance(e, casefile.BreakGlassGranted):
            await conn.execute(
                "INSERT INTO break_glass_grants "
                "(grant_id, child_id, user_id, role, granted_at, expires_at) "
                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                e.grant_id,
                e.child_id,
                e.user_id,
                e.role,
                e.granted_at,
                e.expires_at,
            )


class Allocations(Protocol):
    """Who is responsible for a child on a day: what `AllocationRelationships` asks."""

    def allocated_social_worker(self, child_id: UUID | str, on: date) -> str | None: ...
    def allocated_team(self, child_id: UUID | str, on: date) -> str | None: ...
    def appointed_iro(self, child_id: UUID | str, on: date) -> str | None: ...


class Grants(Protocol):
    def latest_break_glass(self, user_id: str, child_id: UUID | str) -> Grant | None: ...


class CasefileQueries:
    """The queries over `CasefileFacts` (schema `facts`) and `CasefileGrants` (`grants`)."""

    def __init__(self, pool: ConnectionPool[Connection[Any]], facts: str, grants: str) -> None:
        self.pool = pool
        self.facts = facts
        self.grants = grants

    def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.pool.connection() as conn:
            return conn.execute(sql, params).fetchall()

    def date_of_birth(self, child_id: UUID | str) -> date | None:
        rows = self._rows(
            f"SELECT date_of_birth FROM {self.facts}.children WHERE child_id = %s", str(child_id)
        )
        return rows[0][0] if rows else None

    def child_by_nhs_number_digest(self, digest: str) -> str | None:
        """The child whose NHS number has this digest; None if none (or, wrongly, several)."""
        rows = self._rows(
            f"SELECT child_id FROM {self.facts}.nhs_numbers WHERE digest = %s LIMIT 2", digest
        )
        return str(rows[0][0]) if len(rows) == 1 else None

    def periods_of_care(self, child_id: UUID | str) -> list[tuple[date, date | None]]:
        """The child's periods of care (start, end or None), earliest first."""
        return [
            (start, end)
            for start, end in self._rows(
                f"SELECT start_date, end_date FROM {self.facts}.periods_of_care "
                "WHERE child_id = %s ORDER BY start_date",
                str(child_id),
            )
        ]

    def _latest(self, column: str, table: str, child_id: UUID | str, on: date) -> str | None:
        rows = self._rows(
            f"SELECT {column} FROM {self.facts}.{table} "
            "WHERE child_id = %s AND effective_date <= %s "
            "ORDER BY effective_date DESC, seq DESC LIMIT 1",
            str(child_id),
            on,
        )
        return str(rows[0][0]) if rows else None

    def allocated_social_worker(self, child_id: UUID | str, on: date) -> str | None:
        """The social worker allocated on `on`: the latest allocation from that day or before."""
        return self._latest("social_worker_id", "social_worker_allocations", child_id, on)

    def allocated_team(self, child_id: UUID | str, on: date) -> str | None:
        """The team of the allocation on `on` (the child's team, from casefile's record)."""
        return self._latest("team", "social_worker_allocations", child_id, on)

    def appointed_iro(self, child_id: UUID | str, on: date) -> str | None:
        return self._latest("iro_id", "iro_appointments", child_id, on)

    def latest_break_glass(self, user_id: str, child_id: UUID | str) -> Grant | None:
        """The user's most recent break-glass grant to the child, as casefile published it."""
        rows = self._rows(
            f"SELECT grant_id, role, granted_at, expires_at FROM {self.grants}.break_glass_grants "
            "WHERE user_id = %s AND child_id = %s ORDER BY granted_at DESC, grant_id LIMIT 1",
            user_id,
            str(child_id),
        )
        if not rows:
            return None
        grant_id, role, granted_at, expires_at = rows[0]
        return Grant(str(grant_id), user_id, str(role), str(child_id), granted_at, expires_at)


class AllocationRelationships:
    """A `shared.auth.relationships.RelationshipChecker` over what casefile published.

    A social worker is related to the children allocated to them today, an IRO
    to those they are appointed for today, a team manager to the children
    allocated today to a team they manage (the token's `teams`); auditors and the
    performance team act across the council's children by role; anyone else is
    related only as `related_by_role` says (a service's own rule, e.g. health's
    roles), else not. Before answering "not related", `catch_up` brings the read
    model up to date: an allocation made a moment ago may not be in it yet (ADR 0019).
    """

    def __init__(
        self,
        allocations: Allocations,
        catch_up: Callable[[], None] | None = None,
        related_by_role: Callable[[str, str, str], bool] | None = None,
    ) -> None:
        self.allocations = allocations
        self.catch_up = catch_up
        #: (user_id, role, child_id) -> related? for roles this module does not decide.
        self.related_by_role = related_by_role

    def is_related(
        self, user_id: str, role: str, child_id: str, teams: Collection[str] = ()
    ) -> bool:
        if self._related(user_id, role, child_id, teams):
            return True
        if self.catch_up is None or role in ACROSS_THE_COUNCIL:
            return False
        self.catch_up()
        return self._related(user_id, role, child_id, teams)

    def _related(self, user_id: str, role: str, child_id: str, teams: Collection[str]) -> bool:
        today = council_today()  # allocations are whole days, in council time
        try:
            child_id = str(UUID(child_id))  # the path as typed; the read model holds canonical ids
        except ValueError:
            return False
        if role in ACROSS_THE_COUNCIL:
            return True
        if role == Role.SOCIAL_WORKER:
            return self.allocations.allocated_social_worker(child_id, today) == user_id
        if role == Role.IRO:
            return self.allocations.appointed_iro(child_id, today) == user_id
        if role == Role.TEAM_MANAGER:
            return manages_childs_team(
                role, teams, self.allocations.allocated_team(child_id, today)
            )
        if self.related_by_role is not None:
            return self.related_by_role(user_id, role, child_id)
        return False


class PublishedGrants:
    """A `shared.auth.break_glass.BreakGlassGrants` over the grants casefile published.

    A grant made in casefile a moment ago may not have reached the read model
    yet: before answering that the user has no open grant, `catch_up` brings it
    up to date and it looks again. `service` names the service in its answer.
    """

    def __init__(
        self,
        grants: Grants,
        catch_up: Callable[[], None] | None = None,
        service: str = "This service",
    ) -> None:
        self.read_models = grants
        self.catch_up = catch_up
        self.service = service

    def latest(self, user_id: str, child_id: str) -> Grant | None:
        grant = self.read_models.latest_break_glass(user_id, child_id)
        if (grant is None or not grant.open_at(datetime.now(UTC))) and self.catch_up is not None:
            self.catch_up()
            grant = self.read_models.latest_break_glass(user_id, child_id)
        return grant

    def open(self, user_id: str, role: str, child_id: str, reason: str) -> Grant:
        raise CannotOpenHere(
            f"{self.service} honours break-glass access opened on the child's case record; it "
            f"does not open it. Send your reason as {BREAK_GLASS_HEADER} with a request "
            f"about this child to the casefile service (GET /v1/children/{child_id}): the "
            f"access is recorded, the child's team manager is told, and "
            f"{self.service.lower()} honours it a moment later, until it expires."
        )
