"""Faults of one node of a three-node cluster under a write load, R3 (issue #17).

Four writer threads share one application (as a service's request threads
do), with `NATS_URL` naming all three nodes, `NATS_REPLICAS=3` and
`NATS_TIMEOUT=5`. Each creates aggregates of the toy application and saves
one to five events at a time, from a few seconds before the fault until a
few seconds after it. A save that fails is retried with the same stored
events, as an application that still holds them would, until it is
acknowledged or the run is over: the recorder must recognise its own events
when the first attempt was stored but its acknowledgement was lost.

The node faulted is the stream's leader, and before the fault the leadership
is moved to the node holding most of the application's connections (the
report's `clients` note): the hardest case, and the same case on every run.

Afterwards the stream is read back twice: through a fresh application (what
the service would see) and raw with nats-py from the stream leader (what the
cluster holds, whatever the event store's read path does). One report line a
fault; the test fails on an acknowledged event lost, an event stored twice, a
save reported failed whose events are stored, a save stored in part, or a
call longer than NATS_TIMEOUT plus a small margin.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import nats
import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from toy_app import Counter, Counters

from shared.eventstore import envelope
from shared.stack.nats_cluster import ClusterNode, NatsCluster

pytestmark = [pytest.mark.integration, pytest.mark.fault]

NATS_TIMEOUT = 5.0
MARGIN = 3.0  # a call may take NATS_TIMEOUT plus this, and no more
WRITERS = 4
WARMUP = 3.0  # seconds of load before the fault
RETRY_AFTER_LOAD = 20.0  # seconds a save still failing when the load stops may go on retrying
SERVER_PING_INTERVAL = 1.0  # the idle test's servers: a client silent this long is pinged,
SERVER_PING_MAX = 2  # and closed as stale after this many PINGs go unanswered
IDLE = 8.0  # longer than (SERVER_PING_MAX + 1) * SERVER_PING_INTERVAL


# -- the load ---------------------------------------------------------------


@dataclass
class Attempt:
    started: float
    ended: float
    error: str | None  # None: acknowledged


@dataclass
class Save:
    originator: UUID
    events: list[StoredEvent]
    attempts: list[Attempt] = field(default_factory=list)
    in_flight_since: float | None = None

    @property
    def acknowledged(self) -> bool:
        return any(a.error is None for a in self.attempts)


class WriteLoad:
    """Writer threads saving through one application until told to stop."""

    def __init__(self, env: dict[str, str], writers: int = WRITERS) -> None:
        self.env = env
        self.app = Counters(env=env)
        self.saves: list[Save] = []
        self.stop = threading.Event()
        self.resume = threading.Event()
        self.resume.set()
        self.retry_until = float("inf")
        self._parked = 0
        self._lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._write, args=(n,), name=f"writer-{n}", daemon=True)
            for n in range(writers)
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def _write(self, writer: int) -> None:
        rng = random.Random(writer)
        mine: list[Counter] = []
        n = 0
        while not self.stop.is_set():
            if not self.resume.is_set():
                with self._lock:
                    self._parked += 1
                self.resume.wait()
                with self._lock:
                    self._parked -= 1
                continue
            size = rng.choice((1, 1, 2, 3, 5))  # events in this save
            if not mine or rng.random() < 0.3:
                counter = Counter(name=f"writer {writer} counter {n}")
                size -= 1
                mine.append(counter)
                if len(mine) > 20:
                    mine.pop(0)
            else:
                counter = rng.choice(mine)
            for _ in range(size):
                counter.increment(by=1, note="load")
            events = counter.collect_events()
            save = Save(counter.id, [self.app.mapper.to_stored_event(e) for e in events])
            self.saves.append(save)
            if not self._save(save) and counter in mine:
                mine.remove(counter)  # what it holds is unknown now: an application would reload
            n += 1

    def _save(self, save: Save) -> bool:
        """Tries until acknowledged, or until the run is over; the same events each time."""
        while True:
            started = time.monotonic()
            save.in_flight_since = started
            final = False
            try:
                self.app.recorder.insert_events(save.events)
                error = None
            except Exception as e:
                error = f"{type(e).__name__}: {e}"
                # The store says another event holds one of these versions:
                # retrying cannot change that (an application would reload).
                final = isinstance(e, IntegrityError)
            save.in_flight_since = None
            save.attempts.append(Attempt(started, time.monotonic(), error))
            if error is None:
                return True
            if final or time.monotonic() > self.retry_until:
                return False
            time.sleep(0.1)

    def pause(self, timeout: float = 3 * NATS_TIMEOUT) -> None:
        """Every writer waits between two saves; returns when all are waiting."""
        self.resume.clear()
        deadline = time.monotonic() + timeout
        while self._parked < sum(t.is_alive() for t in self.threads):
            if time.monotonic() > deadline:
                raise TimeoutError("writers did not pause: a save is stuck")
            time.sleep(0.01)

    def unpause(self) -> float:
        self.resume.set()
        return time.monotonic()

    def finish(self) -> list[str]:
        """Stops the load; saves still failing may retry for RETRY_AFTER_LOAD more
        seconds. Returns the writers still stuck in a call after that."""
        self.retry_until = time.monotonic() + RETRY_AFTER_LOAD
        self.stop.set()
        self.resume.set()
        deadline = self.retry_until + NATS_TIMEOUT + MARGIN + 5
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return [t.name for t in self.threads if t.is_alive()]

    def close(self) -> None:
        closing = threading.Thread(target=self.app.close, daemon=True)
        closing.start()
        closing.join(10)


# -- reading back and measuring ----------------------------------------------


def read_raw(urls: str, stream: str, prefix: str) -> list[tuple[str, int]]:
    """(originator, version) of every message on the stream's event
    subjects, with nats-py through a consumer (served by the stream leader)."""

    async def read() -> list[tuple[str, int]]:
        nc = await nats.connect(servers=urls.split(","), connect_timeout=2)
        try:
            js = nc.jetstream(timeout=10)
            sub = await js.pull_subscribe(
                f"{prefix}.events.>",
                stream=stream,
                config=ConsumerConfig(
                    ack_policy=AckPolicy.NONE,
                    deliver_policy=DeliverPolicy.ALL,
                    inactive_threshold=60,
                ),
            )
            pending = (await sub.consumer_info()).num_pending or 0
            found: list[tuple[str, int]] = []
            start = f"{prefix}.events."
            while len(found) < pending:
                for m in await sub.fetch(batch=min(1000, pending - len(found)), timeout=10):
                    version = (m.headers or {}).get(envelope.VERSION, "0")
                    found.append((m.subject[len(start) :], int(version)))
            await sub.unsubscribe()
            return found
        finally:
            await nc.close()

    return asyncio.run(read())


def _short(error: str) -> str:
    """An error message without its ids, subjects' prefixes and numbers, to count alike ones."""
    error = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", error)
    error = re.sub(r"\bfault[0-9a-f]{10}\b", "<prefix>", error)
    error = re.sub(r"\b\d+(\.\d+)?\b", "N", error)
    return error[:120]


