"""Break-glass grants casefile published, so placements honours them the same way.

Casefile records every grant (who, to which child, from when until when) and
its relay publishes `break-glass.granted.v1` without the reason; this read
model keeps one row a grant for the relationship check
(`api/relationships.py: PublishedGrants`). See docs/adr/0015-break-glass.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from services.placements.projections.care_periods import decode_casefile
from shared.contracts import casefile
from shared.contracts.relay import IntegrationMessage, integration_stream
from shared.projections import Delivered, Projection, Source

SCHEMA = "placements_break_glass"

_DDL = """
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


class CasefileGrants(Projection):
    name = SCHEMA
    tables = ("break_glass_grants",)

    def sources(self) -> Sequence[Source]:
        return [
            Source(
                integration_stream(casefile.SERVICE),
                f"integration.{casefile.SERVICE}.break-glass.>",
                decode_casefile,
            )
        ]

    def schema_sql(self) -> str:
        return _DDL

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        message = delivered.event
        if not isinstance(message, IntegrationMessage):
            return  # a type this service does not know yet
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
