"""One nats-py connection on a private event loop, for what is not hot.

Stream management (creating and checking streams) and the subscriptions
that wake readers use nats-py on an event loop in a background thread; the
hot paths, reads and saves, use `blocking_client` in the calling thread.
This module also says what a JetStream acknowledgement means for a save.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import nats
from eventsourcing.persistence import IntegrityError, OperationalError, ProgrammingError
from nats.aio.client import Client
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

T = TypeVar("T")

# JetStream error codes we act on (nats-server errors.json).
WRONG_LAST_SEQUENCE = 10071
BATCH_TOO_LARGE = 10199

EXPECTED_LAST_SUBJECT_SEQUENCE = "Nats-Expected-Last-Subject-Sequence"
MSG_ID = "Nats-Msg-Id"


def stream_config(
    name: str, subjects: Sequence[str], replicas: int = 1, append_only: bool = True
) -> StreamConfig:
    """How every stream of ours is set up: event streams and integration streams alike.

    File storage, kept forever, direct reads allowed, atomic batches allowed;
    append-only (no deletes, no purges) unless it only holds a cache, such
    as snapshots.
    """
    return StreamConfig(
        name=name,
        subjects=list(subjects),
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.NEW,
        num_replicas=replicas,
        allow_direct=True,
        allow_atomic=True,
        deny_delete=append_only,
        deny_purge=append_only,
        duplicate_window=120.0,
    )


class WrongLastSequence(IntegrityError):
    """The server refused a write: the subject moved on since we looked."""


def sequence_from_ack(ack_json: bytes) -> int:
    """The stream sequence of a JetStream publish acknowledgement, or the error it names."""
    ack = json.loads(ack_json)
    error = ack.get("error")
    if error:
        code = error.get("err_code")
        description = error.get("description", "")
        if code == WRONG_LAST_SEQUENCE:
            raise WrongLastSequence(description)
        if code == BATCH_TOO_LARGE:
            raise ProgrammingError(description)
        raise OperationalError(f"JetStream refused the write ({code}): {description}")
    return int(ack["seq"])


@dataclass(frozen=True)
class Outgoing:
    subject: str
    headers: dict[str, str]
    data: bytes


class NatsConnection:
    """A nats-py client driven from synchronous code."""

    def __init__(self, url: str, timeout: float = 5.0, name: str = "belonging-eventstore") -> None:
        self.url = url
        self.timeout = timeout
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"{name}-loop", daemon=True
        )
        self._thread.start()
        self._closed = False
        try:
            self.client: Client = self.run(self._connect(name), timeout=timeout + 5)
        except BaseException:
            self._stop_loop()
            raise

    async def _connect(self, name: str) -> Client:
        servers = [u.strip() for u in self.url.split(",") if u.strip()]
        try:
            return await nats.connect(
                servers=servers,
                name=f"{name}-{os.getpid()}",
                connect_timeout=self.timeout,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.25,
                allow_reconnect=True,
                pending_size=64 * 1024 * 1024,
            )
        except Exception as e:
            raise OperationalError(f"cannot connect to NATS at {self.url}: {e}") from e

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        if self._closed:
            coro.close()
            raise OperationalError("the NATS connection is closed")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError as e:
            future.cancel()
            raise OperationalError("NATS did not answer in time") from e

    @property
    def is_connected(self) -> bool:
        return bool(self.client.is_connected)

    # -- streams ------------------------------------------------------------

    def ensure_stream(
        self, name: str, subjects: Sequence[str], replicas: int = 1, append_only: bool = True
    ) -> None:
        self.run(self._ensure_stream(name, list(subjects), replicas, append_only), self.timeout * 2)

    async def _ensure_stream(
        self, name: str, subjects: list[str], replicas: int, append_only: bool
    ) -> None:
        js = self.client.jetstream(timeout=self.timeout)
        config = stream_config(name, subjects, replicas, append_only)
        try:
            info = await js.stream_info(name)
        except NotFoundError:
            try:
                await js.add_stream(config)
            except Exception as e:
                # Another process may have created it between our look and our add.
                try:
                    await js.stream_info(name)
                except NotFoundError:
                    raise OperationalError(f"cannot create stream {name}: {e}") from e
            return
        current = info.config
        if (
            not current.allow_atomic
            or not current.allow_direct
            or set(current.subjects or []) != set(subjects)
        ):
            merged = sorted(set(current.subjects or []) | set(subjects))
            await js.update_stream(
                StreamConfig.from_response(
                    {
                        **current.as_dict(),
                        "subjects": merged,
                        "allow_atomic": True,
                        "allow_direct": True,
                    }
                )
            )

    # -- lifecycle ----------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        try:
            self.run(self.client.close(), self.timeout)
        except Exception:  # closing is best effort
            pass
        self._closed = True
        self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._loop.is_running():
            self._loop.close()
