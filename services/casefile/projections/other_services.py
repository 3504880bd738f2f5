"""`other_services`: what the other services published about each child, for the history.

The child's history is asked of casefile, but placements, health and
education own facts about the child too. Casefile follows their
integration events (only what each owner's relay published,
`shared/contracts/quarantine.py`) into one row per event: which service, what
kind of fact, its effective date, when it was recorded, and the published
fields (minimised by the owner's contract: no carers, no addresses, no notes).
Who recorded it, and why, stay in the owning service's own history (each entry
links there). An erased child's events cannot be opened and give no row;
nor do events sealed for a circle casefile is not in (health detail).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
from psycopg import Connection
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from shared.contracts import education as education_contract
from shared.contracts import health as health_contract
from shared.contracts import placements as placements_contract
from shared.contracts.quarantine import (
    QUARANTINE_DDL,
    QUARANTINE_TABLE,
    from_relay,
    quarantined,
)
from shared.contracts.relay import IntegrationMessage, integration_stream
from shared.eventstore import envelope as env
from shared.projections.runner import Delivered, Projection, Source

#: The services whose integration events the history shows, and their histories' paths.
FOLLOWED: dict[str, str] = {
    placements_contract.SERVICE: "/v1/children/{child_id}/history",
    health_contract.SERVICE: "/v1/children/{child_id}/health",
    education_contract.SERVICE: "/v1/children/{child_id}/education",
}


class OtherServicesProjection(Projection):
    name = "casefile_other_services"
    tables = ("other_service_events", QUARANTINE_TABLE)

    def sources(self) -> Sequence[Source]:
        return [
            Source(integration_stream(service), f"integration.{service}.>", from_relay(service))
            for service in FOLLOWED
        ]

    def schema_sql(self) -> str:
        return (
            """
        CREATE TABLE IF NOT EXISTS other_service_events (
            stream text NOT NULL,
            seq bigint NOT NULL,
            child_id text NOT NULL,
            service text NOT NULL,
            event_type text NOT NULL,
            effective_date date,
            recorded_at timestamptz,
            facts jsonb NOT NULL,
            PRIMARY KEY (stream, seq)
        );
        CREATE INDEX IF NOT EXISTS other_service_events_by_child
            ON other_service_events (child_id, recorded_at);
        """
            + QUARANTINE_DDL
        )

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        if await quarantined(conn, self.name, delivered):
            return
        message = delivered.event
        if not isinstance(message, IntegrationMessage):
            return
        data = message.data
        recorded = message.headers.get(env.RECORDED_AT)
        facts = data.model_dump(mode="json", exclude={"child_id", "effective_date"})
        await conn.execute(
            "INSERT INTO other_service_events (stream, seq, child_id, service, event_type, "
            "effective_date, recorded_at, facts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
            "ON CONFLICT DO NOTHING",
            delivered.stream,
            delivered.seq,
            data.child_id,
            type(data).service,
            type(data).event_type,
            data.effective_date,
            datetime.fromisoformat(recorded) if recorded else None,
            json.dumps(facts),
        )


@dataclass(frozen=True)
class OtherServiceEntry:
    """One fact another service published about the child."""

    service: str
    event_type: str
    effective_date: date | None
    recorded_at: datetime | None
    facts: dict[str, Any]
    history: str


class OtherServices:
    """Queries over `other_service_events`."""

    def __init__(
        self, pool: ConnectionPool[Connection[Any]], schema: str = OtherServicesProjection.name
    ) -> None:
        self.pool = pool
        self.schema = schema

    def of_child(
        self, child_id: str, recorded_by: datetime | None = None
    ) -> list[OtherServiceEntry]:
        sql = (
            f'SELECT service, event_type, effective_date, recorded_at, facts FROM "{self.schema}"'
            ".other_service_events WHERE child_id = %s"
        )
        params: list[Any] = [child_id]
        if recorded_by is not None:
            sql += " AND recorded_at <= %s"
            params.append(recorded_by)
        sql += " ORDER BY recorded_at, stream, seq"
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
            rows = cursor.execute(sql, params).fetchall()
        return [
            OtherServiceEntry(**row, history=FOLLOWED[row["service"]].format(child_id=child_id))
            for row in rows
        ]
