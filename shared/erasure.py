"""Erasing a child's records at the end of retention, in every service.

The casefile service decides (it holds the date of birth and any date of
death: services/casefile/domain/retention.py) and records the erasure; its
integration event `child.record-erased.v1` reaches every service, whose
`ErasureFollower` then:

1. destroys the keys of the service's own records of the child (its
   aggregate and access log; `ServiceApplication.erase_records`) and the
   child's integration key: every copy of those events is unreadable from
   then on, and a replay passes over them;
2. deletes the child's rows from each of the service's read models (every
   table with a `child_id` column), in one transaction with its position.

Keys before rows: a projection that lags behind finds the child's events
unreadable and cannot bring a row back. Destroying is idempotent, so a
replay of this follower changes nothing (docs/adr/0016-erasure-by-crypto-shredding.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from shared.contracts import casefile as casefile_contract
from shared.contracts.quarantine import from_relay
from shared.contracts.relay import IntegrationMessage, integration_stream
from shared.projections.runner import Delivered, Projection, Source

log = structlog.get_logger(__name__)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class ErasureFollower(Projection):
    """Follows casefile's erasures: destroys this service's keys of the child, deletes its rows."""

    name = "erasures"
    tables = ("erased_children",)

    def __init__(self, application: Any, projections: Sequence[Projection]) -> None:
        self.application = application
        self.projections = [p for p in projections if p.name != self.name]

    def sources(self) -> Sequence[Source]:
        return [
            Source(
                integration_stream(casefile_contract.SERVICE),
                casefile_contract.ChildRecordErased.subject(),
                # Only what casefile's relay published: a forged notice destroys nothing.
                from_relay(casefile_contract.SERVICE),
            )
        ]

    def schema_sql(self) -> str:
        return """
        CREATE TABLE IF NOT EXISTS erased_children (
            child_id text PRIMARY KEY,
            erased_on date,
            followed_at timestamptz NOT NULL DEFAULT now()
        );
        """

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        message = delivered.event
        if not isinstance(message, IntegrationMessage):
            return
        if not isinstance(message.data, casefile_contract.ChildRecordErased):
            return
        child_id = message.data.child_id
        await asyncio.to_thread(self.application.erase_records, UUID(child_id))
        removed = 0
        for projection in self.projections:
            for table in projection.tables:
                has_child = await conn.fetchval(
                    "SELECT 1 FROM information_schema.columns "
                    "WHERE table_schema = $1 AND table_name = $2 AND column_name = 'child_id'",
                    projection.name,
                    table,
                )
                if has_child:
                    status = await conn.execute(
                        f"DELETE FROM {_quote(projection.name)}.{_quote(table)} "
                        "WHERE child_id::text = $1",
                        child_id,
                    )
                    removed += int(status.rsplit(" ", 1)[-1])
        await conn.execute(
            "INSERT INTO erased_children (child_id, erased_on) VALUES ($1, $2) "
            "ON CONFLICT (child_id) DO NOTHING",
            child_id,
            message.data.effective_date,
        )
        log.info("child_erased", child_id=child_id, rows_removed=removed)
