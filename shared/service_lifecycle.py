"""One lifecycle for every service: a bootstrap declares its parts, this starts them.

A service's `bootstrap.py` declares `ServiceParts`: its settings, its
application, its routers, its projections, what its relay publishes, its
read side and its relationship checker. `build_app` starts them in the same
order for every service (the application, the PostgreSQL pools, the
projection runners, the relay), checks them the same way (`/ready`: NATS
connected, PostgreSQL answering, every runner and the relay running) and stops
them in reverse within `STOP_TIMEOUT`.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
import asyncpg
import uvicorn
from fastapi import APIRouter, FastAPI
from psycopg import Connection
from psycopg_pool import ConnectionPool

from shared.api.app_factory import create_app
from shared.api.idempotency import PostgresIdempotencyStore
from shared.api.listeners import EvenShares, port_shares, run_workers
from shared.api.runtime import ServiceRuntime
from shared.auth.break_glass import BreakGlassGrants
from shared.auth.relationships import RelationshipChecker, RememberedRelationships
from shared.auth.tokens import TokenVerifier
from shared.contracts import sealing
from shared.contracts.quarantine import QUARANTINE_TABLE, quarantined_count
from shared.contracts.relay import IntegrationRelay, Translate
from shared.erasure import ErasureFollower
from shared.eventstore.factory import NatsFactory
from shared.eventstore.settings import NatsSettings
from shared.observability.logs import get_logger
from shared.projections.changes import ReadModelChanges
from shared.projections.runner import (
    PositionMoved,
    Projection,
    ProjectionRunner,
    Source,
    domain_event_decoder,
)
from shared.read_your_writes import LearnedViews, Published
from shared.service_application import ServiceApplication
from shared.settings import ServiceSettings

log = get_logger(__name__)

S = TypeVar("S", bound=ServiceSettings)

#: How long the runners and the relay get to finish their page when a service stops.
STOP_TIMEOUT = 10.0
#: How often a process not running the background asks again to take it over.
LEADER_RETRY = 2.0


@dataclass
class Started(Generic[S]):
    """What the lifecycle started, handed to a service's parts that need it."""

    settings: S
    application: ServiceApplication[Any]
    pool: ConnectionPool[Connection[Any]]
    apg: asyncpg.Pool
    projections: dict[str, Projection] = field(default_factory=dict)
    runners: list[ProjectionRunner] = field(default_factory=list)
    relay: IntegrationRelay | None = None
    #: Whether this process runs the projection runners and the relay.
    leading: bool = False
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    #: How far the read models of other services' integration streams are (ADR 0019).
    views: LearnedViews | None = None
    #: Hears of every read model change, to forget remembered relationships (ADR 0025).
    changes: ReadModelChanges | None = None
    _on_demand: dict[str, ProjectionRunner] = field(default_factory=dict)
    _catching_up: asyncio.Lock = field(default_factory=asyncio.Lock)

    def catch_up(self, projection: str) -> None:
        """Bring one read model up to the stream's end now (called from a worker thread).

        A write a moment ago (a registration, an allocation) may not be in the
        read model yet; a check that would say no asks for a catch-up first.
        """
        try:
            anyio.from_thread.run(self._catch_up, projection)
        except Exception:
            log.warning("catch_up_failed", projection=projection, exc_info=True)

    async def _catch_up(self, name: str) -> None:
        async with self._catching_up:
            runner = self._on_demand.get(name)
            if runner is None:
                runner = ProjectionRunner(
                    self.projections[name],
                    self.apg,
                    self.settings.nats_settings(),
                    changes=self.changes,
                )
                self._on_demand[name] = runner
            for _ in range(3):
                try:
                    await runner.catch_up()
                    return
                except PositionMoved:
                    continue


