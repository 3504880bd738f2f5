"""A toy aggregate, application, projection and contract for testing the shared mechanisms.

`toy_process.py` runs its projection or relay in a process that tests can
SIGKILL in the middle of its work.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import asyncpg
from eventsourcing.domain import Aggregate, event

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from shared.contracts.base import IntegrationEvent
from shared.contracts.relay import IntegrationRelay
from shared.projections.runner import (
    Delivered,
    Projection,
    ProjectionRunner,
    Source,
    domain_event_decoder,
)
from shared.service_application import ServiceApplication


class Counter(Aggregate):
    @event("Opened")
    def __init__(self, name: str) -> None:
        self.name = name
        self.value = 0

    @event("Incremented")
    def increment(self, by: int = 1, note: str = "") -> None:
        self.value += by


class Counters(ServiceApplication):
    name = "counters"

    def open(self, name: str) -> Any:
        counter = Counter(name=name)
        self.save(counter)
        return counter.id

    def increment(self, counter_id: Any, times: int = 1) -> int:
        counter: Counter = self.repository.get(counter_id)
        for _ in range(times):
            counter.increment(by=1, note="free text that must not leave the service")
        self.save(counter)
        return counter.version


class CounterIncremented(IntegrationEvent):
    """The toy contract: minimised (no note)."""

    service: ClassVar[str] = "toys"
    event_type: ClassVar[str] = "counter.incremented.v1"

    by: int


def translate(domain_event: Any, headers: dict[str, str]) -> Sequence[IntegrationEvent]:
    delay = float(os.environ.get("TOY_TRANSLATE_DELAY", "0"))
    if delay:
        time.sleep(delay)  # so a kill test can land mid-stream
    if isinstance(domain_event, Counter.Incremented):
        return [CounterIncremented(child_id=str(domain_event.originator_id), by=domain_event.by)]
    return []


class CounterTotals(Projection):
    """Adds every increment: an event applied twice would show as a larger total."""

    name = "counter_totals"
    tables = ("totals",)

    def __init__(self, app: Counters, stream: str, prefix: str) -> None:
        self._source = Source(stream, f"{prefix}.events.>", domain_event_decoder(app.mapper))

    def sources(self) -> Sequence[Source]:
        return [self._source]

    def schema_sql(self) -> str:
        return (
            "CREATE TABLE IF NOT EXISTS totals ("
            " counter_id text PRIMARY KEY, total bigint NOT NULL, applied bigint NOT NULL)"
        )

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        delay = float(os.environ.get("TOY_APPLY_DELAY", "0"))
        if delay:
            await asyncio.sleep(delay)
        e = delivered.event
        if isinstance(e, Counter.Incremented):
            await conn.execute(
                "INSERT INTO totals (counter_id, total, applied) VALUES ($1, $2, 1) "
                "ON CONFLICT (counter_id) DO UPDATE SET total = totals.total + $2, "
                "applied = totals.applied + 1",
                str(e.originator_id),
                e.by,
            )


def app_for(stream: str, prefix: str) -> Counters:
    return Counters(
        env={
            "PERSISTENCE_MODULE": "shared.eventstore",
            "COUNTERS_NATS_STREAM": stream,
            "COUNTERS_NATS_SUBJECT_PREFIX": prefix,
        }
    )


async def _project(stream: str, prefix: str, database_url: str) -> None:
    app = app_for(stream, prefix)
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    runner = ProjectionRunner(
        CounterTotals(app, stream, prefix), pool, os.environ["NATS_URL"], page=5
    )
    await runner.setup()
    print("ready", flush=True)
    await runner.run_forever(asyncio.Event())


async def _relay(stream: str, prefix: str, service: str) -> None:
    app = app_for(stream, prefix)
    relay = IntegrationRelay(
        service,
        os.environ["NATS_URL"],
        app.mapper,
        translate,
        event_stream=stream,
        subject_prefix=prefix,
    )
    print("ready", flush=True)
    await relay.run_forever(asyncio.Event())
