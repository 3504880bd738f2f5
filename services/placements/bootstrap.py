"""Wiring, once (STYLE.md rule 5): settings -> the Placements application, its read
models, projection runners and relay, and the FastAPI app that serves them.

Started in the FastAPI lifespan, and stopped in reverse when it ends:
- the `Placements` application on the NATS event store (stream and subject
  prefix from the settings, the cipher key if one is given);
- a psycopg pool for the request-time reads (read models, idempotency keys,
  relationship checks: all called from worker threads);
- an asyncpg pool and three projection runners: `CarePeriods` (casefile's
  integration events), `PlacementSpans` (this service's own events) and
  `SchoolMoves` (the education service's, once connected);
- the integration relay publishing `shared/contracts/placements.py` events.
The read models' tables exist before the first request is served.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import asyncpg
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from services.placements.adapters.integration_events import translate
from services.placements.api import ROUTERS
from services.placements.api.relationships import AllocationRelationships
from services.placements.api.runtime import Runtime
from services.placements.application import Placements
from services.placements.projections import CarePeriods, PlacementSpans, ReadModels, SchoolMoves
from services.placements.settings import PlacementsSettings
from shared.api.app_factory import create_app
from shared.api.idempotency import PostgresIdempotencyStore
from shared.auth.tokens import TokenVerifier
from shared.contracts.relay import IntegrationRelay
from shared.observability.logs import get_logger
from shared.projections import Projection, ProjectionRunner
from shared.service_application import CIPHER_TOPIC

log = get_logger(__name__)

#: How long the runners and relay get to finish their page when the service stops.
STOP_TIMEOUT = 10.0


def application_env(settings: PlacementsSettings) -> dict[str, str]:
    """The environment the `eventsourcing` application is constructed with."""
    env = {
        "PERSISTENCE_MODULE": "shared.eventstore",
        "NATS_URL": settings.nats_url,
        "PLACEMENTS_NATS_STREAM": settings.nats_stream,
        "PLACEMENTS_NATS_SUBJECT_PREFIX": settings.nats_subject_prefix,
        "PLACEMENTS_NATS_REPLICAS": str(settings.nats_replicas),
    }
    if settings.cipher_key is not None:
        env["CIPHER_TOPIC"] = CIPHER_TOPIC
        env["CIPHER_KEY"] = settings.cipher_key.get_secret_value()
    return env


def projections(placements: Placements, settings: PlacementsSettings) -> list[Projection]:
    """The service's read models, in the order they are set up."""
    return [
        CarePeriods(),
        PlacementSpans(placements.mapper, settings.nats_stream, settings.nats_subject_prefix),
        # The education service's extension point: see projections/school_moves.py.
        SchoolMoves(),
    ]


def replayable_projections() -> list[Projection]:
    """The read models `belonging replay` can rebuild (shared/projections/catalogue.py).

    Built from the environment like the service. Only the application's mapper
    is needed (to decrypt and decode stored events), so it is constructed on
    the in-memory store: no connection to NATS is opened for it.
    """
    settings = PlacementsSettings()
    placements = Placements(
        env={**application_env(settings), "PERSISTENCE_MODULE": "eventsourcing.popo"}
    )
    return projections(placements, settings)


@dataclass
class _Background:
    """What the lifespan started, for the readiness checks."""

    runners: list[ProjectionRunner] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def build_app(
    settings: PlacementsSettings | None = None,
    *,
    token_verifier: TokenVerifier | None = None,
) -> FastAPI:
    settings = settings or PlacementsSettings()
    if not settings.database_url:
        raise ValueError("DATABASE_URL is required: the read models live in PostgreSQL")
    database_url = settings.database_url
    read_models = ReadModels(database_url)
    background = _Background()

    @asynccontextmanager
    async def lifespan(api: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(read_models.open)
        idempotency = PostgresIdempotencyStore(read_models.pool, settings.service_name)
        await run_in_threadpool(idempotency.create_table)
        placements = await run_in_threadpool(lambda: Placements(env=application_env(settings)))
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
        stop = asyncio.Event()
        relay: IntegrationRelay | None = None
        try:
            background.runners = [
                ProjectionRunner(p, pool, settings.nats_url)
                for p in projections(placements, settings)
            ]
            for runner in background.runners:
                await runner.setup()
            background.tasks = [
                asyncio.create_task(runner.run_forever(stop), name=runner.projection.name)
                for runner in background.runners
            ]
            if settings.relay_enabled:
                relay = IntegrationRelay(
                    settings.service_name,
                    settings.nats_url,
                    placements.mapper,
                    translate,
                    event_stream=settings.nats_stream,
                    subject_prefix=settings.nats_subject_prefix,
                )
                background.tasks.append(
                    asyncio.create_task(relay.run_forever(stop), name="integration-relay")
                )
            for task in background.tasks:
                task.add_done_callback(_report_stopped)
            api.state.runtime = Runtime(placements, read_models, idempotency)
            yield
        finally:
            api.state.runtime = None
            stop.set()
            if background.tasks:
                _, pending = await asyncio.wait(background.tasks, timeout=STOP_TIMEOUT)
                for task in pending:
                    task.cancel()
            for runner in background.runners:
                runner.close()
            if relay is not None:
                await relay.close()
            await pool.close()
            await run_in_threadpool(placements.close)
            await run_in_threadpool(read_models.close)

    def database() -> bool:
        return read_models.ping()

    def projections_running() -> bool:
        """False if any runner or the relay has stopped (a projection stops at an event
        it cannot apply, and stays stopped until someone looks)."""
        return bool(background.tasks) and not any(t.done() for t in background.tasks)

    return create_app(
        settings,
        list(ROUTERS),
        lifespan=lifespan,
        readiness_checks=[database, projections_running],
        title="Belonging placements",
        token_verifier=token_verifier,
        relationships=AllocationRelationships(read_models),
    )


def _report_stopped(task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error("background_task_stopped", task=task.get_name(), error=str(error))
