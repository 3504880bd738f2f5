"""What casefile learns from placements: the day a child was placed for adoption.

One fact, one owner (issue #18): placing a child with prospective adopters is
a placement (SSDA903 PLACE A3-A6), recorded once, in placements. Casefile's
adoption timeline needs its date (the adoption scorecard counts the days from
the decision to the placement), so it follows placements' integration event
`placement.placed-for-adoption.v1` and records the milestone on the child's
record as the placements service (`role=service`), through the same command
cycle as any write. The domain recognises a milestone it already holds, so a
replay or a re-delivery records nothing twice.

A placement the adoption timeline cannot take (e.g. no decision to place for
adoption recorded yet) is kept in `placements_not_taken` with the rule it
broke, logged, and reported by `/ready` (like a quarantined message): the fact
stays in placements, and the social worker sees on the case what to record
first. Only what placements' relay published is taken
(`shared/contracts/quarantine.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from services.casefile.domain.commands import RecordPlacedForAdoption
from shared.contracts import placements as contract
from shared.contracts.quarantine import (
    QUARANTINE_DDL,
    QUARANTINE_TABLE,
    Quarantined,
    from_relay,
    quarantine,
)
from shared.contracts.relay import IntegrationMessage, integration_stream
from shared.domain_errors import NotFound, RuleBroken
from shared.eventstore.keyring import KeyDestroyed
from shared.projections.runner import Delivered, Projection, Source
from shared.request_context import acting_as

log = structlog.get_logger(__name__)

#: Who the audit envelope says recorded what casefile learned from placements.
PLACEMENTS_ACTOR = "placements-service"


class PlacementsFacts(Projection):
    """Follows placements' placings for adoption into the child's adoption timeline."""

    name = "casefile_placements_facts"
    tables = ("placements_not_taken", QUARANTINE_TABLE)

    def __init__(self, application: Any) -> None:
        self.application = application

    def sources(self) -> Sequence[Source]:
        return [
            Source(
                integration_stream(contract.SERVICE),
                contract.PlacedForAdoption.subject(),
                from_relay(contract.SERVICE),
            )
        ]

    def schema_sql(self) -> str:
        return (
            """
        CREATE TABLE IF NOT EXISTS placements_not_taken (
            stream text NOT NULL,
            seq bigint NOT NULL,
            child_id text NOT NULL,
            effective_date date NOT NULL,
            rule text NOT NULL,
            detail text NOT NULL,
            PRIMARY KEY (stream, seq)
        );
        """
            + QUARANTINE_DDL
        )

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        message = delivered.event
        if isinstance(message, Quarantined):
            await quarantine(
                conn, self.name, delivered.stream, delivered.seq, delivered.subject, message
            )
            return
        if not isinstance(message, IntegrationMessage):
            return  # a type this follower does not take, or an erased child
        placed = message.data
        if not isinstance(placed, contract.PlacedForAdoption) or placed.effective_date is None:
            return
        try:
            await asyncio.to_thread(self._record, UUID(placed.child_id), placed.effective_date)
        except (RuleBroken, NotFound, KeyDestroyed) as refused:
            await conn.execute(
                "INSERT INTO placements_not_taken "
                "(stream, seq, child_id, effective_date, rule, detail) "
                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                delivered.stream,
                delivered.seq,
                placed.child_id,
                placed.effective_date,
                type(refused).__name__,
                str(refused)[:500],
            )
            log.warning(
                "placed_for_adoption_not_taken",
                child_id=placed.child_id,
                rule=type(refused).__name__,
                detail=str(refused)[:200],
            )

    def _record(self, child_id: UUID, effective_date: Any) -> None:
        with acting_as(
            actor=PLACEMENTS_ACTOR, role="service", purpose="integration", child_id=str(child_id)
        ):
            command = RecordPlacedForAdoption.model_validate(
                {"effective_date": effective_date.isoformat()}
            )
            self.application.execute(child_id, command)
