"""Followers: what a service records on its own records from another service's facts.

One fact, one owner (issue #18): a fact is written once, in the service that
owns it, and a service that needs it learns it from the owner's integration
events. Where the learning service's own rules need the fact (casefile's
adoption timeline needs the day placements placed the child; its health
deadlines need the day health completed an assessment), a `Follower` turns
each event into commands on the learner's records, run through the ordinary
command cycle as the owning service (`role=service` in the audit envelope).
The learner's domain recognises a fact it already holds, so a replay or a
re-delivery records nothing twice.

Only what the owner's relay published is taken (`shared/contracts/quarantine.py`).
A fact the learner's rules refuse (or about a child it does not know, or an
erased one) is kept in `facts_not_taken` with the rule it broke and logged:
never lost, and never a stopped follower. Followers run like projections,
exactly once by position, and are not rebuilt by `belonging replay`.
"""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar
from uuid import UUID

import asyncpg
import structlog

from shared.commands import Command
from shared.contracts.base import IntegrationEvent
from shared.contracts.quarantine import (
    QUARANTINE_DDL,
    QUARANTINE_TABLE,
    from_relay,
    quarantined,
)
from shared.contracts.relay import IntegrationMessage, integration_stream
from shared.domain_errors import NotFound, RuleBroken
from shared.eventstore.keyring import KeyDestroyed
from shared.projections.runner import Delivered, Projection, Source
from shared.request_context import acting_as

log = structlog.get_logger(__name__)

NOT_TAKEN_TABLE = "facts_not_taken"


class Follower(Projection):
    """Follows one service's integration events into commands on this service's records."""

    #: The service whose facts are followed.
    owner: ClassVar[str]
    #: Which of its subjects (e.g. one event type's), default all.
    subjects: ClassVar[str | None] = None

    def __init__(self, application: Any) -> None:
        self.application = application

    @property
    def tables(self) -> Sequence[str]:  # type: ignore[override]
        return (NOT_TAKEN_TABLE, QUARANTINE_TABLE)

    @property
    def actor(self) -> str:
        """Who the audit envelope says recorded what was learned."""
        return f"{self.owner}-service"

    def sources(self) -> Sequence[Source]:
        return [
            Source(
                integration_stream(self.owner),
                self.subjects or f"integration.{self.owner}.>",
                from_relay(self.owner),
            )
        ]

    def schema_sql(self) -> str:
        return (
            f"""
        CREATE TABLE IF NOT EXISTS {NOT_TAKEN_TABLE} (
            stream text NOT NULL,
            seq bigint NOT NULL,
            child_id text NOT NULL,
            event_type text NOT NULL,
            rule text NOT NULL,
            detail text NOT NULL,
            PRIMARY KEY (stream, seq)
        );
        """
            + QUARANTINE_DDL
        )

    @abstractmethod
    def commands(self, event: IntegrationEvent) -> Sequence[Command]:
        """The commands on the child's record that this fact asks for (none: not needed)."""

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        if await quarantined(conn, self.name, delivered):
            return
        message = delivered.event
        if not isinstance(message, IntegrationMessage):
            return  # a type this service does not know yet, or an erased child
        event = message.data
        commands = self.commands(event)
        if not commands:
            return
        try:
            await asyncio.to_thread(self._execute, UUID(event.child_id), commands)
        except (RuleBroken, NotFound, KeyDestroyed) as refused:
            await conn.execute(
                f"INSERT INTO {NOT_TAKEN_TABLE} (stream, seq, child_id, event_type, rule, detail) "
                "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                delivered.stream,
                delivered.seq,
                event.child_id,
                type(event).event_type,
                type(refused).__name__,
                str(refused)[:500],
            )
            log.warning(
                "fact_not_taken",
                follower=self.name,
                child_id=event.child_id,
                event_type=type(event).event_type,
                rule=type(refused).__name__,
            )

    def _execute(self, child_id: UUID, commands: Sequence[Command]) -> None:
        with acting_as(
            actor=self.actor, role="service", purpose="integration", child_id=str(child_id)
        ):
            for command in commands:
                self.application.execute(child_id, command)
