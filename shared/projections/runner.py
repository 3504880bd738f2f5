"""Projection runner: streams in, PostgreSQL read models out, each event once.

Each page of events is applied in one transaction that also moves the
projection's stored position; each projection has its own schema, rebuilt by
replaying into a fresh one and swapping; an event that cannot be applied stops
the projection, naming its sequence (docs/adr/0004-projections-and-relay-exactly-once.md).
"""

from __future__ import annotations

import asyncio
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from eventsourcing.persistence import Mapper, OperationalError, StoredEvent

from shared.eventstore import envelope as env
from shared.eventstore.connection import NatsConnection
from shared.eventstore.keyring import KeyDestroyed
from shared.eventstore.reader import StoredMessage, StreamReader, subject_matches
from shared.eventstore.settings import NatsSettings
from shared.observability.tracing import extract_context, tracer
from shared.projections.changes import ReadModelChanges, announce

log = structlog.get_logger(__name__)

PAGE = 1000
#: A runner following in the background asks again this long (seconds) after
#: finding that a stream it reads does not exist yet (a service not deployed,
#: or not started): every 200 ms it cost a failed read, an API request and an
#: exception (docs/bench-api.md). A catch-up asked for always looks.
ABSENT_RECHECK = 2.0


class ProjectionStopped(RuntimeError):
    """A projection met an event it cannot apply and stopped there."""

    def __init__(self, projection: str, stream: str, seq: int, reason: str) -> None:
        super().__init__(f"projection {projection} stopped at {stream} sequence {seq}: {reason}")
        self.projection = projection
        self.stream = stream
        self.seq = seq
        self.reason = reason


@dataclass(frozen=True)
class Source:
    """A stream (and subject filter) a projection reads, and how to decode it."""

    stream: str
    subjects: str
    decode: Callable[[StoredMessage], Any]


@dataclass(frozen=True)
class Delivered:
    """One event as a handler sees it: decoded body plus its audit envelope."""

    stream: str
    seq: int
    subject: str
    message: StoredMessage = field(repr=False, compare=False)
    event: Any

    @property
    def headers(self) -> dict[str, str]:
        """The audit envelope, parsed when a handler first asks (most never do)."""
        return self.message.headers

    @property
    def recorded_at(self) -> datetime:
        text = self.headers.get(env.RECORDED_AT)
        return datetime.fromisoformat(text) if text else datetime.fromtimestamp(0, UTC)


class Projection(ABC):
    """A read model: its tables, its sources, and how each event changes it.

    Handlers must be pure functions of the events (no `now()`, no calls out),
    so that a replay on another day gives the same rows.
    """

    name: str
    tables: Sequence[str] = ()

    @abstractmethod
    def sources(self) -> Sequence[Source]: ...

    @abstractmethod
    def schema_sql(self) -> str:
        """DDL with unqualified names; it runs with search_path set to the schema."""

    @abstractmethod
    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None: ...

    async def apply_page(self, conn: asyncpg.Connection, page: Sequence[Delivered]) -> None:
        """Applies a page of events in order, inside the page's transaction.

        Override to apply a page in fewer round trips (e.g. one `executemany`
        per table) when replaying: one INSERT per event is what limits a
        replay. The runner falls back to `apply`, event by event, to name the
        event that failed if this raises.
        """
        for delivered in page:
            await self.apply(conn, delivered)


class Erased:
    """What an event of an erased record decodes to: its key is destroyed, nothing to apply."""

    def __repr__(self) -> str:
        return "ERASED"


#: The one `Erased`: handlers never see it; the runner passes over it and moves on.
ERASED = Erased()


def domain_event_decoder(mapper: Mapper[Any]) -> Callable[[StoredMessage], Any]:
    """Decrypts and decodes a service's own stored events with its mapper."""

    def decode(message: StoredMessage) -> Any:
        originator, version, topic = env.event_fields(message)
        try:
            return mapper.to_domain_event(StoredEvent(originator, version, topic, message.data))
        except KeyDestroyed:
            return ERASED

    return decode


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


