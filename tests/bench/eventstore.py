"""Event store benchmark: our NATS store beside the library's PostgreSQL and SQLite modules.

    python tests/bench/eventstore.py            # default counts (a few minutes on 2 cores)
    python tests/bench/eventstore.py --quick    # small counts, a smoke test (under a minute)
    python tests/bench/eventstore.py --profile save4   # cProfile one of our paths

One run starts one nats-server (deploy/nats/nats-server.conf: fsync before
every acknowledgement) and one embedded PostgreSQL 18 (defaults: fsync on,
synchronous commit on) in a temporary directory, measures every backend on the
same machine with fixed counts after a warm-up, prints one table, and stops
both servers. All traffic stays on 127.0.0.1. Write and get phases run in ten
rounds, each round starting one backend later, with the disk flushed before
each write phase, so a slow spell of the disk or one backend's writeback falls
on every backend alike.

Backends:
- ours: `PERSISTENCE_MODULE=shared.eventstore` (NATS JetStream);
- the library's `eventsourcing.postgres` on the embedded PostgreSQL;
- the library's `eventsourcing.sqlite` on a file in the temporary directory;
- raw NATS: plain nats-py publishes with `Nats-Expected-Last-Subject-Sequence`
  and atomic batches of four, with payloads the size of our stored events;
  for reads, our stream read as ours reads it (a cursor for the log and
  replays, Direct Get for gets) without decoding: nats-py's reads are slower,
  so this is the ceiling.

The three `eventsourcing` backends run the same Application, aggregate and
mapper (cipher on, zlib compressor on, the envelope mapper), so the events they
store are the same. The projection replay uses `shared.projections`'
`ProjectionRunner` when it is importable, else a batched replay of our own.
Absolute figures move with the machine and its load; the ratios are what count.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import platform
import pstats
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import nats
from eventsourcing.application import Application
from eventsourcing.cipher import AESCipher
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Mapper
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from rich.console import Console
from rich.table import Table

from shared.eventstore.reader import StreamReader
from shared.stack.nats_cluster import NatsCluster
from shared.stack.nats_server import NatsServer
from shared.stack.postgres_server import PostgresServer

THREADS = 16
PAGE = 1000
EXPECTED = "Nats-Expected-Last-Subject-Sequence"

OURS, OURS_R3, PG, SQLITE, RAW = "ours", "ours-r3", "pg", "sqlite", "raw"

# Row keys, labels and units, in the order printed. The smoke test looks for
# every label.
ROWS: list[tuple[str, str, str]] = [
    ("save1_seq", "one-event saves, 1 thread", "saves/s"),
    ("save4_seq", "four-event saves, 1 thread", "saves/s"),
    ("save1_par", f"one-event saves, {THREADS} threads", "saves/s"),
    ("save4_par", f"four-event saves, {THREADS} threads", "saves/s"),
    ("get", "gets of 5-event aggregates", "aggregates/s"),
    ("get_again", "gets of aggregates read before", "aggregates/s"),
    ("notif", "notification log reads, pages of 1000", "events/s"),
    ("replay", "projection replay into PostgreSQL", "events/s"),
    ("p50", "one-event save latency p50", "ms"),
    ("p99", "one-event save latency p99", "ms"),
]

BASE_ENV = {
    "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
    "MAPPER_TOPIC": "shared.eventstore.envelope:EnvelopeMapper",
}

CIPHERS = {
    "pycryptodome": "eventsourcing.cipher:AESCipher",  # the library's default
    "cryptography": "eventsourcing.cryptography:AESCipher",  # same format, other library
}

STREAM, PREFIX = "BENCH", "bench"
RAW_STREAM, RAW_PREFIX = "RAWBENCH", "rawbench"


# -- the event shape ---------------------------------------------------------


class Note(Aggregate):
    """A small aggregate whose commands carry about 200 bytes of text."""

    @event("Started")
    def __init__(self, text: str) -> None:
        self.text = text
        self.notes = 0

    @event("Noted")
    def note(self, text: str) -> None:
        self.text = text
        self.notes += 1


class BenchApp(Application[UUID]):
    pass


_WORDS = [
    "placement",
    "review",
    "visit",
    "school",
    "health",
    "plan",
    "contact",
    "social",
    "worker",
    "carer",
    "foster",
    "residential",
    "missing",
    "episode",
    "education",
    "pathway",
    "independent",
    "reviewing",
    "officer",
    "statutory",
    "notification",
    "council",
    "child",
    "young",
    "person",
    "attended",
    "recorded",
    "agreed",
    "outcome",
    "assessment",
    "referral",
    "strengths",
]


def make_texts(count: int = 64, size: int = 200, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        words: list[str] = []
        while sum(len(w) + 1 for w in words) < size:
            words.append(rng.choice(_WORDS))
        texts.append(" ".join(words)[:size])
    return texts


TEXTS = make_texts()


# -- counts ------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    populate: int  # aggregates of 5 events each (the log reads and gets read them)
    seq1: int  # sequential one-event saves
    seq4: int  # sequential four-event saves
    par1: int  # one-event saves per thread
    par4: int  # four-event saves per thread
    gets: int
    read_passes: int
    warm: int  # warm-up operations before each measured phase
    rounds: int  # interleaved rounds of each write and get phase


FULL = Counts(
    populate=10_000,
    seq1=3000,
    seq4=1000,
    par1=200,
    par4=60,
    gets=3000,
    read_passes=3,
    warm=100,
    rounds=10,
)
QUICK = Counts(
    populate=1000, seq1=150, seq4=50, par1=8, par4=4, gets=200, read_passes=1, warm=10, rounds=1
)


# -- helpers -----------------------------------------------------------------

err = Console(stderr=True, highlight=False)


def note(message: str) -> None:
    err.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {message}")


def percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def new_aggregates(app: Application[UUID], count: int, chunk: int = 500) -> list[Note]:
    """Saved aggregates of one event each, held in memory for later commands."""
    out: list[Note] = []
    for start in range(0, count, chunk):
        aggs = [Note(TEXTS[i % len(TEXTS)]) for i in range(start, min(count, start + chunk))]
        app.save(*aggs)
        out.extend(aggs)
    return out


def populate(app: Application[UUID], count: int) -> list[UUID]:
    """`count` aggregates of five events each, 200 aggregates (1,000 events) a save."""
    ids: list[UUID] = []
    n = len(TEXTS)
    for start in range(0, count, 200):
        aggs = []
        for i in range(start, min(count, start + 200)):
            agg = Note(TEXTS[i % n])
            for j in range(1, 5):
                agg.note(TEXTS[(i + j) % n])
            aggs.append(agg)
        app.save(*aggs)
        ids.extend(a.id for a in aggs)
    return ids


def saves_sequential(
    app: Application[UUID], aggs: list[Note], count: int, events: int
) -> tuple[float, list[float]]:
    """(saves/s, latencies) of `count` saves of `events` new events, one at a time.

    Saves/s counts the time spent in `Application.save` only: running the
    aggregate's commands that make the events is the domain's work, the same
    for every backend and absent from the raw ceiling.
    """
    clock = time.perf_counter
    latencies: list[float] = []
    n = len(TEXTS)
    for i in range(count):
        agg = aggs[i % len(aggs)]
        for j in range(events):
            agg.note(TEXTS[(i + j) % n])
        t = clock()
        app.save(agg)
        latencies.append(clock() - t)
    return count / sum(latencies), latencies


def saves_concurrent(
    app: Application[UUID], groups: list[list[Note]], per_thread: int, events: int
) -> float:
    """saves/s of len(groups) threads, each saving its own aggregates.

    Wall-clock over all threads: under concurrency the commands that make the
    events run between other threads' saves, so they are counted here.
    """
    barrier = threading.Barrier(len(groups) + 1)
    errors: list[BaseException] = []

    def work(aggs: list[Note]) -> None:
        barrier.wait()
        try:
            saves_sequential(app, aggs, per_thread, events)
        except BaseException as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(g,), daemon=True) for g in groups]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return len(groups) * per_thread / elapsed


def gets(app: Application[UUID], ids: Sequence[UUID]) -> float:
    started = time.perf_counter()
    for aggregate_id in ids:
        app.repository.get(aggregate_id)
    return len(ids) / (time.perf_counter() - started)


def read_log(recorder: Any, total: int) -> int:
    start, got = 1, 0
    while got < total:
        page = recorder.select_notifications(start, min(PAGE, total - got))
        if not page:
            break
        got += len(page)
        start = page[-1].id + 1
    return got


def best_rate(fn: Callable[[], int], passes: int) -> float:
    best = 0.0
    for _ in range(passes):
        started = time.perf_counter()
        n = fn()
        best = max(best, n / (time.perf_counter() - started))
    return best


# -- one eventsourcing backend -----------------------------------------------


@dataclass
class Stack:
    tmp: Path
    nats: NatsServer
    pg: PostgresServer
    cipher_key: str
    cipher_topic: str = "eventsourcing.cipher:AESCipher"
    cluster: NatsCluster | None = None

    def env(self, backend: str) -> dict[str, str]:
        env = dict(BASE_ENV, CIPHER_KEY=self.cipher_key, CIPHER_TOPIC=self.cipher_topic)
        if backend == OURS:
            env.update(
                PERSISTENCE_MODULE="shared.eventstore",
                NATS_URL=self.nats.url,
                NATS_STREAM=STREAM,
                NATS_SUBJECT_PREFIX=PREFIX,
            )
        elif backend == OURS_R3:
            assert self.cluster is not None
            env.update(
                PERSISTENCE_MODULE="shared.eventstore",
                NATS_URL=self.cluster.urls,
                NATS_REPLICAS="3",
                NATS_STREAM=STREAM,
                NATS_SUBJECT_PREFIX=PREFIX,
            )
        elif backend == PG:
            env.update(
                PERSISTENCE_MODULE="eventsourcing.postgres",
                POSTGRES_DBNAME="bench",
                POSTGRES_HOST="127.0.0.1",
                POSTGRES_PORT=str(self.pg.port),
                POSTGRES_USER="postgres",
                POSTGRES_PASSWORD="",
                # One connection per writer thread (the default pool is 5 + 10).
                POSTGRES_POOL_SIZE=str(THREADS),
                POSTGRES_MAX_OVERFLOW="0",
            )
        elif backend == SQLITE:
            env.update(
                PERSISTENCE_MODULE="eventsourcing.sqlite",
                SQLITE_DBNAME=str(self.tmp / "bench.sqlite"),
            )
        return env


class AppBackend:
    """One of the three `eventsourcing` backends, with its aggregates in memory."""

    def __init__(self, stack: Stack, name: str) -> None:
        self.name = name
        self.app = BenchApp(env=stack.env(name))
        self.ids: list[UUID] = []
        self.aggs: list[Note] = []
        self.groups: list[list[Note]] = []

    def prepare(self, counts: Counts) -> None:
        started = time.perf_counter()
        self.ids = populate(self.app, counts.populate)
        self.aggs = new_aggregates(self.app, 100)
        self.groups = [new_aggregates(self.app, 10) for _ in range(THREADS)]
        seconds = time.perf_counter() - started
        note(f"{self.name}: stored {len(self.ids) * 5:,} events in {seconds:.1f}s")
        # Warm-up: the same operations on other aggregates, not measured.
        warm = new_aggregates(self.app, 20)
        saves_sequential(self.app, warm, counts.warm, 1)
        saves_sequential(self.app, warm, max(1, counts.warm // 4), 4)
        saves_concurrent(self.app, self.groups, max(2, counts.warm // THREADS), 1)
        read_log(self.app.recorder, PAGE)
        gets(self.app, self.ids[-counts.warm :])

    def read_log(self, total: int) -> int:
        return read_log(self.app.recorder, total)

    def gets(self, indexes: Sequence[int]) -> float:
        return gets(self.app, [self.ids[i] for i in indexes])

    def saves(self, count: int, events: int) -> tuple[float, list[float]]:
        return saves_sequential(self.app, self.aggs, count, events)

    def concurrent(self, per_thread: int, events: int) -> float:
        return saves_concurrent(self.app, self.groups, per_thread, events)

    def close(self) -> None:
        self.app.close()


def stored_payload_size(stack: Stack) -> int:
    """The size of one of our stored 'Noted' bodies (compressed and encrypted)."""
    env = stack.env(OURS)
    env["PERSISTENCE_MODULE"] = "eventsourcing.popo"
    app = BenchApp(env=env)
    try:
        agg = Note(TEXTS[0])
        agg.note(TEXTS[1])
        return len(app.mapper.to_stored_event(agg.collect_events()[-1]).state)
    finally:
        app.close()


# -- raw NATS ----------------------------------------------------------------


async def _raw_saves(
    nc: Any, tasks: int, per_task: int, batch: int, payload: bytes
) -> tuple[float, list[float]]:
    """(saves/s, latencies) of `tasks` concurrent writers, each on its own subject."""
    js = nc.jetstream(timeout=10)
    clock = time.perf_counter
    latencies: list[float] = []

    async def writer() -> None:
        subject = f"{RAW_PREFIX}.{uuid.uuid4().hex}"
        last = 0
        for _ in range(per_task):
            t = clock()
            if batch == 1:
                ack = await js.publish(subject, payload, headers={EXPECTED: str(last)})
                last = ack.seq
            else:
                # The protocol of shared/eventstore/connection.py `_publish`.
                batch_id = uuid.uuid4().hex
                for n in range(1, batch):
                    headers = {"Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(n)}
                    if n == 1:
                        headers[EXPECTED] = str(last)
                    await nc.publish(subject, payload, headers=headers)
                reply = await nc.request(
                    subject,
                    payload,
                    timeout=10,
                    headers={
                        "Nats-Batch-Id": batch_id,
                        "Nats-Batch-Sequence": str(batch),
                        "Nats-Batch-Commit": "1",
                    },
                )
                ack = json.loads(reply.data)
                if "error" in ack:
                    raise RuntimeError(f"raw atomic batch refused: {ack['error']}")
                last = int(ack["seq"])
            latencies.append(clock() - t)

    started = clock()
    await asyncio.gather(*(writer() for _ in range(tasks)))
    return tasks * per_task / (clock() - started), latencies


class RawBackend:
    """The ceiling: nats-py on its own event loop for writes, Direct Get for reads."""

    name = RAW

    def __init__(self, stack: Stack, ours: AppBackend) -> None:
        self.stack = stack
        self.ours = ours
        self.payload = os.urandom(stored_payload_size(stack))
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bench-raw", daemon=True)
        self.thread.start()
        self.nc: Any = self._run(self._connect())
        self.reader = StreamReader.connect(stack.nats.url)

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(600)

    async def _connect(self) -> Any:
        nc = await nats.connect(
            servers=[self.stack.nats.url],
            name="bench-raw",
            allow_reconnect=False,
            pending_size=64 * 1024 * 1024,
        )
        await nc.jetstream(timeout=10).add_stream(
            StreamConfig(
                name=RAW_STREAM,
                subjects=[f"{RAW_PREFIX}.>"],
                storage=StorageType.FILE,
                retention=RetentionPolicy.LIMITS,
                discard=DiscardPolicy.NEW,
                num_replicas=1,
                allow_direct=True,
                allow_atomic=True,
            )
        )
        return nc

    def prepare(self, counts: Counts) -> None:
        note(f"raw: publishes of {len(self.payload)}-byte payloads (the size of our bodies)")
        self.saves(counts.warm, 1)
        self.saves(max(1, counts.warm // 4), 4)
        self.concurrent(max(2, counts.warm // THREADS), 1)
        self.read_log(PAGE)

    def read_log(self, total: int) -> int:
        """Our stream's events, 1,000 a request, not decoded at all.

        Read as ours reads it (unfiltered, through a cursor) without the
        decoding of headers into notifications.
        """
        got, start = 0, 1
        events = f"{PREFIX}.events."
        while got < total:
            page = self.reader.next_batch(STREAM, start, None, min(PAGE, total - got))
            if not page:
                break
            got += sum(1 for m in page if m.subject.startswith(events))
            start = page[-1].seq + 1
        return got

    def gets(self, indexes: Sequence[int]) -> float:
        """The same aggregates' events as ours reads, not decoded."""
        subjects = [f"{PREFIX}.events.{self.ours.ids[i]}" for i in indexes]
        started = time.perf_counter()
        for subject in subjects:
            self.reader.all_on_subject(STREAM, subject)
        return len(subjects) / (time.perf_counter() - started)

    def saves(self, count: int, events: int) -> tuple[float, list[float]]:
        result: tuple[float, list[float]] = self._run(
            _raw_saves(self.nc, 1, count, events, self.payload)
        )
        return result

    def concurrent(self, per_thread: int, events: int) -> float:
        rate: float = self._run(_raw_saves(self.nc, THREADS, per_thread, events, self.payload))[0]
        return rate

    def close(self) -> None:
        self.reader.close()
        try:
            self._run(self.nc.close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)


