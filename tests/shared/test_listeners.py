"""The workers of a multi-process service share its port, and its connections evenly.

Workers are spawned as uvicorn spawns them (multiprocessing's spawn, the
port handed over pickled); each reports the socket it listens on and the
connections it accepts. Then the shares they keep, and a real two-worker
server handing connections back until each holds half.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from shared.api.listeners import (
    RECHECK,
    ConnectionShares,
    EvenShares,
    SharedPort,
    each_worker_listens_on_its_own,
    port_shares,
)
from shared.stack.nats_server import free_port

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not each_worker_listens_on_its_own(), reason="SO_REUSEPORT spreads connections on Linux only"
)

CONNECTIONS = 64


def worker(port: SharedPort, ready: Any, accepted: Any) -> None:
    """What a uvicorn worker does with its socket: listen on it, accept."""
    sock: socket.socket = port  # unpickled here: a socket of this worker's own
    sock.listen(128)
    ready.put((os.getpid(), os.fstat(sock.fileno()).st_ino))
    sock.settimeout(0.5)
    while True:
        try:
            conn, _ = sock.accept()
        except TimeoutError:
            continue
        accepted.put(os.getpid())
        conn.close()


def test_each_worker_listens_on_its_own_socket_and_the_kernel_spreads_connections() -> None:
    spawn = multiprocessing.get_context("spawn")
    port = SharedPort.bind_to("127.0.0.1", free_port(), workers=2)
    ready, accepted = spawn.Queue(), spawn.Queue()
    workers = [spawn.Process(target=worker, args=(port, ready, accepted)) for _ in range(2)]
    for process in workers:
        process.start()
    try:
        listening = dict(ready.get(timeout=30) for _ in workers)
        # Two sockets, neither of them the parent's.
        assert len(set(listening.values())) == 2
        assert os.fstat(port.fileno()).st_ino not in listening.values()

        clients = [
            socket.create_connection(port.getsockname(), timeout=5) for _ in range(CONNECTIONS)
        ]
        # Every connection is accepted by a worker (the parent's socket, bound
        # but not listening, is given none), and each worker is given some.
        by = [accepted.get(timeout=10) for _ in clients]
        assert set(by) == set(listening)
        for client in clients:
            client.close()
    finally:
        for process in workers:
            process.kill()
            process.join(5)
        port.close()


def test_a_port_in_use_fails_in_the_parent_at_once() -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        with pytest.raises(OSError):
            SharedPort.bind_to("127.0.0.1", taken.getsockname()[1], workers=2)
    finally:
        taken.close()


def hold(shares: ConnectionShares, connections: int, ready: Any, done: Any) -> None:
    """A worker holding `connections`, until told to stop."""
    shares.take_slot()
    for _ in range(connections):
        shares.opened()
    ready.set()
    done.wait(30)
    shares.leave()


@pytest.fixture
def other_worker() -> Iterator[Any]:
    """Starts a worker process on shares given; kills it afterwards."""
    spawn = multiprocessing.get_context("spawn")
    started: list[Any] = []

    def start(shares: ConnectionShares, connections: int) -> Any:
        ready, done = spawn.Event(), spawn.Event()
        process = spawn.Process(target=hold, args=(shares, connections, ready, done))
        process.start()
        assert ready.wait(30)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()
        process.join(5)


def test_the_worker_holding_two_more_hands_one_back_and_only_one_at_a_time(
    other_worker: Any,
) -> None:
    shares = ConnectionShares(2)
    other_worker(shares, 3)
    shares.take_slot()
    for _ in range(4):
        shares.opened()
    assert not shares.hand_one_back()  # 4 against 3: even enough
    shares.opened()
    assert shares.hand_one_back()  # 5 against 3
    assert not shares.hand_one_back()  # one is on its way: 4 against 3
    shares.closed()  # it went
    assert not shares.hand_one_back()
    assert sorted(shares.held().values()) == [3, 4]


def test_a_worker_that_has_gone_is_not_counted_and_its_slot_is_taken_again(
    other_worker: Any,
) -> None:
    shares = ConnectionShares(2)
    gone = other_worker(shares, 0)
    shares.take_slot()
    for _ in range(6):
        shares.opened()
    assert shares.hand_one_back()  # 6 against 0, while the other lives
    shares.closed()
    gone.kill()
    gone.join(5)
    time.sleep(RECHECK + 0.05)  # what a worker knew of another is asked again after this
    assert not shares.hand_one_back()  # nobody to hand it to
    assert list(shares.held()) == [os.getpid()]
    replacement = other_worker(shares, 1)  # as uvicorn restarts a worker
    assert shares.held() == {os.getpid(): 5, replacement.pid: 1}


def test_a_worker_finding_every_slot_held_serves_without_a_share(
    other_worker: Any,
) -> None:
    shares = ConnectionShares(1)
    holder = other_worker(shares, 0)
    assert not shares.take_slot()
    for _ in range(5):
        shares.opened()  # not counted: it holds no slot
    assert not shares.hand_one_back()
    assert shares.held() == {holder.pid: 0}
    holder.kill()
    holder.join(5)
    assert shares.take_slot()  # free again once its holder has gone


async def answer_with_pid(scope: Scope, receive: Receive, send: Send) -> None:
    """An app answering which worker it runs in."""
    if scope["type"] != "http":
        return
    body = str(os.getpid()).encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def pid_app() -> Any:
    """The factory each worker runs, wrapped as `build_app` wraps a service's app."""
    shares = port_shares()
    assert shares is not None
    return EvenShares(answer_with_pid, shares)


CLIENTS = 24


def test_two_workers_end_up_holding_half_the_connections_each() -> None:
    """Long-lived clients: wherever the kernel first puts them, they end half and half.

    Each client sends requests one after another on its connection, and
    reconnects when a response says `Connection: close`.
    """
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from shared.api.listeners import run_workers; "
            f"run_workers('test_listeners:pid_app', host='127.0.0.1', port={port}, workers=2)",
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": f"{REPO}{os.pathsep}{Path(__file__).parent}"},
    )
    try:
        wait_for_both_workers(port, server)
        clients = [
            http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(CLIENTS)
        ]
        reconnects = 0
        for _ in range(100):
            answered_by: Counter[str] = Counter()
            for client in clients:
                client.request("GET", "/")
                response = client.getresponse()
                pid = response.read().decode()
                if response.getheader("connection") == "close":
                    client.close()  # the next request connects again
                    reconnects += 1
                else:
                    answered_by[pid] += 1
            if sorted(answered_by.values()) == [CLIENTS // 2, CLIENTS // 2]:
                break
        assert sorted(answered_by.values()) == [CLIENTS // 2, CLIENTS // 2], answered_by
        # Once even, nobody is asked to reconnect again.
        before = reconnects
        for _ in range(10):
            for client in clients:
                client.request("GET", "/")
                response = client.getresponse()
                response.read()
                assert response.getheader("connection") != "close"
        assert reconnects == before
        assert reconnects < 4 * CLIENTS  # handed back one at a time, not churned
        for client in clients:
            client.close()
    finally:
        server.terminate()
        server.wait(15)


def wait_for_both_workers(port: int, server: subprocess.Popen[bytes]) -> None:
    """Until two different workers have answered (each on a connection of its own)."""
    seen: set[str] = set()
    deadline = time.monotonic() + 30
    while len(seen) < 2:
        assert server.poll() is None, "the server stopped"
        assert time.monotonic() < deadline, f"only {seen} answered"
        try:
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            client.request("GET", "/")
            seen.add(client.getresponse().read().decode())
            client.close()
        except OSError:
            time.sleep(0.1)