@dataclass(frozen=True)
class ServiceParts(Generic[S]):
    """What a service is made of; `shared` starts, checks and stops it."""

    title: str
    settings: type[S]
    application: type[ServiceApplication[Any]]
    routers: Callable[[], Sequence[APIRouter]]
    #: The read models, from the application's events and other services' integration events.
    projections: Callable[[Source, S], Sequence[Projection]]
    #: The service's read side for its endpoints (`ServiceRuntime.reads`).
    reads: Callable[[Started[S]], Any]
    #: Who is related to which child (`require()` consults it for `{child_id}` routes).
    relationships: Callable[[Started[S], Any], RelationshipChecker]
    #: Turns the service's domain events into its published integration events.
    translate: Translate | None = None
    #: Set on the application once its read side is up (e.g. what it learns from others).
    wire: Callable[[ServiceApplication[Any], Any], None] | None = None
    #: Followers of other services' integration events that record what they
    #: learn on the service's own records (commands, not read models): run like
    #: projections, exactly once by position, and never replayed by `belonging replay`.
    followers: Callable[[ServiceApplication[Any]], Sequence[Projection]] | None = None
    #: Where break-glass grants are found (`require()` consults it for unrelated callers).
    break_glass: Callable[[Started[S], Any], BreakGlassGrants] | None = None
    #: Path prefixes whose endpoints stream their bodies and bound them themselves
    #: (uploads such as schools' feeds); every other body keeps `max_body_bytes`.
    streamed_paths: tuple[str, ...] = ()

    def make_application(self, settings: S, *, persistence: str | None = None) -> Any:
        """The service's application; on another `persistence`, its record keys stay in NATS."""
        env = settings.application_env()
        if persistence is not None:
            env["PERSISTENCE_MODULE"] = persistence
            env["KEY_VAULT"] = "nats"  # a replay decodes the events in NATS with their keys
        application = self.application(env=env)
        integration_key = settings.integration_key
        nats = NatsSettings.load(application.env.get)
        sealing.use_integration_keys(
            nats, integration_key.get_secret_value() if integration_key is not None else None
        )
        circles = {c: application.env.get(sealing.circle_variable(c)) for c in sealing.CIRCLES}
        sealing.use_circle_keys(nats, {c: key for c, key in circles.items() if key})
        return application

    def event_source(self, application: ServiceApplication[Any], settings: S) -> Source:
        """The service's own domain events, decoded (and decrypted) by its mapper."""
        return Source(
            settings.event_stream,
            f"{settings.event_subject_prefix}.events.>",
            domain_event_decoder(application.mapper),
        )

    def replayable_projections(self, settings: S | None = None) -> list[Projection]:
        """The read models `belonging replay` rebuilds (shared/projections/catalogue.py).

        Built from the environment like the service; the application is made on
        the in-memory store with the same cipher, compressor and record keys
        (read from NATS on first use), so listing projections opens no connection.
        """
        chosen = settings or self.settings()
        application = self.make_application(chosen, persistence="eventsourcing.popo")
        return list(self.projections(self.event_source(application, chosen), chosen))