@dataclass
class Report:
    fault: str
    saves: int
    events: int
    acknowledged: int
    failed_attempts: int
    gave_up: int
    lost: int
    lost_raw: int
    doubled: int
    doubled_raw: int
    stored_but_reported_failed: int
    torn: int
    longest_call: float
    recovered_after: float | None
    unavailable: float
    stuck_writers: list[str]
    errors: list[tuple[str, int]]
    notes: dict[str, Any]

    def line(self) -> str:
        recovered = "never" if self.recovered_after is None else f"{self.recovered_after:.1f}s"
        return (
            f"R3 fault {self.fault}: saves={self.saves} events={self.events}"
            f" acknowledged={self.acknowledged} failed_attempts={self.failed_attempts}"
            f" gave_up={self.gave_up} lost={self.lost} (raw {self.lost_raw})"
            f" doubled={self.doubled} (raw {self.doubled_raw})"
            f" stored_but_reported_failed={self.stored_but_reported_failed} torn={self.torn}"
            f" longest_call={self.longest_call:.2f}s recovered_after={recovered}"
            f" longest_without_ack={self.unavailable:.1f}s stuck={self.stuck_writers}"
            f" notes={self.notes} errors={self.errors}"
        )


def measure(
    fault: str,
    load: WriteLoad,
    fault_start: float,
    load_end: float,
    env: dict[str, str],
    stuck: list[str],
    notes: dict[str, Any],
) -> Report:
    saves = [s for s in load.saves if s.attempts or s.in_flight_since is not None]
    now = time.monotonic()
    attempts = [a for s in saves for a in s.attempts]
    durations = [a.ended - a.started for a in attempts]
    durations += [now - s.in_flight_since for s in saves if s.in_flight_since is not None]

    # What the service sees: a fresh application's recorder.
    fresh = Counters(env=env)
    read: dict[UUID, list[StoredEvent]] = {}
    unreadable: collections.Counter[str] = collections.Counter()
    try:
        for originator in {s.originator for s in saves}:
            try:
                read[originator] = fresh.recorder.select_events(originator)
            except Exception as e:  # counted as not held, so as lost if acknowledged
                unreadable[_short(f"{type(e).__name__}: {e}")] += 1
    finally:
        fresh.close()
    if unreadable:
        notes = {**notes, "unreadable_aggregates": dict(unreadable)}
    doubled = sum(
        len(events) - len({e.originator_version for e in events}) for events in read.values()
    )
    stored = {(o, e.originator_version): e.state for o, events in read.items() for e in events}

    # What the cluster holds.
    raw = read_raw(
        env["NATS_URL"], env["COUNTERS_NATS_STREAM"], env["COUNTERS_NATS_SUBJECT_PREFIX"]
    )
    # One aggregate version twice. (The content id, Es-Id, hashes originator,
    # version, topic and body: the same id twice is the same version twice.)
    raw_count = collections.Counter(raw)
    doubled_raw = sum(n - 1 for n in raw_count.values() if n > 1)

    def held(s: Save, e: StoredEvent) -> bool:
        return stored.get((s.originator, e.originator_version)) == e.state

    def held_raw(s: Save, e: StoredEvent) -> bool:
        return raw_count[(str(s.originator), e.originator_version)] > 0

    acknowledged = [s for s in saves if s.acknowledged]
    failed = [s for s in saves if not s.acknowledged]
    lost = sum(not held(s, e) for s in acknowledged for e in s.events)
    lost_raw = sum(not held_raw(s, e) for s in acknowledged for e in s.events)
    stored_but_failed = sum(any(held(s, e) or held_raw(s, e) for e in s.events) for s in failed)
    torn = sum(0 < sum(held_raw(s, e) for e in s.events) < len(s.events) for s in saves)

    # Recovery: from the fault until the first acknowledgement of a save
    # attempted after the last failure.
    failures = [a for a in attempts if a.error is not None and a.ended >= fault_start]
    since = max((a.ended for a in failures), default=fault_start)
    later_acks = [a.ended for a in attempts if a.error is None and a.started >= since]
    recovered_after = (min(later_acks) - fault_start) if later_acks else None
    acks = sorted(a.ended for a in attempts if a.error is None and fault_start <= a.ended)
    marks = [fault_start, *[t for t in acks if t <= load_end], load_end]
    unavailable = max(b - a for a, b in itertools.pairwise(marks))

    errors = collections.Counter(_short(a.error) for a in attempts if a.error)
    return Report(
        fault=fault,
        saves=len(saves),
        events=sum(len(s.events) for s in saves),
        acknowledged=len(acknowledged),
        failed_attempts=len([a for a in attempts if a.error]),
        gave_up=len(failed),
        lost=lost,
        lost_raw=lost_raw,
        doubled=doubled,
        doubled_raw=doubled_raw,
        stored_but_reported_failed=stored_but_failed,
        torn=torn,
        longest_call=max(durations, default=0.0),
        recovered_after=recovered_after,
        unavailable=unavailable,
        stuck_writers=stuck,
        errors=errors.most_common(3),
        notes=notes,
    )