Backend = AppBackend | RawBackend


class Tally:
    """Operations and seconds summed over interleaved rounds, so drift hits all alike."""

    def __init__(self) -> None:
        self.done: dict[tuple[str, str], list[float]] = {}
        self.latencies: dict[str, list[float]] = {}

    def add(self, key: str, backend: str, operations: float, rate: float) -> None:
        entry = self.done.setdefault((key, backend), [0.0, 0.0])
        entry[0] += operations
        entry[1] += operations / rate

    def best(self, key: str, backend: str, rate: float) -> None:
        entry = self.done.setdefault((key, backend), [0.0, 0.0])
        if entry[1] == 0 or rate > entry[0] / entry[1]:
            self.done[(key, backend)] = [rate, 1.0]

    def results(self) -> dict[tuple[str, str], float]:
        out = {k: ops / seconds for k, (ops, seconds) in self.done.items() if seconds > 0}
        for backend, values in self.latencies.items():
            values.sort()
            out[("p50", backend)] = percentile(values, 0.50) * 1000
            out[("p99", backend)] = percentile(values, 0.99) * 1000
        return out


def split(total: int, rounds: int) -> list[int]:
    return [total // rounds + (1 if r < total % rounds else 0) for r in range(rounds)]


def measure_all(backends: list[Backend], counts: Counts) -> dict[tuple[str, str], float]:
    """Every phase runs each backend in turn, in rounds whose order alternates."""
    tally = Tally()

    def order(round_no: int) -> list[Backend]:
        """Each round starts one backend later, so each follows every other equally."""
        shift = round_no % len(backends)
        return backends[shift:] + backends[:shift]

    def settle() -> None:
        """Flushes what the backend before left dirty, so its writeback is not billed to
        whichever backend writes next."""
        os.sync()

    note("reading the notification logs")
    total = counts.populate * 5
    for r in range(counts.read_passes):
        for b in order(r):
            gc.collect()
            tally.best("notif", b.name, best_rate(partial(b.read_log, total), 1))

    note("gets")
    rng = random.Random(3)
    indexes = rng.sample(
        range(counts.populate - counts.warm), min(counts.gets, counts.populate - counts.warm)
    )
    rounds = counts.rounds
    chunk = max(1, len(indexes) // rounds)
    for r in range(rounds):
        part = indexes[r * chunk : (r + 1) * chunk]
        for b in order(r):
            tally.add("get", b.name, len(part), b.gets(part))
    # The same aggregates again: what a service does all day (a command reads
    # the child it changes; a query reads the child it shows).
    for r in range(rounds):
        part = indexes[r * chunk : (r + 1) * chunk]
        for b in order(r):
            tally.add("get_again", b.name, len(part), b.gets(part))

    note("sequential saves")
    for r, (n1, n4) in enumerate(
        zip(split(counts.seq1, rounds), split(counts.seq4, rounds), strict=True)
    ):
        for b in order(r):
            settle()
            rate, latencies = b.saves(n1, 1)
            tally.add("save1_seq", b.name, n1, rate)
            tally.latencies.setdefault(b.name, []).extend(latencies)
            settle()
            tally.add("save4_seq", b.name, n4, b.saves(n4, 4)[0])

    note(f"{THREADS} concurrent writers")
    for r, (n1, n4) in enumerate(
        zip(split(counts.par1, rounds), split(counts.par4, rounds), strict=True)
    ):
        for b in order(r):
            gc.collect()
            settle()
            tally.add("save1_par", b.name, n1 * THREADS, b.concurrent(n1, 1))
            settle()
            tally.add("save4_par", b.name, n4 * THREADS, b.concurrent(n4, 4))
    return tally.results()


# -- projection replay -------------------------------------------------------

REPLAY_TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_events ("
    " seq bigint PRIMARY KEY, aggregate_id text NOT NULL, version integer NOT NULL,"
    " kind text NOT NULL, body text NOT NULL)"
)


def _runner_api() -> Any | None:
    """`shared.projections` if it offers the runner API this bench drives."""
    try:
        import shared.projections as projections
    except Exception:
        return None
    needed = ("Projection", "ProjectionRunner", "Source", "domain_event_decoder")
    if not all(hasattr(projections, name) for name in needed):
        return None
    return projections


async def _replay_with_runner(
    projections: Any, dsn: str, url: str, mapper: Mapper[Any], warm_until: int
) -> tuple[int, float]:
    class BenchProjection(projections.Projection):  # type: ignore[misc]
        name = "bench_replay"
        tables = ("bench_events",)

        def sources(self) -> Sequence[Any]:
            decoder = projections.domain_event_decoder(mapper)
            return [projections.Source(STREAM, f"{PREFIX}.events.>", decoder)]

        def schema_sql(self) -> str:
            return REPLAY_TABLE

        @staticmethod
        def row(delivered: Any) -> tuple[Any, ...]:
            e = delivered.event
            return (
                delivered.seq,
                str(e.originator_id),
                e.originator_version,
                type(e).__name__,
                e.text,
            )

        async def apply(self, conn: asyncpg.Connection, delivered: Any) -> None:
            await conn.execute(
                "INSERT INTO bench_events VALUES ($1, $2, $3, $4, $5)", *self.row(delivered)
            )

        async def apply_page(self, conn: asyncpg.Connection, page: Sequence[Any]) -> None:
            await conn.executemany(
                "INSERT INTO bench_events VALUES ($1, $2, $3, $4, $5)", [self.row(d) for d in page]
            )

    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        runner = projections.ProjectionRunner(BenchProjection(), pool, url)
        try:
            await runner.setup()
            await runner.catch_up(until={STREAM: warm_until})  # warm-up
            started = time.perf_counter()
            applied = await runner.catch_up()
            return applied, time.perf_counter() - started
        finally:
            runner.close()
    finally:
        await pool.close()


async def _replay_batched(
    dsn: str, url: str, mapper: Mapper[Any], warm_until: int
) -> tuple[int, float]:
    """Our own replay, for when there is no runner: decode, executemany, position."""
    from eventsourcing.persistence import StoredEvent

    conn = await asyncpg.connect(dsn)
    reader = StreamReader.connect(url)
    try:
        await conn.execute("DROP TABLE IF EXISTS bench_events, bench_position")
        await conn.execute(REPLAY_TABLE)
        await conn.execute("CREATE TABLE bench_position (stream text PRIMARY KEY, position bigint)")
        await conn.execute("INSERT INTO bench_position VALUES ($1, 0)", STREAM)
        position, applied, started = 0, 0, 0.0
        while True:
            page = await asyncio.to_thread(reader.next_batch, STREAM, position + 1, None, PAGE)
            if not page:
                break
            rows = []
            for m in page:
                e: Any = mapper.to_domain_event(
                    StoredEvent(
                        originator_id=m.header("Es-Originator") or "",
                        originator_version=int(m.header("Es-Version") or 0),
                        topic=m.header("Es-Topic") or "",
                        state=m.data,
                    )
                )
                rows.append(
                    (m.seq, str(e.originator_id), e.originator_version, type(e).__name__, e.text)
                )
            async with conn.transaction():
                await conn.executemany("INSERT INTO bench_events VALUES ($1, $2, $3, $4, $5)", rows)
                await conn.execute(
                    "UPDATE bench_position SET position = $1 WHERE stream = $2",
                    page[-1].seq,
                    STREAM,
                )
            position = page[-1].seq
            if position >= warm_until and not started:
                started = time.perf_counter()
            elif started:
                applied += len(page)
        return applied, time.perf_counter() - started
    finally:
        reader.close()
        await conn.close()


async def _replay_raw(dsn: str, url: str, warm_until: int) -> tuple[int, float]:
    """The ceiling: pull 1,000 at a time, COPY (seq, raw bytes), move the position."""
    conn = await asyncpg.connect(dsn)
    reader = StreamReader.connect(url)
    try:
        await conn.execute("DROP TABLE IF EXISTS raw_events, raw_position")
        await conn.execute("CREATE TABLE raw_events (seq bigint PRIMARY KEY, body bytea NOT NULL)")
        await conn.execute("CREATE TABLE raw_position (stream text PRIMARY KEY, position bigint)")
        await conn.execute("INSERT INTO raw_position VALUES ($1, 0)", STREAM)

        def fetch(after: int) -> Any:
            return asyncio.ensure_future(
                asyncio.to_thread(reader.next_batch, STREAM, after + 1, None, PAGE)
            )

        applied, started = 0, 0.0
        pending = fetch(0)
        while True:
            page = await pending
            if not page:
                break
            pending = fetch(page[-1].seq)  # read the next page while this one is written
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "raw_events",
                    records=[(m.seq, json.dumps(m.headers).encode() + m.data) for m in page],
                    columns=["seq", "body"],
                )
                await conn.execute(
                    "UPDATE raw_position SET position = $1 WHERE stream = $2", page[-1].seq, STREAM
                )
            if page[-1].seq >= warm_until and not started:
                started = time.perf_counter()
            elif started:
                applied += len(page)
        return applied, time.perf_counter() - started
    finally:
        reader.close()
        await conn.close()


def measure_replay(stack: Stack, results: dict[tuple[str, str], float]) -> str:
    """Returns a description of which replay ran."""
    app = BenchApp(env=stack.env(OURS))
    try:
        mapper = app.mapper
        total = app.recorder.max_notification_id() or 0
    finally:
        app.close()
    dsn = stack.pg.create_database("bench_replay")
    projections = _runner_api()
    note(f"replay: {total:,} events from {STREAM} into PostgreSQL")
    if projections is not None:
        applied, seconds = asyncio.run(
            _replay_with_runner(projections, dsn, stack.nats.url, mapper, PAGE)
        )
        how = "shared.projections ProjectionRunner.catch_up (one executemany per page of 1,000)"
    else:
        applied, seconds = asyncio.run(_replay_batched(dsn, stack.nats.url, mapper, PAGE))
        how = "the bench's own replay (no usable shared.projections runner): executemany per page"
    results[("replay", OURS)] = applied / seconds
    if stack.cluster is not None and projections is not None:
        note("replay: the same from the three-node cluster (R3)")
        dsn_r3 = stack.pg.create_database("bench_replay_r3")
        applied, seconds = asyncio.run(
            _replay_with_runner(projections, dsn_r3, stack.cluster.urls, mapper, PAGE)
        )
        results[("replay", OURS_R3)] = applied / seconds
    applied, seconds = asyncio.run(_replay_raw(dsn, stack.nats.url, PAGE))
    results[("replay", RAW)] = applied / seconds
    return how


# -- targets and the table ---------------------------------------------------


def verdict(key: str, r: dict[tuple[str, str], float]) -> tuple[str, bool | None]:
    ours, pg, raw = r.get((key, OURS)), r.get((key, PG)), r.get((key, RAW))
    if ours is None:
        return "", None
    if key in ("save1_seq", "save1_par"):
        return "≥ 1.5x PG", pg is not None and ours >= 1.5 * pg
    if key in ("save4_seq", "save4_par"):
        ok = (pg is not None and ours >= pg) or (raw is not None and ours >= 0.9 * raw)
        return "≥ 1.0x PG or ≥ 0.9x raw", ok
    if key in ("get", "get_again"):
        return "≥ 1.0x PG", pg is not None and ours >= pg
    if key == "notif":
        return "≥ 100,000/s", ours >= 100_000
    if key == "replay":
        return "≥ 10,000/s", ours >= 10_000
    return "", None


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value:.2f}"
    return f"{value:,.0f}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}x"