def build_app(
    parts: ServiceParts[S],
    settings: S | None = None,
    *,
    token_verifier: TokenVerifier | None = None,
) -> FastAPI:
    """The service's FastAPI app; nothing starts until its lifespan runs."""
    chosen: S = settings or parts.settings()
    if not chosen.database_url:
        raise ValueError("DATABASE_URL is required: the read models live in PostgreSQL")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = chosen.request_threads
        started = await _start(parts, chosen)
        if chosen.gc_freeze:
            gc.collect()
            gc.freeze()
            _, middle, oldest = gc.get_threshold()
            gc.set_threshold(chosen.gc_young_threshold, middle, oldest)
        app.state.started = started
        try:
            reads = parts.reads(started)
            app.state.relationships = _remembered(started, parts.relationships(started, reads))
            if parts.break_glass is not None:
                app.state.break_glass = parts.break_glass(started, reads)
            if parts.wire is not None:
                parts.wire(started.application, reads)
            idempotency = PostgresIdempotencyStore(started.pool, chosen.service_name)
            app.state.runtime = ServiceRuntime(started.application, idempotency, reads)
            app.state.learned_views = started.views
            yield
        finally:
            app.state.runtime = None
            app.state.learned_views = None
            await _stop(started)

    def running() -> Started[S]:
        started: Started[S] = app.state.started
        return started

    def nats_connected() -> bool:
        factory = running().application.factory
        return not isinstance(factory, NatsFactory) or factory.connection.is_connected

    def postgres_reachable() -> bool:
        with running().pool.connection() as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)

    def projections_running() -> bool:
        """False if a runner or the relay has stopped (a projection stops at an
        event it cannot apply, and stays stopped until someone looks)."""
        started = running()
        failed = [r.projection.name for r in started.runners if r.error is not None]
        failed += [t.get_name() for t in started.tasks if t.done()]
        return not failed

    async def integration_quarantine() -> str:
        """How many integration messages projections quarantined, if any ("ok" if none):
        degraded, not failing, since the projections go on (shared/contracts/quarantine.py)."""
        started = running()
        counts: dict[str, int] = {}
        async with started.apg.acquire() as conn:
            for projection in started.projections.values():
                if QUARANTINE_TABLE in projection.tables:
                    counts[projection.name] = await quarantined_count(conn, projection.name)
        if not any(counts.values()):
            return "ok"
        named = ", ".join(f"{name}: {count}" for name, count in counts.items() if count)
        return f"degraded: {sum(counts.values())} integration messages quarantined ({named})"

    app = create_app(
        chosen,
        list(parts.routers()),
        lifespan=lifespan,
        readiness_checks=[
            nats_connected,
            postgres_reachable,
            projections_running,
            integration_quarantine,
        ],
        title=parts.title,
        token_verifier=token_verifier,
        streamed_paths=parts.streamed_paths,
    )
    shares = port_shares()
    if shares is not None:  # a worker of several on one port (`serve`)
        app.add_middleware(EvenShares, shares=shares)
    return app


async def _start(parts: ServiceParts[S], settings: S) -> Started[S]:
    def blocking() -> tuple[ServiceApplication[Any], ConnectionPool[Connection[Any]]]:
        application = parts.make_application(settings)
        pool: ConnectionPool[Connection[Any]] = ConnectionPool(
            str(settings.database_url),
            min_size=1,
            max_size=settings.database_pool_size,
            open=False,
        )
        try:
            pool.open(wait=True, timeout=30)
            PostgresIdempotencyStore(pool, settings.service_name).create_table()
        except BaseException:
            pool.close()
            application.close()
            raise
        return application, pool

    application, pool = await anyio.to_thread.run_sync(blocking)
    if parts.translate is not None and settings.relay_enabled:
        # Each write answers where what it published is (Belonging-Position, ADR 0019).
        application.published = Published(settings.service_name, parts.translate)
    try:
        apg = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=5)
    except BaseException:
        await anyio.to_thread.run_sync(pool.close)
        await anyio.to_thread.run_sync(application.close)
        raise
    started = Started(settings, application, pool, apg)
    if settings.relationship_memory_seconds:
        started.changes = ReadModelChanges(str(settings.database_url))
    try:
        projections = parts.projections(parts.event_source(application, settings), settings)
        # Every service follows casefile's erasures of children (shared/erasure.py).
        followers = list(parts.followers(application)) if parts.followers else []
        projections = [*projections, *followers, ErasureFollower(application, projections)]
        started.projections = {p.name: p for p in projections}
        nats = settings.nats_settings()  # the service's own credentials, for every runner
        started.runners = [
            ProjectionRunner(p, apg, nats, changes=started.changes) for p in projections
        ]
        for runner in started.runners:
            await runner.setup()  # the tables exist before the first request is served
        started.views = _learned_views(started)
    except BaseException:
        await _stop(started)
        raise
    started.tasks.append(
        asyncio.create_task(_lead_the_background(parts, started), name="background")
    )
    if started.changes is not None:
        started.tasks.append(
            asyncio.create_task(
                started.changes.run_forever(started.stop), name="read-model-changes"
            )
        )
    for task in started.tasks:
        task.add_done_callback(_report_stopped)
    return started


