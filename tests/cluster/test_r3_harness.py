"""The harness itself: a fault test that passes must have had its fault, and
a report must count what it says it counts.

- the stream leader the monitoring endpoint names is the one the JetStream
  API names, after it is moved to each node and after its node is SIGSTOPped;
- the idle test's servers really do close a client that leaves their PINGs
  unanswered (so an idle test that passes shows the store kept its
  connections alive, not that nothing was tested);
- the report counts lost, doubled, stored-but-reported-failed and torn saves
  when there are some, from a stream where each was made on purpose.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

import nats
import pytest
from nats.js.api import StreamConfig
from nats.js.errors import NoStreamResponseError
from test_r3_faults import (
    SERVER_PING_INTERVAL,
    SERVER_PING_MAX,
    Attempt,
    Save,
    WriteLoad,
    app_env,
    measure,
)
from toy_app import Counter

from shared.stack.nats_cluster import NatsCluster

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def _leader_by_the_api(cluster: NatsCluster, stream: str) -> str:
    """The leader in the JetStream API's stream info, asked again while the
    cluster has none to answer (a meta or stream leader is being elected)."""

    async def ask() -> str:
        nc = await nats.connect(servers=cluster.urls.split(","), connect_timeout=2)
        try:
            deadline = time.monotonic() + 30
            seen: object = None
            while time.monotonic() < deadline:
                try:
                    info = await nc.jetstream(timeout=2).stream_info(stream)
                    seen = info.cluster
                    if info.cluster is not None and info.cluster.leader:
                        return str(info.cluster.leader)
                except nats.errors.Error as e:
                    seen = e
                await asyncio.sleep(0.2)
            raise TimeoutError(f"no leader in the stream info of {stream}: {seen!r}")
        finally:
            await nc.close()

    return asyncio.run(ask())


@pytest.mark.fault
def test_the_stream_leader_is_the_one_the_jetstream_api_names_moved_or_stopped(
    make_cluster: Callable[..., NatsCluster],
) -> None:
    cluster = make_cluster()
    stream = f"H{uuid4().hex[:8].upper()}"

    async def create() -> None:
        nc = await nats.connect(servers=cluster.urls.split(","), connect_timeout=2)
        try:
            js = nc.jetstream(timeout=5)
            await js.add_stream(StreamConfig(name=stream, subjects=[f"{stream}.>"], num_replicas=3))
            # A new R3 stream answers once its replicas have elected a leader.
            deadline = time.monotonic() + 15
            while True:
                try:
                    await js.publish(f"{stream}.x", b"x")
                    break
                except NoStreamResponseError:
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.1)
        finally:
            await nc.close()

    asyncio.run(create())
    cluster.wait_stream_current(stream)
    assert cluster.replicas_of_streams()[stream] == 3
    for node in [*cluster.nodes[1:], cluster.nodes[0]]:
        cluster.move_stream_leader(stream, node)
        assert node.name == _leader_by_the_api(cluster, stream)
    leader = cluster.stream_leader(stream)
    assert leader is cluster.nodes[0]
    leader.stop()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                moved = cluster.stream_leader(stream, timeout=2)
                if moved is not leader:
                    break
            except TimeoutError:
                pass
            assert time.monotonic() < deadline, "no new leader while the old one was stopped"
        assert moved.name == _leader_by_the_api(cluster, stream)
    finally:
        leader.cont()
    cluster.wait_ready()


def test_the_idle_tests_servers_close_a_client_that_does_not_answer_their_pings(
    make_cluster: Callable[..., NatsCluster],
) -> None:
    cluster = make_cluster(ping_interval=SERVER_PING_INTERVAL, ping_max=SERVER_PING_MAX)
    node = cluster.nodes[0]
    assert node.varz()["ping_interval"] == SERVER_PING_INTERVAL * 1e9
    with socket.create_connection(("127.0.0.1", node.port), timeout=5) as sock:
        reader = sock.makefile("rb")
        assert reader.readline().startswith(b"INFO ")
        connect = {"verbose": False, "pedantic": False, "name": "silent"}
        sock.sendall(f"CONNECT {json.dumps(connect)}\r\nPING\r\n".encode())
        assert reader.readline() == b"PONG\r\n"
        started = time.monotonic()
        lines = []
        while line := reader.readline():  # read the server's PINGs, never answer
            lines.append(line)
        closed_after = time.monotonic() - started
    assert b"-ERR 'Stale Connection'\r\n" in lines, lines
    assert closed_after < (SERVER_PING_MAX + 2) * SERVER_PING_INTERVAL, closed_after
    reasons = [c.get("reason") for c in node.connz("?state=closed")["connections"]]
    assert "Stale Connection" in reasons, reasons


def test_the_report_counts_what_it_should(nats_cluster: NatsCluster, nats_url: str) -> None:
    env = app_env(nats_cluster)
    load = WriteLoad(env)  # its writer threads are not started: the saves are made here
    app = load.app
    try:

        def save_of(size: int) -> Save:
            counter = Counter(name="made on purpose")
            for _ in range(size - 1):
                counter.increment()
            events = counter.collect_events()
            return Save(counter.id, [app.mapper.to_stored_event(e) for e in events])

        t0 = time.monotonic()
        fine = save_of(3)
        app.recorder.insert_events(fine.events)
        fine.attempts.append(Attempt(t0, t0 + 0.1, None))
        lost = save_of(2)  # said acknowledged, never written
        lost.attempts.append(Attempt(t0, t0 + 0.2, None))
        failed_but_stored = save_of(1)
        app.recorder.insert_events(failed_but_stored.events)
        failed_but_stored.attempts.append(Attempt(t0, t0 + 9.5, "OperationalError: made up"))
        torn = save_of(2)  # its first event only, and reported failed
        app.recorder.insert_events(torn.events[:1])
        torn.attempts.append(Attempt(t0, t0 + 0.3, "OperationalError: made up"))
        doubled = save_of(1)
        app.recorder.insert_events(doubled.events)
        doubled.attempts.append(Attempt(t0, t0 + 0.4, None))
        subject = f"{env['COUNTERS_NATS_SUBJECT_PREFIX']}.events.{doubled.originator}"

        async def store_it_again() -> None:
            nc = await nats.connect(servers=nats_cluster.urls.split(","), connect_timeout=2)
            try:
                js = nc.jetstream(timeout=5)
                stored = await js.get_last_msg(env["COUNTERS_NATS_STREAM"], subject)
                headers = {
                    k: v for k, v in (stored.headers or {}).items() if not k.startswith("Nats-")
                }
                await js.publish(subject, stored.data or b"", headers=headers)
            finally:
                await nc.close()

        asyncio.run(store_it_again())
        load.saves = [fine, lost, failed_but_stored, torn, doubled]
        nats_cluster.wait_stream_current(env["COUNTERS_NATS_STREAM"])
        report = measure("self-test", load, t0, t0 + 1, env, [], {})
    finally:
        load.close()
    line = report.line()
    print(line)
    assert (report.saves, report.acknowledged, report.gave_up) == (5, 3, 2), line
    assert report.lost_raw == 2 and report.lost >= 2, line  # more if the copy is unreadable
    assert report.doubled_raw == 1, line
    assert report.stored_but_reported_failed == 2, line
    assert report.torn == 1, line
    assert report.failed_attempts == 2, line
    assert 9.4 < report.longest_call < 9.6, line
    assert report.recovered_after is None, line  # no attempt after the last failure


def test_a_port_taken_between_choosing_and_binding_starts_the_cluster_on_new_ports(
    tmp_path: Path,
) -> None:
    """Free ports are chosen before the servers bind them; another process may take one."""
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        cluster = NatsCluster(tmp_path / "cluster")
        cluster.nodes[2].port = taken
        cluster.start()
        try:
            assert taken not in {node.port for node in cluster.nodes}
            assert all(node.is_healthy() for node in cluster.nodes)
            assert list(tmp_path.glob("cluster/node3.attempt1.log"))  # the first try, kept
        finally:
            cluster.close()
