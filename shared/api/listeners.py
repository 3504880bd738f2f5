"""How the processes of a multi-process service share its port.

uvicorn's workers share one listening socket, and whichever is awake first
accepts what is waiting: long-lived connections (a gateway's, a load
generator's) pile onto one process. 50 connections were split 13/37 and 35/19
between two processes, and the one holding more answered each request about
twice as late (docs/bench-api.md). On Linux each worker here binds a socket of
its own to the port with `SO_REUSEPORT`, and the kernel spreads new
connections over them by a hash of their addresses: as evenly as a coin
(18/32 seen). So the workers also count the connections each holds, in memory
they share (`ConnectionShares`); one holding two more than another asks the
client of its next response to reconnect (`Connection: close`), and the
kernel deals the new connection again, until the shares are even (ADR 0023).
"""

from __future__ import annotations

import asyncio
import atexit
import multiprocessing
import os
import socket
import sys
import time
from typing import TYPE_CHECKING, Any

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.supervisors import Multiprocess

from shared.observability.logs import get_logger
from shared.processes import is_running

log = get_logger(__name__)

#: More than another worker by this many, and a worker hands one connection back.
SURPLUS = 2
#: How long a worker trusts what it learnt of whether another runs (seconds).
RECHECK = 0.5


class ConnectionShares:
    """How many connections each worker of the port holds, in memory the workers share.

    Made in the parent, handed to each worker with its socket (pickled at
    spawn). A worker takes a slot of its own (`take_slot`); only it writes
    its count there. A slot whose process is gone counts for nothing, so a
    worker that died is never waited for.
    """

    def __init__(self, workers: int) -> None:
        spawn = multiprocessing.get_context("spawn")
        self._pids = spawn.RawArray("q", workers)
        self._held = spawn.RawArray("q", workers)
        self._lock = spawn.Lock()
        self._slot: int | None = None
        self._handing_back = 0
        self._running_as_of: dict[int, tuple[float, bool]] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"_pids": self._pids, "_held": self._held, "_lock": self._lock}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _slot=None, _handing_back=0, _running_as_of={})

    def take_slot(self) -> bool:
        """In a worker: the first slot that is free or whose process is gone.

        False if every slot is held by a running process: the worker then
        serves without a share, as uvicorn's workers would, rather than not at all.
        """
        with self._lock:
            for slot, pid in enumerate(self._pids):
                if pid == 0 or not is_running(pid):
                    self._pids[slot], self._held[slot] = os.getpid(), 0
                    self._slot = slot
                    return True
        return False

    def leave(self) -> None:
        """In a worker that stops: its slot is free again."""
        if self._slot is not None:
            with self._lock:
                self._pids[self._slot], self._held[self._slot] = 0, 0
            self._slot = None

    def opened(self) -> None:
        if self._slot is not None:
            self._held[self._slot] += 1

    def closed(self) -> None:
        if self._slot is not None:
            self._held[self._slot] -= 1
            self._handing_back = max(0, self._handing_back - 1)

    def held(self) -> dict[int, int]:
        """The connections each running worker holds, by process id."""
        me = os.getpid()
        return {
            pid: held
            for pid, held in zip(self._pids, self._held, strict=True)
            if pid != 0 and (pid == me or self._still_running(pid))
        }

    def hand_one_back(self) -> bool:
        """Whether this worker should close one connection after its response.

        True when it holds `SURPLUS` or more connections than another running
        worker, counting those it is already handing back; it then counts one
        more being handed back until a connection closes.
        """
        if self._slot is None:
            return False
        others = self.held()
        mine = others.pop(os.getpid()) - self._handing_back
        if not others or mine < min(others.values()) + SURPLUS:
            return False
        self._handing_back += 1
        return True

    def _still_running(self, pid: int) -> bool:
        """Whether another worker runs, asked of the system at most every `RECHECK` s."""
        now = time.monotonic()
        known = self._running_as_of.get(pid)
        if known is None or now - known[0] > RECHECK:
            known = (now, is_running(pid))
            fresh = {p: k for p, k in self._running_as_of.items() if now - k[0] <= RECHECK}
            self._running_as_of = fresh | {pid: known}
        return known[1]


_shares: ConnectionShares | None = None


def port_shares() -> ConnectionShares | None:
    """In a worker of a shared port, the shares it takes part in; else None."""
    return _shares


def _own_listener(family: int, address: Any, shares: ConnectionShares) -> socket.socket:
    """In a worker: a socket of its own on the port (uvicorn makes it listen)."""
    global _shares
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    if shares.take_slot():
        atexit.register(shares.leave)
        _shares = shares
    else:
        log.warning("port_shares_full", pid=os.getpid(), detail="serving without a share")
    return sock


class SharedPort(socket.socket):
    """The port, held by the parent: bound with `SO_REUSEPORT`, never listening.

    Handed to each worker (pickled, as uvicorn hands its sockets), it arrives
    as a new socket of that worker's own on the same port, with the shares
    of the port's connections. Bound here first, so a port already in use
    fails the start at once, in the parent.
    """

    shares: ConnectionShares

    @classmethod
    def bind_to(cls, host: str, port: int, workers: int) -> SharedPort:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = cls(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.shares = ConnectionShares(workers)
        return sock

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return (_own_listener, (int(self.family), self.getsockname(), self.shares))


def each_worker_listens_on_its_own() -> bool:
    """Whether the kernel spreads connections over sockets sharing a port (Linux)."""
    return sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def run_workers(app_factory: str, *, host: str, port: int, workers: int) -> None:
    """Serve `app_factory` ("module:function") from `workers` processes on one port.

    On Linux each worker listens on a socket of its own and counts its
    connections; the factory's app should be wrapped in `EvenShares` when
    `port_shares()` is set. Elsewhere, uvicorn's own workers on one socket.
    """
    options: dict[str, Any] = dict(
        factory=True, workers=workers, host=host, port=port, log_config=None
    )
    if not each_worker_listens_on_its_own():
        uvicorn.run(app_factory, **options)
        return
    config = uvicorn.Config(app_factory, http=CountedHTTP, **options)
    Multiprocess(config, sockets=[SharedPort.bind_to(host, port, workers)]).run()


if TYPE_CHECKING:
    _HTTP = asyncio.Protocol
else:
    _HTTP = AutoHTTPProtocol


class CountedHTTP(_HTTP):
    """uvicorn's HTTP protocol, counting this worker's connections in its shares."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        if _shares is not None:
            _shares.opened()

    def connection_lost(self, exc: Exception | None) -> None:
        if _shares is not None:
            _shares.closed()
        super().connection_lost(exc)


class EvenShares:
    """ASGI middleware: a worker holding more than its share hands a connection back.

    Its next response says `Connection: close`; the client reconnects, and
    the kernel deals the new connection to a worker by hash again.
    """

    def __init__(self, app: ASGIApp, shares: ConnectionShares) -> None:
        self.app = app
        self.shares = shares

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.shares.hand_one_back():
            await self.app(scope, receive, send)
            return

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, closing)
