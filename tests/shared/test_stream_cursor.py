"""Bulk reads through a cursor (an ephemeral pull consumer) read what Direct Get reads.

A notification log read or a projection replay pages through a stream in
order; `StreamReader.next_batch` serves such reads from a consumer it keeps
between pages. These tests hold it to the promises of the Direct Get path: every
message once, in order, whatever the server did to the consumer meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import nats
import pytest
from eventsourcing.persistence import Notification, OperationalError, StoredEvent
from eventsourcing.utils import Environment
from nats_access import admin_options

from shared.eventstore import NatsFactory
from shared.eventstore.reader import StoredMessage, StreamReader, sequence_from_ack_subject
from shared.eventstore.recorders import NatsApplicationRecorder
from shared.stack.nats_server import NatsServer

pytestmark = pytest.mark.integration


async def _fill(url: str, stream: str, count: int, first: int = 0) -> list[tuple[str, bytes]]:
    """Appends `count` messages, events with a tracking record every tenth; returns them."""
    prefix = stream.lower()
    sent: list[tuple[str, bytes]] = []
    nc = await nats.connect(**admin_options(url))
    try:
        js = nc.jetstream()
        try:
            await js.stream_info(stream)
        except nats.js.errors.NotFoundError:
            await js.add_stream(name=stream, subjects=[f"{prefix}.>"], allow_direct=True)
        for n in range(first, first + count):
            subject = f"{prefix}.tracking.app" if n % 10 == 9 else f"{prefix}.events.{n % 7}"
            body = f"message {n}".encode()
            await js.publish(subject, body, headers={"X-Number": str(n)})
            sent.append((subject, body))
    finally:
        await nc.close()
    return sent


async def _consumer_names(url: str, stream: str) -> list[str]:
    nc = await nats.connect(**admin_options(url))
    try:
        return [c.name for c in await nc.jetstream().consumers_info(stream)]
    finally:
        await nc.close()


async def _delete_consumers(url: str, stream: str) -> None:
    nc = await nats.connect(**admin_options(url))
    try:
        js = nc.jetstream()
        for info in await js.consumers_info(stream):
            await js.delete_consumer(stream, info.name)
    finally:
        await nc.close()


def _read_all(client: StreamReader, stream: str, page: int, start: int = 1) -> list[StoredMessage]:
    out: list[StoredMessage] = []
    while batch := client.next_batch(stream, start, None, page):
        out.extend(batch)
        start = batch[-1].seq + 1
    return out


@pytest.fixture
def stream(nats_url: str) -> str:
    return f"CUR{uuid4().hex[:8].upper()}"


@pytest.fixture
def client(nats_url: str) -> Iterator[StreamReader]:
    c = StreamReader.connect(nats_url)
    yield c
    c.close()


def test_pages_through_one_cursor_in_order_with_every_message_once(
    nats_url: str, stream: str, client: StreamReader
) -> None:
    sent = asyncio.run(_fill(nats_url, stream, 1000))

    read = _read_all(client, stream, page=300)

    assert [m.seq for m in read] == list(range(1, 1001))
    assert [(m.subject, m.data) for m in read] == sent
    assert [m.header("X-Number") for m in read] == [str(n) for n in range(1000)]
    # Four pages and the empty one after them came from one consumer.
    assert len(asyncio.run(_consumer_names(nats_url, stream))) == 1
    # A small read goes by Direct Get and sees the same messages.
    direct = client.next_batch(stream, 995, None, 10)
    assert [(m.seq, m.subject, m.data) for m in direct] == [
        (m.seq, m.subject, m.data) for m in read[994:]
    ]


def test_closing_the_client_deletes_its_cursors(
    nats_url: str, stream: str, client: StreamReader
) -> None:
    asyncio.run(_fill(nats_url, stream, 300))
    _read_all(client, stream, page=300)
    assert len(asyncio.run(_consumer_names(nats_url, stream))) == 1

    client.close()

    deadline = time.monotonic() + 5
    while asyncio.run(_consumer_names(nats_url, stream)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert asyncio.run(_consumer_names(nats_url, stream)) == []


def test_a_cursor_the_server_dropped_is_replaced_where_the_read_left_off(
    nats_url: str, stream: str, client: StreamReader
) -> None:
    sent = asyncio.run(_fill(nats_url, stream, 900))
    first = client.next_batch(stream, 1, None, 300)
    asyncio.run(_delete_consumers(nats_url, stream))  # as an idle timeout would

    rest = _read_all(client, stream, page=300, start=first[-1].seq + 1)

    assert [m.seq for m in first + rest] == list(range(1, 901))
    assert [(m.subject, m.data) for m in first + rest] == sent


def test_a_cursor_a_little_behind_the_start_is_read_forward_not_replaced(
    nats_url: str, stream: str, client: StreamReader
) -> None:
    """Two runners of one projection move one position: each finds its cursor behind."""
    sent = asyncio.run(_fill(nats_url, stream, 900))
    assert [m.seq for m in client.next_batch(stream, 1, None, 300)] == list(range(1, 301))

    ahead = client.next_batch(stream, 351, None, 300)

    assert [(m.seq, m.subject, m.data) for m in ahead] == [
        (n + 1, subject, body) for n, (subject, body) in enumerate(sent) if 351 <= n + 1 <= 650
    ]
    assert len(asyncio.run(_consumer_names(nats_url, stream))) == 1
    assert [m.seq for m in client.next_batch(stream, 651, None, 300)] == list(range(651, 901))


def test_a_read_at_the_end_then_sees_what_is_appended_later(
    nats_url: str, stream: str, client: StreamReader
) -> None:
    asyncio.run(_fill(nats_url, stream, 300))
    assert len(_read_all(client, stream, page=1000)) == 300
    assert client.next_batch(stream, 301, None, 1000) == []

    later = asyncio.run(_fill(nats_url, stream, 20, first=300))

    read = client.next_batch(stream, 301, None, 1000)
    assert [(m.seq, m.subject, m.data) for m in read] == [
        (301 + n, subject, body) for n, (subject, body) in enumerate(later)
    ]


def test_a_read_may_start_anywhere_and_past_the_end(
    nats_url: str, stream: str, client: StreamReader
) -> None:
    asyncio.run(_fill(nats_url, stream, 400))
    assert [m.seq for m in client.next_batch(stream, 123, None, 1000)] == list(range(123, 401))
    assert client.next_batch(stream, 5000, None, 1000) == []


def test_a_missing_stream_is_an_operational_error(client: StreamReader) -> None:
    with pytest.raises(OperationalError):
        client.next_batch("NO_SUCH_STREAM", 1, None, 1000)


def test_a_scan_carries_on_across_a_server_restart(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats")
    server.start()
    client = StreamReader.connect(server.url)
    try:
        sent = asyncio.run(_fill(server.url, "RESTARTED", 600))
        first = client.next_batch("RESTARTED", 1, None, 300)

        server.restart()  # the ephemeral consumer and the connection are gone

        rest = _read_all(client, "RESTARTED", page=300, start=first[-1].seq + 1)
        assert [(m.seq, m.subject, m.data) for m in first + rest] == [
            (n + 1, subject, body) for n, (subject, body) in enumerate(sent)
        ]
    finally:
        client.close()
        server.stop()


def test_sequence_from_either_form_of_the_ack_subject() -> None:
    assert sequence_from_ack_subject("$JS.ACK.S.c.1.5000.11.1795442248318227794.0") == 5000
    assert (
        sequence_from_ack_subject("$JS.ACK.hub.ACCHASH.S.c.1.5000.11.1795442248318227794.0.xyz")
        == 5000
    )


def test_the_notification_log_reads_the_same_through_a_cursor_as_by_direct_get(
    nats_url: str,
) -> None:
    """Limits of 256 and more go through a cursor, smaller ones by Direct Get."""
    factory = NatsFactory(
        Environment(name=f"c{uuid4().hex[:10]}", env={"NATS_URL": nats_url, "NATS_TIMEOUT": "2"})
    )
    recorder = factory.application_recorder()
    try:
        aggregates = [uuid4() for _ in range(30)]
        for version in range(1, 21):
            recorder.insert_events(
                [
                    StoredEvent(
                        originator_id=a,
                        originator_version=version,
                        topic="t:Even" if version % 2 == 0 else "t:Odd",
                        state=f"{a} {version}".encode(),
                    )
                    for a in aggregates
                ]
            )

        def in_small_pages(**kwargs: object) -> list[Notification]:
            out: list[Notification] = []
            start = 1
            while page := recorder.select_notifications(start, 100, **kwargs):  # type: ignore[arg-type]
                out.extend(page)
                start = page[-1].id + 1
            return out

        everything = recorder.select_notifications(1, 1000)
        assert len(everything) == 600
        assert isinstance(recorder, NatsApplicationRecorder)
        assert len(asyncio.run(_consumer_names(nats_url, recorder.stream))) == 1  # the cursor
        assert everything == in_small_pages()
        even = recorder.select_notifications(1, 1000, topics=["t:Even"])
        assert len(even) == 300 and even == in_small_pages(topics=["t:Even"])
        stopped = recorder.select_notifications(1, 1000, stop=everything[399].id)
        assert stopped == everything[:400]
        after = recorder.select_notifications(everything[99].id, 300, inclusive_of_start=False)
        assert after == everything[100:400]
    finally:
        factory.close()