# -- running a fault ----------------------------------------------------------


@dataclass
class Fault:
    """What a fault test does to the cluster while the load runs."""

    started: float = 0.0  # when the fault began (monotonic)
    notes: dict[str, Any] = field(default_factory=dict)


def app_env(cluster: NatsCluster) -> dict[str, str]:
    unique = uuid4().hex[:10]
    return {
        "PERSISTENCE_MODULE": "shared.eventstore",
        "NATS_URL": cluster.urls,
        "NATS_REPLICAS": "3",
        "NATS_TIMEOUT": str(NATS_TIMEOUT),
        "COUNTERS_NATS_STREAM": f"FAULT{unique.upper()}",
        "COUNTERS_NATS_SUBJECT_PREFIX": f"fault{unique}",
    }


def run_under_load(
    name: str,
    cluster: NatsCluster,
    fault: Callable[[NatsCluster, ClusterNode, WriteLoad, Fault], None],
    on_the_clients_node: bool = True,
) -> Report:
    env = app_env(cluster)
    stream = env["COUNTERS_NATS_STREAM"]
    load = WriteLoad(env)
    try:
        assert cluster.replicas_of_streams().get(stream) == 3, cluster.replicas_of_streams()
        cluster.wait_stream_current(stream)
        load.start()
        time.sleep(WARMUP)
        if on_the_clients_node:
            # The hardest case: the node to fault both leads the stream and
            # holds (most of) the application's connections.
            leader = max(cluster.nodes, key=lambda n: n.connz()["num_connections"])
            cluster.move_stream_leader(stream, leader)
        else:
            leader = cluster.stream_leader(stream)
        clients = {n.name: n.connz()["num_connections"] for n in cluster.nodes}
        run = Fault(notes={"leader": leader.name, "clients": clients})
        fault(cluster, leader, load, run)
        load_end = time.monotonic()
        stuck = load.finish()
        cluster.wait_ready(60)
        try:
            cluster.wait_stream_current(stream, 60)
        except TimeoutError as e:
            run.notes["not_current"] = str(e)
        run.notes["leader_after"] = cluster.stream_leader(stream).name
        report = measure(name, load, run.started, load_end, env, stuck, run.notes)
    finally:
        load.close()
    print(report.line())
    return report