def render(results: dict[tuple[str, str], float], console: Console, title: str) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column("operation", no_wrap=True)
    table.add_column("unit", no_wrap=True)
    table.add_column("ours (NATS R1)", justify="right", no_wrap=True)
    table.add_column("ours (NATS R3)", justify="right", no_wrap=True)
    table.add_column("PostgreSQL module", justify="right", no_wrap=True)
    table.add_column("SQLite module", justify="right", no_wrap=True)
    table.add_column("raw ceiling", justify="right", no_wrap=True)
    table.add_column("ours/PG", justify="right", no_wrap=True)
    table.add_column("R3/PG", justify="right", no_wrap=True)
    table.add_column("ours/raw", justify="right", no_wrap=True)
    table.add_column("target", no_wrap=True)
    table.add_column("result", no_wrap=True)
    for key, label, unit in ROWS:
        get = results.get
        target, ok = verdict(key, results)
        table.add_row(
            label,
            unit,
            fmt(get((key, OURS)), unit),
            fmt(get((key, OURS_R3)), unit),
            fmt(get((key, PG)), unit),
            fmt(get((key, SQLITE)), unit),
            fmt(get((key, RAW)), unit),
            ratio(get((key, OURS)), get((key, PG))),
            ratio(get((key, OURS_R3)), get((key, PG))),
            ratio(get((key, OURS)), get((key, RAW))),
            target,
            "" if ok is None else ("[green]PASS[/green]" if ok else "[red]BELOW[/red]"),
        )
    console.print(table)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