def _remembered(started: Started[Any], checker: RelationshipChecker) -> RelationshipChecker:
    """The service's checker, remembering what it found until a read model changes (ADR 0025)."""
    changes = started.changes
    if changes is None:
        return checker
    remembered = RememberedRelationships(
        checker,
        lambda: changes.listening,
        max_age=started.settings.relationship_memory_seconds,
    )
    changes.subscribe(remembered.forget)
    return remembered


def _learned_views(started: Started[Any]) -> LearnedViews:
    """Waits for other services' writes in this service's views of them (ADR 0019)."""
    readers = {r.projection.name: r.reader for r in started.runners}
    projections = list(started.projections.values())
    followed = [p for p in projections if p.name in readers]
    first = next(iter(readers.values()), None)  # thread-safe; reads by Direct Get
    return LearnedViews(followed, started.apg, reader=lambda: first, catch_up=started._catch_up)


async def _lead_the_background(parts: ServiceParts[S], started: Started[S]) -> None:
    """Run the projection runners and the relay in one process of the service only.

    A service may run as several processes (uvicorn workers, replicas): the one
    holding the service's PostgreSQL advisory lock runs them; the others serve
    requests and take over within `LEADER_RETRY` seconds if it goes away. Two
    leaders at once (a lost lock connection) would still apply each event once
    and publish each integration event once, only doing the work twice.
    """
    settings = started.settings
    async with started.apg.acquire() as conn:
        while not await conn.fetchval(
            "SELECT pg_try_advisory_lock(hashtext($1))",
            f"belonging-background-{settings.service_name}",
        ):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(started.stop.wait(), LEADER_RETRY)
            if started.stop.is_set():
                return
        background: list[asyncio.Task[None]] = [
            asyncio.create_task(runner.run_forever(started.stop), name=runner.projection.name)
            for runner in started.runners
        ]
        if parts.translate is not None and settings.relay_enabled:
            started.relay = IntegrationRelay(
                settings.service_name,
                settings.nats_url,
                started.application.mapper,
                parts.translate,
                event_stream=settings.event_stream,
                subject_prefix=settings.event_subject_prefix,
                nats=settings.nats_settings(),
            )
            background.append(
                asyncio.create_task(started.relay.run_forever(started.stop), name="relay")
            )
        for task in background:
            task.add_done_callback(_report_stopped)
        started.tasks.extend(background)
        started.leading = True  # last: another thread that sees it sees the tasks too
        await started.stop.wait()


async def _stop(started: Started[Any]) -> None:
    started.stop.set()
    if started.tasks:
        _, pending = await asyncio.wait(started.tasks, timeout=STOP_TIMEOUT)
        for task in pending:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*pending, return_exceptions=True)
    for runner in [*started.runners, *started._on_demand.values()]:
        runner.close()
    if started.relay is not None:
        await started.relay.close()
    await started.apg.close()
    await anyio.to_thread.run_sync(started.pool.close)
    await anyio.to_thread.run_sync(started.application.close)


def _report_stopped(task: asyncio.Task[None]) -> None:
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        log.error("background_task_stopped", task=task.get_name(), error=str(error))


def serve(parts: ServiceParts[Any], app_factory: str) -> None:
    """`python -m services.<name>`: serve the service on its port (loopback unless HOST is set).

    `WEB_CONCURRENCY` processes (uvicorn workers, each built by `app_factory`,
    "module:function") share the port, each on a listening socket of its own
    where the kernel can spread connections, and they keep their shares of
    the connections even (shared/api/listeners.py); one of them runs the
    background.
    """
    os.environ.setdefault("GC_FREEZE", "true")  # a process of its own (and its workers)
    settings = parts.settings()
    host = os.environ.get("HOST", "127.0.0.1")  # a container sets HOST=0.0.0.0
    if settings.workers > 1:
        run_workers(app_factory, host=host, port=settings.port, workers=settings.workers)
    else:
        uvicorn.run(build_app(parts, settings), host=host, port=settings.port, log_config=None)
