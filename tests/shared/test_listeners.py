"""Each worker of a multi-process service listens on a socket of its own.

Workers are spawned as uvicorn spawns them (multiprocessing's spawn, the
port handed over pickled); each reports the socket it listens on and the
connections it accepts.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
from typing import Any

import pytest

from shared.api.listeners import SharedPort, each_worker_listens_on_its_own
from shared.stack.nats_server import free_port

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
    port = SharedPort.bind_to("127.0.0.1", free_port())
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
            SharedPort.bind_to("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()