async def _pg_version(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def facts(stack: Stack) -> list[str]:
    from importlib.metadata import version

    try:
        nats_version = str(stack.nats.varz().get("version", "?"))
    except Exception:
        nats_version = "?"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"date: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"machine: {os.cpu_count()} cores, {cpu_model()}, {platform.system()} {platform.release()}",
        f"load average at start: {load}",
        f"nats-server {nats_version} (sync_interval: always): R1 on a single node; R3 on a"
        " three-node cluster on this same machine (every node fsyncs on the same disk)",
        f"PostgreSQL {asyncio.run(_pg_version(stack.pg.dsn()))} (defaults: fsync on,"
        " synchronous_commit on)",
        f"Python {platform.python_version()}, eventsourcing {version('eventsourcing')},"
        f" nats-py {version('nats-py')}, asyncpg {version('asyncpg')}",
    ]


# -- profiling ---------------------------------------------------------------

PROFILES = ("save1", "save4", "get", "notif", "replay")


def profile_ours(stack: Stack, what: str, counts: Counts, console: Console) -> None:
    """cProfile one of our paths: the calling thread and the NATS event-loop thread."""
    app = BenchApp(env=stack.env(OURS))
    main, loop_prof = cProfile.Profile(), cProfile.Profile()
    connection = app.recorder.connection  # type: ignore[attr-defined]

    async def switch(on: bool) -> None:
        if on:
            loop_prof.enable()
        else:
            loop_prof.disable()

    try:
        ids = populate(app, counts.populate)
        aggs = new_aggregates(app, 100)
        saves_sequential(app, aggs, counts.warm, 1)
        runner: Callable[[], Any]
        if what == "save1":
            runner = lambda: saves_sequential(app, aggs, counts.seq1, 1)  # noqa: E731
        elif what == "save4":
            runner = lambda: saves_sequential(app, aggs, counts.seq4, 4)  # noqa: E731
        elif what == "get":
            runner = lambda: gets(app, ids[: counts.gets])  # noqa: E731
        elif what == "notif":
            runner = lambda: read_log(app.recorder, len(ids) * 5)  # noqa: E731
        else:
            mapper = app.mapper
            projections = _runner_api()
            dsn = stack.pg.create_database("bench_profile")
            if projections is not None:
                runner = lambda: asyncio.run(  # noqa: E731
                    _replay_with_runner(projections, dsn, stack.nats.url, mapper, PAGE)
                )
            else:
                runner = lambda: asyncio.run(  # noqa: E731
                    _replay_batched(dsn, stack.nats.url, mapper, PAGE)
                )
        connection.run(switch(True), 5)
        main.enable()
        started = time.perf_counter()
        runner()
        wall = time.perf_counter() - started
        main.disable()
        connection.run(switch(False), 5)
    finally:
        app.close()
    console.print(f"[bold]profile of ours: {what}[/bold], wall {wall:.2f}s")
    for name, prof in (("calling thread", main), ("NATS event-loop thread", loop_prof)):
        console.print(f"\n[bold]{name}[/bold] (top by own time)")
        stats = pstats.Stats(prof, stream=sys.stdout)
        stats.sort_stats("tottime").print_stats(15)
        if name == "calling thread":
            stats.sort_stats("cumulative").print_stats(15)


