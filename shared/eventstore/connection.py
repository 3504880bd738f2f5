"""One maintained NATS client (nats-py) on a private event loop, driven from sync code.

Each `NatsConnection` runs one nats-py client on an event loop in a background
thread, shared by every thread of the process, and bounds every call: a save or
a read returns, or fails with `OperationalError`, within its timeout. Also: what
a JetStream acknowledgement means for a save, and streams kept as settings ask.
Why: docs/adr/0001-one-nats-client.md, docs/adr/0003-event-store-layout-and-concurrency.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
import threading
import time
from collections.abc import Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import nats
import uvloop
from eventsourcing.persistence import IntegrityError, OperationalError, ProgrammingError
from nats import errors as nats_errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import APIError, NotFoundError
from nats.nuid import NUID

from shared.eventstore.settings import NatsSettings

T = TypeVar("T")
log = logging.getLogger("belonging.nats")

# JetStream error codes we act on (nats-server errors.json). A clustered
# stream reports a lost race as 10164 (no sequence in the text), a single
# node as 10071: both mean "the subject moved on".
WRONG_LAST_SEQUENCE = 10071
WRONG_LAST_SEQUENCE_CLUSTERED = 10164
BATCH_TOO_LARGE = 10199

# JetStream takes at most this many messages in one atomic batch.
MAX_BATCH = 1000

EXPECTED_LAST_SUBJECT_SEQUENCE = "Nats-Expected-Last-Subject-Sequence"
MSG_ID = "Nats-Msg-Id"

# A call's own timeout, plus this much for handing it between threads.
_MARGIN = 1.0
# The first and longest pauses before publishing again to a stream no server took.
_NO_LEADER_PAUSE = 0.025
_NO_LEADER_PAUSE_MAX = 0.25


class NatsUnavailable(OperationalError):
    """NATS could not be used: what failed is in the subclass and the message."""


class NatsUnreachable(NatsUnavailable):
    """No server answered (refused, unresolvable, or silent past the timeout)."""


class NothingSent(NatsUnreachable):
    """No server was connected when the call began: certainly nothing was stored."""


class NoStreamAnswered(OperationalError):
    """No server was subscribed to take the request: nothing was stored. On a
    cluster, a stream between leaders (just created, or its leader just lost)
    answers nothing for a moment."""


class NatsAuthorizationFailed(NatsUnavailable):
    """A server answered and refused our credentials."""


class NatsTLSFailed(NatsUnavailable):
    """The TLS handshake failed: an untrusted certificate, a name mismatch, no client cert."""


class WrongLastSequence(IntegrityError):
    """The server refused a write: the subject moved on since we looked."""


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


def sequence_from_ack(ack_json: bytes) -> int:
    """The stream sequence of a JetStream publish acknowledgement, or the error it names."""
    try:
        ack = json.loads(ack_json)
    except ValueError as e:
        raise OperationalError(f"JetStream answered a write with {ack_json[:80]!r}") from e
    error = ack.get("error")
    if error:
        code = error.get("err_code")
        description = error.get("description", "")
        if code in (WRONG_LAST_SEQUENCE, WRONG_LAST_SEQUENCE_CLUSTERED):
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


def _failure_kind(error: BaseException) -> type[NatsUnavailable]:
    """What one connection error says: refused credentials, failed TLS, or no answer."""
    text = str(error).lower()
    if "authorization" in text or "authentication" in text:
        return NatsAuthorizationFailed
    if isinstance(error, ssl.SSLError) or ("tls" in text and "required" in text):
        return NatsTLSFailed
    return NatsUnreachable


_ADVICE: dict[type[NatsUnavailable], str] = {
    NatsAuthorizationFailed: "refused our credentials"
    " (check NATS_CREDS / NATS_NKEY_SEED / NATS_USER+NATS_PASSWORD / NATS_TOKEN)",
    NatsTLSFailed: "failed TLS (check tls:// URLs, NATS_TLS_CA, NATS_TLS_CERT/NATS_TLS_KEY"
    " and the URL's host name)",
}


def classify_connect_errors(errors: Sequence[BaseException], servers: str) -> NatsUnavailable:
    """One clear error from what went wrong while connecting: auth, TLS, or unreachable."""
    for kind in (NatsAuthorizationFailed, NatsTLSFailed):
        for error in errors:
            if _failure_kind(error) is kind:
                return kind(f"NATS at {servers} {_ADVICE[kind]}: {error}")
    detail = "; ".join(dict.fromkeys(f"{type(e).__name__}: {e}" for e in errors)) or "no answer"
    return NatsUnreachable(f"cannot reach NATS at {servers}: {detail}")


class NatsConnection:
    """A nats-py client driven from synchronous code, every call bounded."""

    def __init__(self, settings: NatsSettings, name: str = "belonging-eventstore") -> None:
        self.settings = settings
        self.timeout = settings.timeout
        self.api = settings.api_prefix
        self.nuid = NUID()
        # uvloop, as uvicorn's: every save and read crosses to this loop and back,
        # and its C loop costs the request threads less of the GIL (docs/bench-api.md).
        self._loop = uvloop.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"{name}-loop", daemon=True
        )
        self._thread.start()
        self._closed = False
        self._connected_once = False
        self._local = threading.local()
        # Each server gets its handshake's time, once; a refusal is final sooner.
        budget = settings.connect_timeout * len(settings.servers) + 1
        try:
            self.client: Client = self._run(self._connect(name, budget), timeout=budget + _MARGIN)
        except BaseException:
            self._stop_loop()
            raise

    @property
    def url(self) -> str:
        return self.settings.url

    async def _connect(self, name: str, budget: float) -> Client:
        errors: list[BaseException] = []
        fatal = asyncio.Event()

        async def on_error(error: Exception) -> None:
            if not self._connected_once:
                errors.append(error)
                if _failure_kind(error) is not NatsUnreachable:
                    fatal.set()  # trying again cannot mend credentials or certificates
            else:  # reconnecting: said once below, not once an attempt
                log.debug("NATS connection error: %s", error)

        async def on_disconnected() -> None:
            if not self._closed:
                log.warning("NATS connection lost; reconnecting (%s)", self.settings.url)

        async def on_reconnected() -> None:
            log.warning("NATS connection back (%s)", self.client.connected_url)

        options = self.settings.connect_options(f"{name}-{os.getpid()}")
        connecting = asyncio.ensure_future(
            nats.connect(
                **options,
                error_cb=on_error,
                disconnected_cb=on_disconnected,
                reconnected_cb=on_reconnected,
            )
        )
        refused = asyncio.ensure_future(fatal.wait())
        done, _ = await asyncio.wait(
            {connecting, refused}, timeout=budget, return_when=asyncio.FIRST_COMPLETED
        )
        refused.cancel()
        if connecting in done and connecting.exception() is None:
            self._connected_once = True
            return connecting.result()
        connecting.cancel()
        try:
            await connecting
        except BaseException as e:  # the attempt's own error, or our cancelling it
            if not isinstance(e, asyncio.CancelledError):
                errors.append(e)
        if not errors:
            errors.append(TimeoutError(f"no server answered within {budget:.0f}s"))
        raise classify_connect_errors(errors, self.settings.url)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Runs a coroutine on the client's loop; fails after `timeout` (default: the call's)."""
        if self._closed:
            coro.close()
            raise OperationalError("the NATS connection is closed")
        return self._run(coro, timeout)

    @contextmanager
    def deadline(self, seconds: float) -> Iterator[None]:
        """Bounds every call this thread makes inside the block to `seconds` in all.

        A save is a publish and, when no acknowledgement comes, a look at what
        was stored: both must fit in the save's one timeout.
        """
        outer = getattr(self._local, "deadline", None)
        mine = time.monotonic() + seconds
        self._local.deadline = mine if outer is None else min(outer, mine)
        try:
            yield
        finally:
            self._local.deadline = outer

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        bound = (self.timeout + _MARGIN) if timeout is None else timeout
        deadline: float | None = getattr(self._local, "deadline", None)
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                coro.close()
                raise NatsUnreachable("NATS did not answer within the call's timeout")
            bound = min(bound, left)
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(bound)
        except TimeoutError as e:
            future.cancel()
            raise NatsUnreachable(f"NATS did not answer within {bound:.1f}s") from e

    @property
    def is_connected(self) -> bool:
        return bool(self.client.is_connected)

    def jetstream(self) -> JetStreamContext:
        return self.client.jetstream(timeout=self.timeout, **self.settings.jetstream_options())

    # -- requests ------------------------------------------------------------

    async def request(
        self, subject: str, payload: bytes, headers: dict[str, str] | None = None
    ) -> Msg:
        """One request and its reply, as nats-py does it; failures are OperationalError.

        While the client is between servers, the request waits for the
        reconnection rather than sit in nats-py's buffer; both within the
        one timeout of the call.
        """
        remaining = await self.connected(self.timeout)
        try:
            return await self.client.request(subject, payload, timeout=remaining, headers=headers)
        except nats_errors.NoRespondersError as e:
            raise NoStreamAnswered(f"no JetStream server answered on {subject}") from e
        except (TimeoutError, nats_errors.TimeoutError) as e:
            raise OperationalError(f"NATS did not answer on {subject} in time") from e
        except nats_errors.MaxPayloadError as e:
            raise ProgrammingError(f"message too large for NATS: {e}") from e
        except nats_errors.Error as e:
            raise OperationalError(f"NATS request on {subject} failed: {e}") from e

    async def connected(self, within: float) -> float:
        """Waits (up to `within` seconds) until the client is connected; returns the time left.

        Raises NatsUnreachable, saying nothing was sent, if it is not.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not self.client.is_connected:
            if self.client.is_closed or loop.time() >= deadline:
                raise NothingSent(
                    f"NATS is unavailable (no server of {self.settings.url} answered within"
                    f" {within:.1f}s): nothing was sent"
                )
            await asyncio.sleep(0.05)
        return max(0.05, deadline - loop.time())

    async def api_request(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """A JetStream API call (`STREAM.MSG.GET.X`, …) under our domain or prefix."""
        payload = json.dumps(body).encode() if body is not None else b""
        reply = await self.request(f"{self.api}.{path}", payload)
        try:
            answer: dict[str, Any] = json.loads(reply.data)
        except ValueError as e:
            raise OperationalError(f"JetStream answered {path} with {reply.data[:80]!r}") from e
        return answer

    # -- saves ---------------------------------------------------------------

    def publish(self, messages: Sequence[Outgoing]) -> int:
        """Stores all the messages or none; returns the stream sequence of the last.

        One message is a plain publish; several are one JetStream atomic batch
        (ADR-50): stored contiguously, every expected sequence checked at
        commit under the stream's lock, nothing stored if any check fails.
        Never resent here: when no acknowledgement comes, the recorder looks
        at what was stored.
        """
        if not messages:
            raise ProgrammingError("nothing to publish")
        if len(messages) > MAX_BATCH:
            raise ProgrammingError(
                f"a save of {len(messages)} events exceeds JetStream's atomic batch limit"
                f" of {MAX_BATCH}"
            )
        return sequence_from_ack(self.run(self._publish(messages)).data)

    async def _publish(self, messages: Sequence[Outgoing]) -> Msg:
        """Publishes; while no server takes the stream's messages, tries again.

        No responders means no server had the stream's subjects (a stream
        between leaders on a cluster), so nothing was stored and sending again
        is safe; within the call's one timeout, then the error stands.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        pause = _NO_LEADER_PAUSE
        while True:
            try:
                return await self._publish_once(messages)
            except NoStreamAnswered:
                if loop.time() + pause >= deadline:
                    raise
                await asyncio.sleep(pause)
                pause = min(pause * 2, _NO_LEADER_PAUSE_MAX)

    async def _publish_once(self, messages: Sequence[Outgoing]) -> Msg:
        await self.connected(self.timeout)
        if len(messages) == 1:
            only = messages[0]
            return await self.request(only.subject, only.data, only.headers)
        batch_id = self.nuid.next().decode()
        *staged, commit = messages
        for n, message in enumerate(staged, start=1):
            headers = {**message.headers, "Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(n)}
            try:
                await self.client.publish(message.subject, message.data, headers=headers)
            except nats_errors.Error as e:
                raise OperationalError(f"NATS refused part of a batch: {e}") from e
        headers = {
            **commit.headers,
            "Nats-Batch-Id": batch_id,
            "Nats-Batch-Sequence": str(len(messages)),
            "Nats-Batch-Commit": "1",
        }
        return await self.request(commit.subject, commit.data, headers)

    # -- streams ------------------------------------------------------------

    def ensure_stream(
        self, name: str, subjects: Sequence[str], replicas: int = 1, append_only: bool = True
    ) -> None:
        """Creates the stream, or brings an existing one to our settings.

        What NATS can change in place (subjects, replicas, direct and atomic
        reads, the duplicate window, append-only flags being switched on) is
        updated; what it cannot (storage, retention) refuses start-up with a
        message naming the difference.
        """
        try:
            self.run(
                ensure_stream(self.jetstream(), name, list(subjects), replicas, append_only),
                self.timeout * 3,
            )
        except nats_errors.Error as e:  # no responders, time-outs: JetStream not there
            raise NatsUnavailable(
                f"no JetStream answered at {self.api} on {self.settings.url} ({e!r}): check"
                " that JetStream is enabled for this account, and NATS_JS_DOMAIN /"
                " NATS_JS_API_PREFIX"
            ) from e

    # -- lifecycle ----------------------------------------------------------

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True  # before closing: the disconnection is ours, not news
        try:
            self._run(self.client.close(), self.timeout)
        except Exception:  # closing is best effort
            pass
        self._stop_loop()

    def _stop_loop(self) -> None:
        async def shut_down() -> None:
            # Calls still waiting (another thread's read as the process shuts
            # down) end as cancelled rather than linger as pending tasks.
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            asyncio.get_running_loop().stop()

        asyncio.run_coroutine_threadsafe(shut_down(), self._loop)
        self._thread.join(5)
        if not self._loop.is_running():
            self._loop.close()


async def ensure_stream(
    js: JetStreamContext, name: str, subjects: list[str], replicas: int, append_only: bool
) -> None:
    """Creates a stream or reconciles it with `stream_config` (see `NatsConnection`)."""
    wanted = stream_config(name, subjects, replicas, append_only)
    try:
        info = await js.stream_info(name)
    except NotFoundError:
        try:
            await js.add_stream(wanted)
        except APIError as e:
            # Another process may have created it between our look and our add.
            try:
                info = await js.stream_info(name)
            except NotFoundError:
                raise OperationalError(f"cannot create stream {name}: {e.description}") from e
        else:
            return
    current = info.config
    fixed = {
        "storage": (current.storage, wanted.storage),
        "retention": (current.retention, wanted.retention),
    }
    for setting, (have, want) in fixed.items():
        if have != want:
            raise ProgrammingError(
                f"stream {name} has {setting} {have}, not {want}; NATS cannot change it in"
                " place: move the stream (mirror it to a new one) before starting"
            )
    if current.deny_delete and not append_only:
        raise ProgrammingError(f"stream {name} denies deletes; it cannot be made a cache")
    merged = sorted(set(current.subjects or []) | set(subjects))
    changes: dict[str, tuple[Any, Any]] = {
        "subjects": (sorted(current.subjects or []), merged),
        "num_replicas": (current.num_replicas or 1, replicas),
        "allow_atomic": (bool(current.allow_atomic), True),
        "allow_direct": (bool(current.allow_direct), True),
        "duplicate_window": (current.duplicate_window, wanted.duplicate_window),
        "deny_delete": (bool(current.deny_delete), bool(current.deny_delete) or append_only),
        "deny_purge": (bool(current.deny_purge), bool(current.deny_purge) or append_only),
    }
    differing = {k: want for k, (have, want) in changes.items() if have != want}
    if not differing:
        return
    if "duplicate_window" in differing:  # the API's unit is nanoseconds
        differing["duplicate_window"] = int(wanted.duplicate_window * 1e9)
    updated = StreamConfig.from_response({**current.as_dict(), **differing})
    try:
        await js.update_stream(updated)
    except APIError as e:
        raise ProgrammingError(
            f"stream {name} differs from the configuration ({', '.join(sorted(differing))})"
            f" and NATS refused to update it: {e.description}"
        ) from e
