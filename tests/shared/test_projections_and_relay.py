"""The projection runner and the integration relay, killed mid-stream, on real servers."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, ClassVar
from uuid import uuid4

import asyncpg
import nats
import pytest
from nats_access import admin_options
from toy_app import Counter, Counters, CounterTotals, translate

from shared.contracts.base import IntegrationEvent
from shared.contracts.relay import (
    SOURCE_SEQUENCE,
    IntegrationRelay,
    decode_integration,
    integration_stream,
)
from shared.eventstore import envelope as env
from shared.eventstore.connection import ensure_stream
from shared.eventstore.reader import StreamReader
from shared.projections.runner import (
    Delivered,
    PositionMoved,
    Projection,
    ProjectionRunner,
    ProjectionStopped,
    Source,
    domain_event_decoder,
    rebuild,
)

pytestmark = pytest.mark.integration

TOY = Path(__file__).with_name("toy_process.py")


def fill(app: Counters, counters: int, increments: int) -> dict[str, int]:
    expected: dict[str, int] = {}
    for n in range(counters):
        counter_id = app.open(f"c{n}")
        for _ in range(increments):
            app.increment(counter_id, times=2)  # two events per save, one atomic batch
        expected[str(counter_id)] = increments * 2
    return expected


async def totals(database: str) -> dict[str, tuple[int, int]]:
    conn = await asyncpg.connect(database)
    try:
        rows = await conn.fetch("SELECT counter_id, total, applied FROM counter_totals.totals")
    finally:
        await conn.close()
    return {r["counter_id"]: (r["total"], r["applied"]) for r in rows}


def start_script(*args: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, str(TOY), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "TOY_APPLY_DELAY": "0.01", "TOY_TRANSLATE_DELAY": "0.01"},
        start_new_session=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


def test_runner_killed_between_applying_and_acknowledging_applies_each_event_once(
    toy: tuple[Counters, str, str], database: str
) -> None:
    app, stream, prefix = toy
    expected = fill(app, counters=10, increments=10)  # 200 increments, 10 opens
    process = start_script("project", stream, prefix, database)
    # Part way: pages of 5 at 10 ms an event, so 2 s for the lot. Wait for the
    # first pages to commit (a loaded machine may start slowly), then kill.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if sum(a for _, a in asyncio.run(totals(database)).values()) >= 20:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    partial = asyncio.run(totals(database))
    assert 0 < sum(a for _, a in partial.values()) < 200, "kill should land mid-stream"

    process = start_script("project", stream, prefix, database)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = asyncio.run(totals(database))
            if sum(a for _, a in done.values()) >= 200:
                break
            time.sleep(0.3)
        time.sleep(0.5)  # nothing more should arrive
        final = asyncio.run(totals(database))
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    assert {k: v[0] for k, v in final.items()} == expected
    assert all(applied == total for total, applied in final.values())


def test_a_malformed_event_stops_the_projection_naming_its_sequence(
    toy: tuple[Counters, str, str], database: str, nats_url: str
) -> None:
    app, stream, prefix = toy
    fill(app, counters=1, increments=1)

    async def scenario() -> ProjectionStopped:
        nc = await nats.connect(**admin_options(nats_url))
        ack = await nc.jetstream().publish(
            f"{prefix}.events.{uuid4()}",
            b"\x00not an event",
            headers={env.VERSION: "1", env.TOPIC: "tests.toy:Counter.Opened", env.ORIGINATOR: "x"},
        )
        await nc.close()
        pool = await asyncpg.create_pool(database, min_size=1, max_size=2)
        runner = ProjectionRunner(CounterTotals(app, stream, prefix), pool, nats_url)
        await runner.setup()
        try:
            with pytest.raises(ProjectionStopped) as stopped:
                await runner.catch_up()
            assert stopped.value.seq == ack.seq
            assert f"sequence {ack.seq}" in str(stopped.value)
            # Everything before the bad event was applied; nothing after it.
            positions = await runner.positions()
            assert positions[stream] == ack.seq - 1
            return stopped.value
        finally:
            runner.close()
            await pool.close()

    asyncio.run(scenario())


def test_rebuild_equals_the_live_projection_and_swaps_it_in(
    toy: tuple[Counters, str, str], database: str, nats_url: str
) -> None:
    app, stream, prefix = toy
    fill(app, counters=5, increments=4)

    async def scenario() -> None:
        pool = await asyncpg.create_pool(database, min_size=1, max_size=4)
        projection = CounterTotals(app, stream, prefix)
        live = ProjectionRunner(projection, pool, nats_url)
        await live.setup()
        await live.catch_up()
        before = await pool.fetch("SELECT * FROM counter_totals.totals ORDER BY counter_id")
        report = await rebuild(projection, pool, nats_url)
        assert report.differences == {"totals": 0}
        assert report.swapped
        assert report.events == 45  # 5 opens + 5 counters x 4 saves x 2 increments
        after = await pool.fetch("SELECT * FROM counter_totals.totals ORDER BY counter_id")
        assert [tuple(r) for r in after] == [tuple(r) for r in before]
        # A live projection that drifted is caught, and not swapped away silently.
        await pool.execute("UPDATE counter_totals.totals SET total = total + 1")
        report = await rebuild(projection, pool, nats_url, swap=True)
        assert report.differences["totals"] == 10
        assert not report.swapped
        live.close()
        await pool.close()

    asyncio.run(scenario())


def _integration_messages(nats_url: str, service: str) -> list[dict[str, object]]:
    reader = StreamReader.connect(nats_url)
    try:
        stored = reader.all_on_subject(integration_stream(service), f"integration.{service}.>")
    finally:
        reader.close()
    out = []
    for message in stored:
        decoded = decode_integration(message)
        out.append(
            {
                "source": int(message.headers[SOURCE_SEQUENCE]),
                "type": decoded.type,
                "data": decoded.data,
                "body": json.loads(message.data),
            }
        )
    return out


def test_relay_killed_mid_stream_publishes_each_integration_event_exactly_once(
    toy: tuple[Counters, str, str], nats_url: str
) -> None:
    app, stream, prefix = toy
    fill(app, counters=10, increments=15)  # 300 increments
    process = start_script("relay", stream, prefix, "toys")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if len(_integration_messages(nats_url, "toys")) > 20:
                break
        except Exception:
            pass
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert len(_integration_messages(nats_url, "toys")) < 300, "kill should land mid-stream"

    async def finish() -> None:
        relay = IntegrationRelay("toys", nats_url, app.mapper, translate, stream, prefix)
        await relay.relay_available()
        await relay.close()

    asyncio.run(finish())
    messages = _integration_messages(nats_url, "toys")
    assert len(messages) == 300
    sources = [m["source"] for m in messages]
    assert len(set(sources)) == 300 and sources == sorted(sources)
    first = messages[0]
    assert first["type"] == "uk.gov.belonging.toys.counter.incremented.v1"
    body = first["body"]
    assert isinstance(body, dict) and body["specversion"] == "1.0"
    assert "note" not in json.dumps(body)  # minimised: free text stays in the service


def test_a_failing_handler_in_a_replayed_page_is_named_and_what_came_before_is_kept(
    toy: tuple[Counters, str, str], database: str, nats_url: str
) -> None:
    app, stream, prefix = toy
    fill(app, counters=3, increments=10)  # 63 events: replayed in one page

    class Breaks(CounterTotals):
        async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
            if delivered.seq == 40:
                raise ValueError("a rule the handler cannot apply")
            await super().apply(conn, delivered)

    async def scenario() -> None:
        pool = await asyncpg.create_pool(database, min_size=1, max_size=2)
        runner = ProjectionRunner(Breaks(app, stream, prefix), pool, nats_url)
        await runner.setup()
        try:
            with pytest.raises(ProjectionStopped) as stopped:
                await runner.catch_up()
            assert stopped.value.seq == 40 and "handler failed" in str(stopped.value)
            assert (await runner.positions())[stream] == 39
            applied = await pool.fetchval("SELECT sum(applied) FROM counter_totals.totals")
            opens = 2  # two of the first 39 events opened counters
            assert applied == 39 - opens
        finally:
            runner.close()
            await pool.close()

    asyncio.run(scenario())


def test_two_runners_of_one_projection_racing_apply_each_event_once(
    toy: tuple[Counters, str, str], database: str, nats_url: str
) -> None:
    """What casefile does: a live runner and an on-demand one move one position.

    Each retries at once when the other moved the position first, while its
    own prefetch of the next page may still be reading in a thread.
    """
    app, stream, prefix = toy
    writing = threading.Thread(target=lambda: expected.update(fill(app, 20, 30)))
    expected: dict[str, int] = {}

    async def scenario() -> dict[str, tuple[int, int]]:
        pool = await asyncpg.create_pool(database, min_size=2, max_size=4)
        runners = [
            ProjectionRunner(CounterTotals(app, stream, prefix), pool, nats_url, page=300)
            for _ in range(2)
        ]
        await runners[0].setup()
        moved = 0

        async def follow(runner: ProjectionRunner) -> None:
            nonlocal moved
            while writing.is_alive():
                try:
                    await runner.catch_up()
                except PositionMoved:
                    moved += 1

        try:
            writing.start()
            await asyncio.gather(*(follow(r) for r in runners))
            for runner in runners:
                await runner.catch_up()
            assert moved > 0  # they did race
            return await totals(database)
        finally:
            for runner in runners:
                runner.close()
            await pool.close()

    applied = asyncio.run(scenario())
    # Each increment event adds 1 and counts one application.
    assert applied == {counter: (total, total) for counter, total in expected.items()}


def test_a_relay_pass_does_not_read_again_what_published_nothing(
    toy: tuple[Counters, str, str], nats_url: str
) -> None:
    """Events that publish nothing (reads, creations) are looked at once, not on every pass."""
    app, stream, prefix = toy
    for n in range(30):
        app.open(f"quiet{n}")  # a creation publishes no integration event
    service = f"quiet{uuid4().hex[:8]}"

    async def passes() -> list[int]:
        relay = IntegrationRelay(service, nats_url, app.mapper, lambda e, h: [], stream, prefix)
        read: list[int] = []
        next_batch = relay.reader.next_batch

        def counted(*args: Any, **kwargs: Any) -> Any:
            page = next_batch(*args, **kwargs)
            read.append(len(page))
            return page

        relay.reader.next_batch = counted  # type: ignore[method-assign]
        seen = []
        for _ in range(3):
            read.clear()
            assert await relay.relay_available() == 0
            seen.append(sum(read))
        app.open("one more")
        read.clear()
        await relay.relay_available()
        seen.append(sum(read))
        await relay.close()
        return seen

    first, second, third, after_one_more = asyncio.run(passes())
    assert first == 30
    assert second == third == 0
    assert after_one_more == 1


class OneCounterTotals(CounterTotals):
    """Follows one counter only, as an erasure follower follows only erasures."""

    def __init__(self, app: Counters, stream: str, prefix: str, counter_id: Any) -> None:
        self._source = Source(
            stream, f"{prefix}.events.{counter_id}", domain_event_decoder(app.mapper)
        )


def test_a_runner_does_not_read_again_what_its_projection_does_not_keep(
    toy: tuple[Counters, str, str], database: str, nats_url: str
) -> None:
    """Events a projection does not follow move no position; they are still read only once.

    Before, every poll read again every event since the last one kept: a
    follower of rare events (erasures) read the whole stream five times a
    second, and each read left a consumer on the server.
    """
    app, stream, prefix = toy
    followed = app.open("followed")
    app.increment(followed)
    for n in range(30):
        app.open(f"quiet{n}")

    async def catch_ups() -> tuple[list[int], dict[str, tuple[int, int]]]:
        pool = await asyncpg.create_pool(database, min_size=1, max_size=2)
        runner = ProjectionRunner(OneCounterTotals(app, stream, prefix, followed), pool, nats_url)
        read: list[int] = []
        read_page = runner.reader.next_batch

        def counted(*args: Any, **kwargs: Any) -> Any:
            page = read_page(*args, **kwargs)
            read.append(len(page))
            return page

        runner.reader.next_batch = counted  # type: ignore[method-assign]
        seen: list[int] = []
        try:
            await runner.setup()
            for step in ("first", "again", "one quiet more", "one followed more"):
                if step == "one quiet more":
                    app.open("quiet again")
                if step == "one followed more":
                    app.increment(followed)
                read.clear()
                await runner.catch_up()
                seen.append(sum(read))
            return seen, await totals(database)
        finally:
            runner.close()
            await pool.close()

    seen, applied = asyncio.run(catch_ups())
    assert seen == [32, 0, 1, 1]  # 2 of the followed counter's events and 30 creations at first
    assert applied == {str(followed): (2, 2)}


def test_a_foreign_message_on_the_integration_stream_neither_doubles_nor_stalls_the_relay(
    toy: tuple[Counters, str, str], nats_url: str
) -> None:
    """Someone publishes straight onto the integration subjects: the relay passes it over."""
    app, stream, prefix = toy
    guarded = f"guarded{uuid4().hex[:8]}"
    service = guarded

    class Incremented(IntegrationEvent):
        service: ClassVar[str] = guarded
        event_type: ClassVar[str] = "counter.incremented.v1"

        by: int

    def publishes(domain_event: Any, headers: dict[str, str]) -> list[IntegrationEvent]:
        if isinstance(domain_event, Counter.Incremented):
            return [Incremented(child_id=str(domain_event.originator_id), by=domain_event.by)]
        return []

    counter = app.open("guarded")
    for _ in range(5):
        app.increment(counter)

    async def run() -> list[int]:
        relay = IntegrationRelay(service, nats_url, app.mapper, publishes, stream, prefix)
        published = [await relay.relay_available()]
        client = await nats.connect(**admin_options(nats_url))
        try:
            await client.jetstream().publish(f"integration.{service}.forged", b'{"forged": 1}')
        finally:
            await client.close()
        published.append(await relay.relay_available())  # nothing again
        app.increment(counter)
        published.append(await relay.relay_available())  # the next one, once
        await relay.close()
        return published

    assert asyncio.run(run()) == [5, 0, 1]
    reader = StreamReader.connect(nats_url)
    try:
        stored = reader.all_on_subject(integration_stream(service), f"integration.{service}.>")
    finally:
        reader.close()
    relayed = [m for m in stored if m.header(SOURCE_SEQUENCE)]
    assert len(relayed) == 6 and len(stored) == 7  # six relayed once each, one forged
    sources = [int(m.header(SOURCE_SEQUENCE) or 0) for m in relayed]
    assert len(set(sources)) == 6


class SubjectsSeen(Projection):
    """Each message of one stream, by sequence: a stream that may not exist yet."""

    name = "subjects_seen"
    tables = ("seen",)

    def __init__(self, stream: str, subjects: str) -> None:
        self._source = Source(stream, subjects, lambda message: message.subject)

    def sources(self) -> list[Source]:
        return [self._source]

    def schema_sql(self) -> str:
        return "CREATE TABLE IF NOT EXISTS seen (seq bigint PRIMARY KEY, subject text NOT NULL)"

    async def apply(self, conn: asyncpg.Connection, delivered: Delivered) -> None:
        await conn.execute("INSERT INTO seen VALUES ($1, $2)", delivered.seq, delivered.event)


def test_a_runner_asks_again_for_a_stream_not_made_yet_only_every_few_seconds(
    database: str, nats_url: str
) -> None:
    """A service not deployed yet costs a follower a question every few seconds, not five a second.

    In the background the runner skips a stream it found missing for
    `absent_recheck` seconds; a catch-up asked for (read-your-writes) always
    looks; and once the stream is made, what is published there is applied.
    """
    unique = uuid4().hex[:8]
    stream, subjects = f"LATER{unique.upper()}", f"later{unique}.>"
    recheck = 1.0

    async def scenario() -> tuple[int, int, int, list[str]]:
        pool = await asyncpg.create_pool(database, min_size=1, max_size=2)
        runner = ProjectionRunner(SubjectsSeen(stream, subjects), pool, nats_url)
        asked: list[str] = []
        exists = runner.reader.stream_exists

        def counted(name: str) -> bool:
            asked.append(name)
            return exists(name)

        runner.reader.stream_exists = counted  # type: ignore[method-assign, assignment]
        stop = asyncio.Event()
        task = asyncio.create_task(runner.run_forever(stop, idle=0.05, absent_recheck=recheck))
        try:
            await asyncio.sleep(recheck * 0.8)  # about 15 polls
            in_the_background = len(asked)
            await runner.catch_up()  # asked for: it looks
            asked_for = len(asked) - in_the_background
            client = await nats.connect(**admin_options(nats_url))
            try:
                await ensure_stream(client.jetstream(), stream, [subjects], 1, True)
                for n in range(3):
                    await client.jetstream().publish(f"later{unique}.{n}", b"{}")
            finally:
                await client.close()
            deadline = asyncio.get_running_loop().time() + recheck + 10
            while runner.progress.applied < 3:
                assert asyncio.get_running_loop().time() < deadline, "never applied"
                await asyncio.sleep(0.05)
            conn = await asyncpg.connect(database)
            try:
                rows = await conn.fetch("SELECT subject FROM subjects_seen.seen ORDER BY seq")
            finally:
                await conn.close()
            return in_the_background, asked_for, runner.progress.applied, [r[0] for r in rows]
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)
            runner.close()
            await pool.close()

    in_the_background, asked_for, applied, subjects_applied = asyncio.run(scenario())
    assert in_the_background == 1
    assert asked_for == 1
    assert applied == 3
    assert subjects_applied == [f"later{unique}.{n}" for n in range(3)]
