"""Each process of a multi-process service listens on a socket of its own.

uvicorn's workers share one listening socket, and whichever is awake first
accepts what is waiting: long-lived connections (a gateway's, a load
generator's) pile onto one process. 50 connections were split 13/37 and 35/19
between two processes, and the one holding more answered each request about
twice as late (docs/bench-api.md). On Linux each worker here binds a socket of
its own to the port with `SO_REUSEPORT`, and the kernel spreads new
connections over them by a hash of their addresses.
"""

from __future__ import annotations

import socket
import sys
from typing import Any


def _own_listener(family: int, address: Any) -> socket.socket:
    """In a worker: a socket of its own on the port (uvicorn makes it listen)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


class SharedPort(socket.socket):
    """The port, held by the parent: bound with `SO_REUSEPORT`, never listening.

    Handed to each worker (pickled, as uvicorn hands its sockets), it arrives
    as a new socket of that worker's own on the same port. Bound here first,
    so a port already in use fails the start at once, in the parent.
    """

    @classmethod
    def bind_to(cls, host: str, port: int) -> SharedPort:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = cls(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        return sock

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return (_own_listener, (int(self.family), self.getsockname()))


def each_worker_listens_on_its_own() -> bool:
    """Whether the kernel spreads connections over sockets sharing a port (Linux)."""
    return sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")
