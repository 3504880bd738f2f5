"""Wires the casefile service once: settings in, a FastAPI app out (STYLE.md rule 5).

At start-up (the app's lifespan) it builds the `Casefile` application on the
event store the settings name, a PostgreSQL pool for the idempotency keys and
the read-model queries, and starts in the background the projection runners
(`case_team`, `children`) and the integration relay. Readiness says whether
NATS is connected, PostgreSQL answers and no projection has stopped.

The application and the pools are made in the lifespan, not at import or in
`build_app`, so building the app has no side effects and a test can build one
app per module against its own stream and database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
import asyncpg
from fastapi import FastAPI
from psycopg import Connection
from psycopg_pool import ConnectionPool

from services.casefile.adapters.event_history import EventHistory
from services.casefile.adapters.integration_events import translate
from services.casefile.api import routers
from services.casefile.api.dependencies import CasefileApi
from services.casefile.api.policy import UNRELATED_READERS
from services.casefile.application import Casefile
from services.casefile.projections.case_team import CaseTeam, CaseTeamProjection
from services.casefile.projections.children import ChildrenRegister, ChildrenRegisterProjection
from services.casefile.settings import CasefileSettings
from shared.api.app_factory import create_app
from shared.api.idempotency import PostgresIdempotencyStore
from shared.auth.tokens import TokenVerifier
from shared.contracts.relay import IntegrationRelay
from shared.eventstore.factory import NatsFactory
from shared.observability.logs import get_logger
from shared.projections.runner import (
    PositionMoved,
    Projection,
    ProjectionRunner,
    Source,
    domain_event_decoder,
)

log = get_logger(__name__)


@dataclass
class Running:
    """Everything the lifespan started, so it can be checked and stopped."""

    casefile: Casefile
    pool: ConnectionPool[Connection[Any]]
    apg: asyncpg.Pool
    runners: list[ProjectionRunner]
    relay: IntegrationRelay | None
    #: Runners used on demand (not in a background task), closed with the rest.
    on_demand: list[ProjectionRunner] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


def _start_application(settings: CasefileSettings) -> tuple[Casefile, ConnectionPool[Any]]:
    """The blocking part of start-up, run in a worker thread."""
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set: casefile keeps its read models in PostgreSQL")
    casefile = Casefile(env=settings.application_env())
    pool: ConnectionPool[Connection[Any]] = ConnectionPool(
        settings.database_url, min_size=1, max_size=settings.database_pool_size, open=True
    )
    try:
        PostgresIdempotencyStore(pool, settings.service_name).create_table()
    except BaseException:
        pool.close()
        casefile.close()
        raise
    return casefile, pool


def _stream_of(casefile: Casefile) -> tuple[str, str]:
    factory = casefile.factory
    if not isinstance(factory, NatsFactory):
        raise RuntimeError("the casefile service needs PERSISTENCE_MODULE=shared.eventstore")
    return factory.stream, factory.subject_prefix


def _projections(source: Source) -> list[Projection]:
    return [CaseTeamProjection(source), ChildrenRegisterProjection(source)]


def replayable_projections(settings: CasefileSettings | None = None) -> list[Projection]:
    """Casefile's read models, for `belonging replay` (see shared.projections.catalogue).

    The mapper comes from an application on the in-memory store with the same
    cipher and compressor, so listing projections opens no connection.
    """
    settings = settings or CasefileSettings()
    env = {**settings.application_env(), "PERSISTENCE_MODULE": "eventsourcing.popo"}
    mapper = Casefile(env=env).mapper
    stream = settings.nats_stream or Casefile.name.upper()
    prefix = settings.nats_subject_prefix or Casefile.name
    return _projections(Source(stream, f"{prefix}.events.>", domain_event_decoder(mapper)))


def build_app(
    settings: CasefileSettings | None = None, *, token_verifier: TokenVerifier | None = None
) -> FastAPI:
    """The casefile FastAPI app; nothing starts until its lifespan runs."""
    settings = settings or CasefileSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        running = await _start(app, settings)
        try:
            yield
        finally:
            await _stop(running)

    def nats_connected() -> bool:
        running: Running = app.state.running
        factory = running.casefile.factory
        return isinstance(factory, NatsFactory) and factory.connection.is_connected

    def postgres_reachable() -> bool:
        running: Running = app.state.running
        with running.pool.connection() as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)

    def projections_running() -> bool:
        running: Running = app.state.running
        stopped = [r.projection.name for r in running.runners if r.error is not None]
        stopped += [t.get_name() for t in running.tasks if t.done()]
        return not stopped

    app = create_app(
        settings,
        routers(),
        lifespan=lifespan,
        readiness_checks=[nats_connected, postgres_reachable, projections_running],
        title="Belonging casefile",
        token_verifier=token_verifier,
    )
    return app


async def _start(app: FastAPI, settings: CasefileSettings) -> Running:
    casefile, pool = await anyio.to_thread.run_sync(_start_application, settings)
    try:
        apg = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=4)
    except BaseException:
        pool.close()
        casefile.close()
        raise
    stream, prefix = _stream_of(casefile)
    source = Source(stream, f"{prefix}.events.>", domain_event_decoder(casefile.mapper))
    projections = _projections(source)
    case_team = projections[0]
    runners = [ProjectionRunner(projection, apg, settings.nats_url) for projection in projections]
    relay = None
    if settings.relay_enabled:
        relay = IntegrationRelay(
            "casefile",
            settings.nats_url,
            casefile.mapper,
            translate,
            event_stream=stream,
            subject_prefix=prefix,
        )
    running = Running(casefile, pool, apg, runners, relay)
    for runner in runners:
        await runner.setup()

    # A write a moment ago (a registration, an allocation) may not be in the
    # read model yet; the checker then asks for a catch-up before saying no.
    on_demand = ProjectionRunner(case_team, apg, settings.nats_url)
    running.on_demand.append(on_demand)
    lock = asyncio.Lock()

    async def catch_up_case_team() -> None:
        async with lock:
            for _ in range(3):
                try:
                    await on_demand.catch_up()
                    return
                except PositionMoved:
                    continue

    def catch_up() -> None:
        try:
            anyio.from_thread.run(catch_up_case_team)
        except Exception:
            log.warning("case_team_catch_up_failed", exc_info=True)

    for runner in runners:
        running.tasks.append(
            asyncio.create_task(runner.run_forever(running.stop), name=runner.projection.name)
        )
    if relay is not None:
        running.tasks.append(asyncio.create_task(relay.run_forever(running.stop), name="relay"))
    for task in running.tasks:
        task.add_done_callback(_log_if_failed)

    app.state.relationships = CaseTeam(
        pool,
        team_managers=settings.team_managers,
        unrelated_readers=UNRELATED_READERS,
        catch_up=catch_up,
    )
    app.state.casefile = CasefileApi(
        casefile=casefile,
        idempotency=PostgresIdempotencyStore(pool, settings.service_name),
        history=EventHistory(casefile.factory),
        register=ChildrenRegister(pool),
        team_managers=settings.team_managers,
    )
    app.state.running = running
    return running


def _log_if_failed(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background_task_failed", task=task.get_name(), error=str(task.exception()))


async def _stop(running: Running) -> None:
    running.stop.set()
    if running.tasks:
        _, pending = await asyncio.wait(running.tasks, timeout=5)
        for task in pending:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*pending, return_exceptions=True)
    for runner in [*running.runners, *running.on_demand]:
        runner.close()
    if running.relay is not None:
        await running.relay.close()
    await running.apg.close()
    await anyio.to_thread.run_sync(running.pool.close)
    await anyio.to_thread.run_sync(running.casefile.close)