def check(report: Report) -> None:
    line = report.line()
    assert report.acknowledged > 0, line
    assert report.recovered_after is not None, f"writes never succeeded again: {line}"
    assert report.lost == 0 and report.lost_raw == 0, line
    assert report.doubled == 0 and report.doubled_raw == 0, line
    assert report.stored_but_reported_failed == 0, line
    assert report.torn == 0, line
    assert not report.stuck_writers, line
    assert report.longest_call <= NATS_TIMEOUT + MARGIN, line


@pytest.fixture
def cluster(make_cluster: Callable[..., NatsCluster]) -> NatsCluster:
    """A cluster of the test's own: a fault must not decide the next test."""
    return make_cluster()


@pytest.fixture
def pinging_cluster(make_cluster: Callable[..., NatsCluster]) -> NatsCluster:
    """Servers that close a client as stale after ~3 s without an answer to their PINGs."""
    return make_cluster(ping_interval=SERVER_PING_INTERVAL, ping_max=SERVER_PING_MAX)


def _leader_while_out(cluster: NatsCluster, stream: str, out: ClusterNode) -> str:
    try:
        return cluster.stream_leader(stream, timeout=15).name
    except TimeoutError as e:
        return f"none ({e}; {out.name} out)"


# -- the faults ---------------------------------------------------------------


@pytest.mark.timeout(180)
def test_sigkill_of_the_stream_leader(cluster: NatsCluster) -> None:
    def fault(cluster: NatsCluster, leader: ClusterNode, load: WriteLoad, run: Fault) -> None:
        stream = load.env["COUNTERS_NATS_STREAM"]
        run.started = time.monotonic()
        leader.kill()
        time.sleep(5)
        run.notes["leader_while_dead"] = _leader_while_out(cluster, stream, leader)
        leader.restart()
        run.notes["restarted_after"] = round(time.monotonic() - run.started, 1)
        time.sleep(5)

    check(run_under_load("sigkill-leader", cluster, fault))


@pytest.mark.timeout(240)
def test_sigstop_of_the_stream_leader_for_30s(cluster: NatsCluster) -> None:
    def fault(cluster: NatsCluster, leader: ClusterNode, load: WriteLoad, run: Fault) -> None:
        stream = load.env["COUNTERS_NATS_STREAM"]
        run.started = time.monotonic()
        leader.stop()
        try:
            time.sleep(10)
            run.notes["leader_while_stopped"] = _leader_while_out(cluster, stream, leader)
            time.sleep(max(0.0, run.started + 30 - time.monotonic()))
        finally:
            leader.cont()
        time.sleep(8)

    check(run_under_load("sigstop-leader-30s", cluster, fault))


@pytest.mark.timeout(180)
def test_lame_duck_mode_of_the_stream_leader(cluster: NatsCluster) -> None:
    def fault(cluster: NatsCluster, leader: ClusterNode, load: WriteLoad, run: Fault) -> None:
        stream = load.env["COUNTERS_NATS_STREAM"]
        run.started = time.monotonic()
        leader.lame_duck()
        leader.wait_exit(60)
        run.notes["exited_after"] = round(time.monotonic() - run.started, 1)
        run.notes["leader_while_out"] = _leader_while_out(cluster, stream, leader)
        leader.restart()
        time.sleep(5)

    check(run_under_load("lame-duck-leader", cluster, fault))


@pytest.mark.timeout(180)
def test_a_connection_idle_past_the_servers_stale_timeout(pinging_cluster: NatsCluster) -> None:
    def stale_closed(cluster: NatsCluster) -> int:
        closed = [n.connz("?state=closed&limit=10000") for n in cluster.nodes]
        return sum(
            c.get("reason") == "Stale Connection"
            for data in closed
            for c in data.get("connections") or []
        )

    def fault(cluster: NatsCluster, leader: ClusterNode, load: WriteLoad, run: Fault) -> None:
        before = stale_closed(cluster)
        load.pause()
        time.sleep(IDLE)
        run.notes["stale_closed_by_servers"] = stale_closed(cluster) - before
        run.started = load.unpause()
        time.sleep(4)

    report = run_under_load(
        "idle-past-stale-timeout", pinging_cluster, fault, on_the_clients_node=False
    )
    check(report)
    assert report.failed_attempts == 0, f"a save after the idle period failed: {report.line()}"
