"""The event store's read interface: stored messages of a stream, from a position.

Everything that reads a stream (recorders, projection runners, relays, history
views, tests) reads through `StreamReader`, over one `NatsConnection`: a
subject's last message (from the leader on a replicated stream), an aggregate's
messages (batched Direct Get, checked against the leader) or a stream in order
(a cursor). Why each: docs/adr/0003-event-store-layout-and-concurrency.md.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import OperationalError
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from shared.eventstore.connection import MAX_BATCH, NatsConnection
from shared.eventstore.settings import NatsSettings

_BULK = 256  # an unfiltered read of at least this many messages opens a cursor
_CURSORS = 8  # cursors kept; the oldest is deleted beyond this
_SKIP = 1000  # messages a cursor behind the start may read and drop rather than open anew
_CURSOR_IDLE_NS = 60 * 1_000_000_000  # the server deletes a cursor unused this long
_STATUS = "Status"


class StoredMessage:
    """A message as the stream stores it: sequence, subject, headers, body."""

    __slots__ = ("data", "headers", "seq", "subject")

    def __init__(self, seq: int, subject: str, headers: dict[str, str], data: bytes) -> None:
        self.seq = seq
        self.subject = subject
        self.headers = headers
        self.data = data

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def __repr__(self) -> str:
        return f"StoredMessage(seq={self.seq}, subject={self.subject!r})"


def subject_matches(subject_filter: str, subject: str) -> bool:
    """NATS subject matching: `*` is one token, a final `>` one or more."""
    if subject_filter.endswith(".>") and "*" not in subject_filter:
        prefix = subject_filter[:-1]
        return subject.startswith(prefix) and len(subject) > len(prefix)
    wanted = subject_filter.split(".")
    tokens = subject.split(".")
    for index, token in enumerate(wanted):
        if token == ">":
            return len(tokens) > index
        if index >= len(tokens) or (token != "*" and token != tokens[index]):
            return False
    return len(tokens) == len(wanted)


def sequence_from_ack_subject(ack_subject: str) -> int:
    """The stream sequence in a consumer delivery's reply subject.

    `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<ts>.<pending>`,
    or with `<domain>.<account hash>.` after `$JS.ACK.` and a random token at
    the end (nats-server's newer form): count from the end in both.
    """
    tokens = ack_subject.rsplit(".", 5)
    return int(tokens[2] if ack_subject.count(".") == 8 else tokens[1])


def _parse_header_block(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in block.split(b"\r\n")[1:]:
        if line:
            key, _, value = line.partition(b":")
            headers[key.decode()] = value.strip().decode()
    return headers


def _from_direct(msg: Msg) -> StoredMessage:
    headers = dict(msg.headers or {})
    seq = int(headers.pop("Nats-Sequence"))
    subject = headers.pop("Nats-Subject")
    for name in ("Nats-Stream", "Nats-Time-Stamp", "Nats-Num-Pending", "Nats-Last-Sequence"):
        headers.pop(name, None)
    return StoredMessage(seq, subject, headers, msg.data)


class _Collector:
    """Messages arriving on one subscription for one request, until the request ends."""

    def __init__(self, limit: int, convert: Callable[[Msg], StoredMessage]) -> None:
        self.limit = limit
        self.convert = convert
        self.messages: list[StoredMessage] = []
        self.status: str | None = None
        self.done = asyncio.Event()

    async def receive(self, msg: Msg) -> None:
        if self.done.is_set():
            return
        status = (msg.headers or {}).get(_STATUS)
        if status and not msg.data:
            self.status = status
            self.done.set()
            return
        self.messages.append(self.convert(msg))
        if len(self.messages) >= self.limit:
            self.done.set()


class _Cursor:
    """An ephemeral pull consumer and the subscription its pages arrive on."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.subscription: Subscription | None = None
        self.pulling: _Collector | None = None  # the pull being answered (one at a time)

    async def deliver(self, msg: Msg) -> None:
        if self.pulling is not None:
            await self.pulling.receive(msg)


class StreamReader:
    """Reads stored messages of JetStream streams through one connection; thread-safe."""

    def __init__(self, connection: NatsConnection, owns_connection: bool = False) -> None:
        self.connection = connection
        self.api = connection.api
        self._owns_connection = owns_connection
        self._replicated: dict[str, bool] = {}
        # (stream, next sequence) -> the cursor positioned there. Only touched
        # on the connection's loop, so no lock.
        self._cursors: dict[tuple[str, int], _Cursor] = {}
        # Batched reads in flight, by the last token of their reply subject.
        self._reply_prefix: str | None = None
        self._waiting: dict[str, _Collector] = {}
        self._request_no = 0

    @classmethod
    def connect(cls, url: str | None = None, name: str = "belonging-reader") -> StreamReader:
        """A reader with a connection of its own, from the process's NATS settings."""
        return cls(NatsConnection(NatsSettings.load(url=url), name=name), owns_connection=True)

    # -- public reads ------------------------------------------------------------

    def stream_exists(self, stream: str) -> bool:
        """Whether the stream exists (a service's integration stream is made by its relay)."""

        async def ask() -> bool:
            info = await self.connection.api_request(f"STREAM.INFO.{stream}")
            error = info.get("error")
            if error and (error.get("code") == 404 or error.get("err_code") == 10059):
                return False
            if error:
                raise OperationalError(f"stream {stream}: {error.get('description', error)}")
            return True

        return self.connection.run(ask())

    def last(self, stream: str, subject: str) -> StoredMessage | None:
        """The last message stored on a subject (wildcards allowed), or None.

        On a replicated stream, as the leader has it: every acknowledged write.
        """
        return self.connection.run(self._last(stream, subject))

    def next_batch(
        self,
        stream: str,
        start_seq: int,
        subject_filter: str | None,
        batch: int = MAX_BATCH,
        through: int | None = None,
    ) -> list[StoredMessage]:
        """Up to `batch` messages with sequence >= start_seq whose subject matches the filter.

        With `through`, a sequence known to be stored (read from the leader),
        the page is completed from the leader if a follower answered it
        before it had caught up to there.
        """
        return self.connection.run(
            self._next_batch(stream, max(1, start_seq), subject_filter, batch, through)
        )

    def all_on_subject(
        self, stream: str, subject: str, after_seq: int = 0, through: int | None = None
    ) -> list[StoredMessage]:
        """Every message on one subject after `after_seq`, including every acknowledged one.

        `through`: the subject's last sequence if the caller has just read it
        from the leader (saves asking again).
        """
        return self.connection.run(self._all_on_subject(stream, subject, after_seq, through))

    def replicated(self, stream: str) -> bool:
        """Whether the stream has followers (whose reads may lag the leader)."""
        return self.connection.run(self._is_replicated(stream))

    def close(self) -> None:
        try:
            self.connection.run(self._forget_all_cursors())
        except OperationalError:
            pass  # the server drops idle cursors itself
        if self._owns_connection:
            self.connection.close()

    # -- the reads, on the connection's loop ---------------------------------

    async def _is_replicated(self, stream: str) -> bool:
        known = self._replicated.get(stream)
        if known is None:
            info = await self.connection.api_request(f"STREAM.INFO.{stream}")
            if "error" in info:
                raise OperationalError(
                    f"stream {stream}: {info['error'].get('description', info['error'])}"
                )
            known = int(info.get("config", {}).get("num_replicas") or 1) > 1
            self._replicated[stream] = known
        return known

    async def _last(self, stream: str, subject: str) -> StoredMessage | None:
        if await self._is_replicated(stream):
            return await self._leader_get(stream, {"last_by_subj": subject})
        msg = await self.connection.request(f"{self.api}.DIRECT.GET.{stream}.{subject}", b"")
        status = (msg.headers or {}).get(_STATUS)
        if status == "404":
            return None
        if status:
            raise OperationalError(f"Direct Get on {stream} answered {status}")
        return _from_direct(msg)

    async def _leader_get(self, stream: str, request: dict[str, Any]) -> StoredMessage | None:
        """One message as the stream leader has it (the JetStream API, not Direct Get)."""
        answer = await self.connection.api_request(f"STREAM.MSG.GET.{stream}", request)
        error = answer.get("error")
        if error:
            if error.get("code") == 404:
                return None
            raise OperationalError(f"reading {stream} failed: {error.get('description', error)}")
        message = answer["message"]
        block = base64.b64decode(message.get("hdrs") or "")
        return StoredMessage(
            int(message["seq"]),
            message["subject"],
            _parse_header_block(block) if block else {},
            base64.b64decode(message.get("data") or ""),
        )

    async def _direct_batch(
        self, stream: str, start_seq: int, subject_filter: str | None, batch: int
    ) -> list[StoredMessage]:
        """One batched Direct Get: messages from start_seq, up to `batch`."""
        request: dict[str, Any] = {"seq": start_seq, "batch": min(batch, MAX_BATCH)}
        if subject_filter is not None:
            request["next_by_subj"] = subject_filter
        collector = _Collector(request["batch"], _from_direct)
        prefix = await self._replies()
        self._request_no += 1
        token = str(self._request_no)
        self._waiting[token] = collector
        try:
            await self.connection.connected(self.connection.timeout)
            await self.connection.client.publish(
                f"{self.api}.DIRECT.GET.{stream}",
                json.dumps(request).encode(),
                reply=f"{prefix}.{token}",
            )
            await asyncio.wait_for(collector.done.wait(), self.connection.timeout)
        except TimeoutError as e:
            raise OperationalError(f"NATS did not answer a read of {stream} in time") from e
        finally:
            del self._waiting[token]
        if collector.status not in (None, "204", "404"):
            raise OperationalError(f"Direct Get on {stream} answered {collector.status}")
        return collector.messages

    async def _replies(self) -> str:
        """The inbox prefix that answers to our batched reads arrive under (one subscription)."""
        if self._reply_prefix is None:
            prefix = self.connection.client.new_inbox()

            async def route(msg: Msg) -> None:
                collector = self._waiting.get(msg.subject.rpartition(".")[2])
                if collector is not None:
                    await collector.receive(msg)

            await self.connection.client.subscribe(
                f"{prefix}.*", cb=route, pending_msgs_limit=16 * MAX_BATCH
            )
            self._reply_prefix = prefix
        return self._reply_prefix

    async def _next_batch(
        self,
        stream: str,
        start_seq: int,
        subject_filter: str | None,
        batch: int,
        through: int | None,
    ) -> list[StoredMessage]:
        page: list[StoredMessage] | None = None
        if subject_filter is None:
            page = await self._read_with_cursor(stream, start_seq, batch)
        if page is None:
            page = await self._direct_batch(stream, start_seq, subject_filter, batch)
        if through is not None and len(page) < batch and (not page or page[-1].seq < through):
            await self._complete(stream, page, start_seq, subject_filter, through, batch)
        return page

    async def _complete(
        self,
        stream: str,
        page: list[StoredMessage],
        start_seq: int,
        subject_filter: str | None,
        through: int,
        batch: int,
    ) -> None:
        """Reads from the leader what a lagging follower left out, up to `through`."""
        seq = page[-1].seq + 1 if page else start_seq
        while seq <= through and len(page) < batch:
            request: dict[str, Any] = {"seq": seq}
            if subject_filter is not None:
                request["next_by_subj"] = subject_filter
            message = await self._leader_get(stream, request)
            if message is None or message.seq > through:
                return
            page.append(message)
            seq = message.seq + 1

    async def _all_on_subject(
        self, stream: str, subject: str, after_seq: int, through: int | None
    ) -> list[StoredMessage]:
        if through is None and await self._is_replicated(stream):
            head = await self._last(stream, subject)
            if head is None or head.seq <= after_seq:
                return []
            through = head.seq
        out: list[StoredMessage] = []
        start = after_seq + 1
        while True:
            page = await self._next_batch(stream, start, subject, MAX_BATCH, through)
            out.extend(page)
            if len(page) < MAX_BATCH:
                return out
            start = page[-1].seq + 1

    # -- cursors: ephemeral pull consumers for reading a stream in order -----

    async def _read_with_cursor(
        self, stream: str, start_seq: int, batch: int
    ) -> list[StoredMessage] | None:
        """Up to `batch` messages from start_seq on, or None to use Direct Get instead.

        None when the read is small and no cursor stands at (or a little
        before) start_seq, or when the server will not serve a cursor.
        """
        at = start_seq
        cursor = self._cursors.pop((stream, start_seq), None)
        if cursor is None:
            # A cursor a little behind (another reader of the same position
            # moved it on) is cheaper to read forward than a new one to open.
            behind = [k for (s, k) in self._cursors if s == stream and 0 < start_seq - k <= _SKIP]
            if behind:
                at = max(behind)
                cursor = self._cursors.pop((stream, at))
        if cursor is None and batch < _BULK:
            return None
        page: list[StoredMessage] | None = None
        for _attempt in (1, 2):
            if cursor is None:
                at, cursor = start_seq, await self._open_cursor(stream, start_seq)
                if cursor is None:
                    return None
            page = await self._pull(stream, cursor, batch + start_seq - at)
            if page is not None:
                break
            await self._forget_cursor(stream, cursor)
            cursor = None  # the server let the cursor go (idle, or restarted)
        if page is None or cursor is None:
            return None
        next_seq = page[-1].seq + 1 if page else at
        if at < start_seq:
            page = [m for m in page if m.seq >= start_seq]
        self._cursors[(stream, next_seq)] = cursor
        if len(self._cursors) > _CURSORS:
            oldest = next(iter(self._cursors))
            await self._forget_cursor(oldest[0], self._cursors.pop(oldest))
        return page

    async def _open_cursor(self, stream: str, start_seq: int) -> _Cursor | None:
        name = f"cur{self.connection.nuid.next().decode()}"
        config = {
            "stream_name": stream,
            "config": {
                "name": name,
                "deliver_policy": "by_start_sequence",
                "opt_start_seq": start_seq,
                "ack_policy": "none",
                "replay_policy": "instant",
                "mem_storage": True,
                "num_replicas": 1,
                "inactive_threshold": _CURSOR_IDLE_NS,
            },
        }
        try:
            answer = await self.connection.api_request(f"CONSUMER.CREATE.{stream}.{name}", config)
        except OperationalError:
            return None
        if "error" in answer:
            return None
        cursor = _Cursor(name)
        cursor.subscription = await self.connection.client.subscribe(
            self.connection.client.new_inbox(), cb=cursor.deliver, pending_msgs_limit=4 * MAX_BATCH
        )
        return cursor

    async def _forget_cursor(self, stream: str, cursor: _Cursor) -> None:
        """Deletes a cursor without waiting: the server would drop it when idle anyway."""
        try:
            if cursor.subscription is not None:
                await cursor.subscription.unsubscribe()
            await self.connection.client.publish(
                f"{self.api}.CONSUMER.DELETE.{stream}.{cursor.name}"
            )
        except Exception:  # the connection is gone; the server drops idle cursors itself
            pass

    async def _forget_all_cursors(self) -> None:
        cursors, self._cursors = self._cursors, {}
        for (stream, _), cursor in cursors.items():
            await self._forget_cursor(stream, cursor)

    async def _pull(self, stream: str, cursor: _Cursor, batch: int) -> list[StoredMessage] | None:
        """One page from a cursor; None if the cursor no longer exists."""

        def convert(msg: Msg) -> StoredMessage:
            return StoredMessage(
                sequence_from_ack_subject(msg.reply), msg.subject, msg.headers or {}, msg.data
            )

        assert cursor.subscription is not None
        collector = _Collector(batch, convert)
        cursor.pulling = collector
        request = json.dumps({"batch": batch, "no_wait": True}).encode()
        try:
            await self.connection.client.publish(
                f"{self.api}.CONSUMER.MSG.NEXT.{stream}.{cursor.name}",
                request,
                reply=cursor.subscription.subject,
            )
            await asyncio.wait_for(collector.done.wait(), self.connection.timeout)
        except TimeoutError:
            return None
        finally:
            cursor.pulling = None
        if collector.status == "503":  # no consumer by that name
            return None
        return collector.messages