# -- main --------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tests/bench/eventstore.py", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test")
    parser.add_argument("--profile", choices=PROFILES, help="cProfile one of our paths instead")
    parser.add_argument(
        "--cipher",
        choices=sorted(CIPHERS),
        default="cryptography",
        help="AES-GCM implementation for every backend (default: the one the services"
        " configure, shared.service_application.CIPHER_TOPIC)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    counts = QUICK if (args.quick or args.profile) else FULL

    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=280)

    tmp = Path(tempfile.mkdtemp(prefix="belonging-bench-"))
    nats_server = NatsServer(tmp / "nats")
    cluster = None if args.profile else NatsCluster(tmp / "cluster")
    pg_server = PostgresServer(tmp / "pg")
    started = time.perf_counter()
    try:
        note(f"starting nats-server and PostgreSQL in {tmp}")
        nats_server.start()
        if cluster is not None:
            cluster.start()
        pg_server.start()
        pg_server.create_database("bench")
        stack = Stack(
            tmp,
            nats_server,
            pg_server,
            AESCipher.create_key(num_bytes=32),
            CIPHERS[args.cipher],
            cluster,
        )
        machine = facts(stack)

        if args.profile:
            profile_ours(stack, args.profile, counts, console)
            return 0

        backends: list[Backend] = []
        try:
            for name in (OURS, OURS_R3, PG, SQLITE):
                backends.append(AppBackend(stack, name))
                backends[-1].prepare(counts)
            assert isinstance(backends[0], AppBackend)
            backends.append(RawBackend(stack, backends[0]))
            backends[-1].prepare(counts)
            results = measure_all(backends, counts)
        finally:
            for b in backends:
                b.close()
        replay_how = measure_replay(stack, results)
        elapsed = time.perf_counter() - started

        mode = "--quick (smoke test: figures not meaningful)" if args.quick else "default counts"
        console.print()
        for line in machine:
            console.print(line)
        console.print(
            f"counts: {mode}; {counts.populate * 5:,} events read; {THREADS} writer threads;"
            f" cipher AES-GCM ({stack.cipher_topic}) + zlib on for every eventsourcing backend;"
            f" total {elapsed:.0f}s; load average at end: "
            + " ".join(f"{x:.2f}" for x in os.getloadavg())
        )
        render(results, console, "Event store benchmark (higher is better, except latency)")
        console.print(
            "Notes: saves/s of four-event saves count saves (4 events each). Latency ratios are"
            " time ratios (lower is better).\n"
            f"Raw ceiling: nats-py plain publish / atomic batch of 4 on stream {RAW_STREAM};"
            " reads: our stream through a cursor (pull consumer), without decoding; gets: Direct"
            " Get of our stream without decoding; replay: pull 1,000 at a"
            " time and COPY (seq, raw bytes) with the position, no decoding.\n"
            f"Projection replay: {replay_how}; decrypt + decode with the application's mapper."
        )
        return 0
    finally:
        nats_server.stop()
        if cluster is not None:
            cluster.close()
        pg_server.stop()
        if args.keep:
            note(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