@dataclass
class Progress:
    applied: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def rate(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.applied / elapsed if elapsed > 0 else 0.0


class ProjectionRunner:
    """Keeps one projection up to date, in its schema, exactly once."""

    def __init__(
        self,
        projection: Projection,
        pool: asyncpg.Pool,
        nats_url: str | NatsSettings,
        schema: str | None = None,
        page: int = PAGE,
        changes: ReadModelChanges | None = None,
    ) -> None:
        self.projection = projection
        self.pool = pool
        self.schema = schema or projection.name
        self.page = page
        #: Told of each commit at once, in this process; others hear it by NOTIFY.
        self.changes = changes
        # A URL: the process's NATS settings; a service passes its own (its credentials).
        if isinstance(nats_url, NatsSettings):
            connection = NatsConnection(nats_url, name=f"{projection.name}-projection")
            self.reader = StreamReader(connection, owns_connection=True)
        else:
            self.reader = StreamReader.connect(nats_url)
        self._reading = threading.Lock()
        self.error: ProjectionStopped | None = None
        self.progress = Progress()
        # How far each stream was read past the committed position, and from
        # which position: events a projection does not keep (an erasure
        # follower keeps almost none) move no position, and without this every
        # poll read them all again from the last one kept.
        self._scanned: dict[str, tuple[int, int]] = {}
        # When each stream was last found not to exist (time.monotonic()).
        self._absent: dict[str, float] = {}

    async def setup(self) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            # One setup at a time per schema across processes.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", self.schema)
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(self.schema)}")
            await conn.execute(f"SET LOCAL search_path TO {_quote(self.schema)}")
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS projection_position ("
                " stream text PRIMARY KEY, position bigint NOT NULL)"
            )
            await conn.execute(self.projection.schema_sql())

    async def positions(self) -> dict[str, int]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                f"SELECT stream, position FROM {_quote(self.schema)}.projection_position"
            )
        return {r["stream"]: int(r["position"]) for r in rows}

    async def _fetch(self, source: Source, after: int) -> tuple[list[StoredMessage], int]:
        """The source's messages in the next page, and the last sequence read.

        Streams hold almost only what their projections read (a service's
        events, or its integration events), so the page is read unfiltered,
        which costs the server less, and filtered here.
        """
        return await asyncio.to_thread(self._read_page, source, after)

    def _read_page(self, source: Source, after: int) -> tuple[list[StoredMessage], int]:
        # One read at a time: a prefetch cancelled when a page failed to apply
        # keeps running in its thread, and the retry must not read the same
        # positions alongside it.
        with self._reading:
            try:
                page = self.reader.next_batch(source.stream, after + 1, None, self.page)
            except OperationalError:
                if not self.reader.stream_exists(source.stream):
                    self._absent[source.stream] = time.monotonic()
                    return [], after  # nothing published there yet: nothing to apply
                raise
        self._absent.pop(source.stream, None)
        if not page:
            return [], after
        kept = [m for m in page if subject_matches(source.subjects, m.subject)]
        return kept, page[-1].seq

    def _missing_lately(self, stream: str, now: float, within: float) -> bool:
        """Whether `stream` was found not to exist less than `within` seconds before `now`."""
        found_missing = self._absent.get(stream)
        return found_missing is not None and now - found_missing < within

    async def catch_up(
        self, until: dict[str, int] | None = None, *, absent_recheck: float = 0.0
    ) -> int:
        """Applies everything available (or up to `until` per stream); returns the count.

        `absent_recheck`: skip a stream found not to exist less than this many
        seconds ago (the background's polls; a catch-up asked for looks).
        """
        if self.error is not None:
            raise self.error
        now = time.monotonic()
        sources = [
            source
            for source in self.projection.sources()
            if not self._missing_lately(source.stream, now, absent_recheck)
        ]
        if not sources:
            return 0  # every stream it reads is missing: not even its positions to read
        positions = await self.positions()
        total = 0
        for source in sources:
            position = positions.get(source.stream, 0)
            limit = None if until is None else until.get(source.stream, 0)
            cursor = position
            scanned = self._scanned.get(source.stream)
            if scanned is not None and scanned[0] == position and scanned[1] > position:
                cursor = scanned[1]  # nothing kept since: resume where the last read ended
            if limit is not None:
                cursor = min(cursor, max(limit, position))
            pending = asyncio.ensure_future(self._fetch(source, cursor))
            while True:
                kept, last_read = await pending
                if limit is not None:
                    kept = [m for m in kept if m.seq <= limit]
                    last_read = min(last_read, limit)
                if last_read <= cursor:
                    break
                cursor = last_read
                # Read the next page while this one is applied.
                pending = asyncio.ensure_future(self._fetch(source, cursor))
                if kept:
                    try:
                        await self._apply_page(source, kept, position)
                    except BaseException:
                        pending.cancel()
                        raise
                    position = kept[-1].seq
                    total += len(kept)
                    self.progress.applied += len(kept)
                self._scanned[source.stream] = (position, cursor)
            if not pending.done():
                pending.cancel()
        return total

    async def _apply_page(self, source: Source, page: list[StoredMessage], position: int) -> None:
        """Applies a page; at a bad event, keeps what came before it and stops there."""
        decoded: list[Delivered] = []
        undecodable: tuple[int, str] | None = None
        for message in page:
            try:
                event = source.decode(message)
            except Exception as e:
                undecodable = (message.seq, f"cannot decode the event: {e!r}")
                break
            decoded.append(Delivered(source.stream, message.seq, message.subject, message, event))
        if decoded and all(d.event is ERASED for d in decoded):
            await self._pass_over(source, decoded[-1].seq, position)
        elif decoded:
            try:
                await self._commit(source, decoded, position)
            except _HandlerFailed as failed:
                before = [d for d in decoded if d.seq < failed.seq]
                if before:
                    await self._commit(source, before, position)
                self._stop(source, failed.seq, failed.reason)
        if undecodable is not None:
            self._stop(source, *undecodable)

    async def _pass_over(self, source: Source, to: int, position: int) -> None:
        """Moves past events that give nothing to apply (erased records)."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(f"SET LOCAL search_path TO {_quote(self.schema)}")
            await self._move_position(conn, source, to, position)

    async def _commit(self, source: Source, everything: list[Delivered], position: int) -> None:
        decoded = [d for d in everything if d.event is not ERASED]
        if not decoded:
            return await self._pass_over(source, everything[-1].seq, position)
        to = everything[-1].seq
        live = len(decoded) <= 10  # following live writes, not replaying
        if not live:
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    await conn.execute(f"SET LOCAL search_path TO {_quote(self.schema)}")
                    await self.projection.apply_page(conn, decoded)
                    await self._move_position(conn, source, to, position)
                    await self._announce(conn)
                self._changed()
                return
            except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError):
                raise
            except PositionMoved:
                raise
            except Exception:
                pass  # find which event failed, one at a time, below
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(f"SET LOCAL search_path TO {_quote(self.schema)}")
            for delivered in decoded:
                try:
                    if live and "traceparent" in delivered.headers:
                        with tracer().start_as_current_span(
                            f"project {self.projection.name}",
                            context=extract_context(delivered.headers),
                        ):
                            await self.projection.apply(conn, delivered)
                    else:
                        await self.projection.apply(conn, delivered)
                except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError):
                    raise  # the database went away: nothing committed, try again later
                except Exception as e:
                    raise _HandlerFailed(delivered.seq, f"the handler failed: {e!r}") from e
            await self._move_position(conn, source, to, position)
            await self._announce(conn)
        self._changed()

    async def _announce(self, conn: asyncpg.Connection) -> None:
        """Says, in the commit, that the live read model changed. A replay's fresh
        schema, which nobody reads until it is swapped in, says nothing: the swap does."""
        if self.schema == self.projection.name:
            await announce(conn, self.schema)

    def _changed(self) -> None:
        if self.changes is not None:
            self.changes.changed_here(self.schema)

    async def _move_position(
        self, conn: asyncpg.Connection, source: Source, to: int, expected: int
    ) -> None:
        """Moves the position only if nobody else did (another replica of this
        runner): otherwise the transaction rolls back and the caller re-reads."""
        moved = await conn.execute(
            "INSERT INTO projection_position (stream, position) VALUES ($1, $2) "
            "ON CONFLICT (stream) DO UPDATE SET position = EXCLUDED.position "
            "WHERE projection_position.position = $3",
            source.stream,
            to,
            expected,
        )
        if moved.endswith(" 0"):
            raise PositionMoved(self.projection.name, source.stream)

    def _stop(self, source: Source, seq: int, reason: str) -> None:
        self.error = ProjectionStopped(self.projection.name, source.stream, seq, reason)
        log.error(
            "projection stopped",
            projection=self.projection.name,
            stream=source.stream,
            seq=seq,
            reason=reason,
        )
        raise self.error

    async def run_forever(
        self, stop: asyncio.Event, idle: float = 0.2, absent_recheck: float = ABSENT_RECHECK
    ) -> None:
        """Follows the streams until `stop` is set; survives outages of either server."""
        await self.setup()
        while not stop.is_set():
            try:
                applied = await self.catch_up(absent_recheck=absent_recheck)
            except ProjectionStopped:
                raise
            except PositionMoved:
                continue
            except Exception as e:  # NATS or PostgreSQL unavailable: wait and retry
                log.warning("projection waiting", projection=self.projection.name, error=str(e))
                applied = 0
                await asyncio.sleep(1.0)
            if applied == 0:
                try:
                    await asyncio.wait_for(stop.wait(), idle)
                except TimeoutError:
                    pass

    def close(self) -> None:
        self.reader.close()


class _HandlerFailed(Exception):
    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(reason)
        self.seq = seq
        self.reason = reason


class PositionMoved(RuntimeError):
    """Another runner of the same projection moved the position first."""

    def __init__(self, projection: str, stream: str) -> None:
        super().__init__(f"{projection}: position on {stream} moved by another runner")


@dataclass
class RebuildReport:
    projection: str
    events: int
    seconds: float
    differences: dict[str, int]
    swapped: bool

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


async def _table_difference(conn: asyncpg.Connection, a: str, b: str, table: str) -> int:
    """Rows in one schema's table and not the other's, both ways."""
    qa, qb, qt = _quote(a), _quote(b), _quote(table)
    value = await conn.fetchval(
        f"SELECT (SELECT count(*) FROM"
        f" (SELECT * FROM {qa}.{qt} EXCEPT ALL SELECT * FROM {qb}.{qt}) x)"
        f" + (SELECT count(*) FROM"
        f" (SELECT * FROM {qb}.{qt} EXCEPT ALL SELECT * FROM {qa}.{qt}) y)"
    )
    return int(value)


async def rebuild(
    projection: Projection,
    pool: asyncpg.Pool,
    nats_url: str,
    swap: bool = True,
    on_progress: Callable[[int, float], None] | None = None,
) -> RebuildReport:
    """Replays a projection from the first event into a fresh schema, compares, swaps.

    The comparison holds a lock on the live positions table so the live
    runner cannot move while the two are compared at the same positions; if
    the live runner got ahead, the rebuild catches up and compares again.
    """
    live = projection.name
    fresh = f"{live}__rebuild"
    async with pool.acquire() as conn:
        await conn.execute(f"DROP SCHEMA IF EXISTS {_quote(fresh)} CASCADE")
    live_runner = ProjectionRunner(projection, pool, nats_url)
    await live_runner.setup()
    runner = ProjectionRunner(projection, pool, nats_url, schema=fresh)
    await runner.setup()
    started = time.monotonic()
    events = 0
    try:
        while True:
            target = await live_runner.positions()
            events += await runner.catch_up(until=target)
            if on_progress:
                on_progress(events, runner.progress.rate)
            async with pool.acquire() as conn, conn.transaction():
                await conn.execute(
                    f"LOCK TABLE {_quote(live)}.projection_position IN EXCLUSIVE MODE"
                )
                now = {
                    r["stream"]: int(r["position"])
                    for r in await conn.fetch(
                        f"SELECT stream, position FROM {_quote(live)}.projection_position"
                    )
                }
                mine = {
                    r["stream"]: int(r["position"])
                    for r in await conn.fetch(
                        f"SELECT stream, position FROM {_quote(fresh)}.projection_position"
                    )
                }
                if now != mine:
                    continue  # the live runner moved on: catch up again
                differences = {
                    table: await _table_difference(conn, live, fresh, table)
                    for table in projection.tables
                }
                same = not any(differences.values())
                if swap and same:
                    old = f"{live}__old"
                    await conn.execute(f"DROP SCHEMA IF EXISTS {_quote(old)} CASCADE")
                    await conn.execute(f"ALTER SCHEMA {_quote(live)} RENAME TO {_quote(old)}")
                    await conn.execute(f"ALTER SCHEMA {_quote(fresh)} RENAME TO {_quote(live)}")
                    await conn.execute(f"DROP SCHEMA {_quote(old)} CASCADE")
                    await announce(conn, live)
                return RebuildReport(
                    projection=live,
                    events=events,
                    seconds=time.monotonic() - started,
                    differences=differences,
                    swapped=swap and same,
                )
    finally:
        runner.close()
        live_runner.close()
