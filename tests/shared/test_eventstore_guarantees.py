"""What the event store promises beyond the library's suites, on real servers."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import nats
import pytest
from eventsourcing.persistence import (
    IntegrityError,
    Notification,
    OperationalError,
    StoredEvent,
)
from eventsourcing.utils import Environment
from nats_access import admin_options

from shared.eventstore import NatsFactory, group_commit
from shared.eventstore import envelope as env
from shared.eventstore.connection import NoStreamAnswered, Outgoing
from shared.eventstore.reader import StreamReader
from shared.eventstore.recorders import NatsApplicationRecorder
from shared.request_context import acting_as
from shared.stack.nats_server import NATS_CONFIG, NatsServer

pytestmark = pytest.mark.integration


def new_factory(url: str, name: str | None = None) -> NatsFactory:
    return NatsFactory(
        Environment(name=name or f"g{uuid4().hex[:10]}", env={"NATS_URL": url, "NATS_TIMEOUT": "2"})
    )


def event(originator: UUID | str, version: int, body: bytes = b"state") -> StoredEvent:
    return StoredEvent(
        originator_id=originator, originator_version=version, topic="t:E", state=body
    )


@pytest.fixture
def factory(nats_url: str) -> Iterator[NatsFactory]:
    f = new_factory(nats_url)
    yield f
    f.close()


def test_every_nats_server_we_start_fsyncs_before_acknowledging(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        assert server.varz()["jetstream"]["config"]["sync_always"] is True
    finally:
        server.stop()
    assert "sync_interval: always" in NATS_CONFIG.read_text()
    repo = NATS_CONFIG.parents[2]
    for path in list((repo / "k8s").rglob("*.yaml")) + list((repo / "deploy").rglob("*")):
        if path.is_file() and "jetstream" in path.read_text(errors="ignore").lower():
            text = path.read_text()
            if "store_dir" in text or "jetstream {" in text or "jetstream:" in text:
                assert "sync_interval" in text and "always" in text, path


def test_two_writers_racing_on_one_aggregate_exactly_one_wins(nats_url: str) -> None:
    name = f"race{uuid4().hex[:8]}"
    first, second = new_factory(nats_url, name), new_factory(nats_url, name)
    try:
        a, b = first.application_recorder(), second.application_recorder()
        originator = uuid4()
        a.insert_events([event(originator, 1)])
        assert len(b.select_events(originator)) == 1  # both have read version 1
        barrier = threading.Barrier(2)
        outcomes: dict[str, object] = {}

        def write(label: str, recorder: NatsApplicationRecorder) -> None:
            barrier.wait()
            try:
                outcomes[label] = recorder.insert_events([event(originator, 2, label.encode())])
            except IntegrityError as e:
                outcomes[label] = e

        threads = [
            threading.Thread(target=write, args=("a", a)),
            threading.Thread(target=write, args=("b", b)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        errors = [o for o in outcomes.values() if isinstance(o, IntegrityError)]
        assert len(errors) == 1, outcomes
        stored = a.select_events(originator)
        assert [e.originator_version for e in stored] == [1, 2]
        winner = next(k for k, v in outcomes.items() if not isinstance(v, IntegrityError))
        assert stored[1].state == winner.encode()
    finally:
        first.close()
        second.close()


def test_a_batch_interrupted_before_commit_leaves_nothing_visible(
    factory: NatsFactory, nats_url: str
) -> None:
    import asyncio

    recorder = factory.application_recorder()
    originator = uuid4()
    subject = f"{factory.subject_prefix}.events.{originator}"
    before = recorder.max_notification_id()

    async def publish_without_commit() -> None:
        nc = await nats.connect(**admin_options(nats_url))
        for n in (1, 2, 3):
            await nc.publish(
                subject,
                b"half",
                headers={
                    "Nats-Batch-Id": "interrupted",
                    "Nats-Batch-Sequence": str(n),
                    env.VERSION: str(n),
                    env.TOPIC: "t:E",
                    env.ORIGINATOR: str(originator),
                },
            )
        await nc.flush()
        await nc.close()  # the writer dies before its commit message

    asyncio.run(publish_without_commit())
    time.sleep(0.3)
    assert recorder.select_events(originator) == []
    assert recorder.max_notification_id() == before
    # The aggregate can still be written from scratch, atomically.
    ids = recorder.insert_events([event(originator, 1), event(originator, 2)])
    assert [e.originator_version for e in recorder.select_events(originator)] == [1, 2]
    assert ids == [(before or 0) + 1, (before or 0) + 2]


@pytest.mark.parametrize("size", [1, 4])
def test_a_retried_save_is_not_doubled(nats_url: str, size: int) -> None:
    name = f"retry{uuid4().hex[:8]}"
    first, fresh = new_factory(nats_url, name), new_factory(nats_url, name)
    try:
        originator = uuid4()
        events = [event(originator, v, f"body{v}".encode()) for v in range(1, size + 1)]
        ids = first.application_recorder().insert_events(events)
        # A retry from a process that never saw the acknowledgement (no cache):
        # the recorder recognises its own events and reports the same ids.
        again = fresh.application_recorder().insert_events(events)
        assert again == ids
        recorder = fresh.application_recorder()
        assert len(recorder.select_events(originator)) == size
        assert recorder.max_notification_id() == ids[-1]  # type: ignore[index]
        # The same versions with other content are a real conflict.
        with pytest.raises(IntegrityError):
            new_factory(nats_url, name).application_recorder().insert_events(
                [event(originator, 1, b"someone else")]
            )
    finally:
        first.close()
        fresh.close()


def test_audit_envelope_is_in_the_headers_and_the_chain_verifies(factory: NatsFactory) -> None:
    recorder = factory.application_recorder()
    child = uuid4()
    with acting_as(
        actor="sw.jones", role="social_worker", purpose="direct-care", child_id=str(child)
    ):
        recorder.insert_events([event(child, 1), event(child, 2)])
        recorder.insert_events([event(child, 3)])
    reader = StreamReader.connect(os.environ["NATS_URL"])
    try:
        stored = reader.all_on_subject(factory.stream, f"{factory.subject_prefix}.events.{child}")
    finally:
        reader.close()
    headers = [m.headers for m in stored]
    assert {h[env.ACTOR] for h in headers} == {"sw.jones"}
    assert {h[env.CHILD] for h in headers} == {str(child)}
    assert all(h[env.ROLE] == "social_worker" and h[env.PURPOSE] == "direct-care" for h in headers)
    chain = [(m.headers, m.data) for m in stored]
    assert env.verify_chain(chain) == []
    tampered = [chain[0], (chain[1][0], b"edited"), chain[2]]
    assert env.verify_chain(tampered)  # editing a body breaks the chain
    assert env.verify_chain([chain[0], chain[2]])  # so does removing an event


@pytest.mark.fault
def test_sigkill_of_nats_mid_load_loses_no_acknowledged_save(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats")
    server.start()
    factory = new_factory(server.url)
    recorder = factory.application_recorder()
    acknowledged: dict[object, int] = {}
    saves = [0]
    longest = [0.0]
    failures: list[Exception] = []
    stop = threading.Event()

    def load(writer: int) -> None:
        aggregates = [uuid4() for _ in range(20)]
        versions = dict.fromkeys(aggregates, 0)
        n = 0
        while not stop.is_set():
            originator = aggregates[n % len(aggregates)]
            size = 1 if n % 2 else 4
            start = versions[originator] + 1
            batch = [event(originator, v) for v in range(start, start + size)]
            began = time.monotonic()
            try:
                recorder.insert_events(batch)
            except (OperationalError, IntegrityError) as e:
                failures.append(e)
                time.sleep(0.05)
                # Learn what is really stored before writing on (the save may
                # or may not have landed: either is allowed, never half).
                try:
                    stored = recorder.select_events(originator)
                    versions[originator] = stored[-1].originator_version if stored else 0
                except OperationalError:
                    pass
            else:
                versions[originator] = start + size - 1
                acknowledged[originator] = versions[originator]
                saves[0] += 1
                longest[0] = max(longest[0], time.monotonic() - began)
            n += 1

    try:
        threads = [threading.Thread(target=load, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        server.kill()
        time.sleep(1.0)
        saves_before_restart = saves[0]
        server.start()
        time.sleep(2.5)  # the application carries on after reconnecting
        stop.set()
        for t in threads:
            t.join(30)
        # The outage was felt: saves failed, or waited for the server to return.
        assert failures or longest[0] > 0.5, "the outage went unnoticed"
        assert saves_before_restart > 0
        assert saves[0] > saves_before_restart, "no save succeeded after the restart"
        check = new_factory(server.url, factory.env.name).application_recorder()
        for originator, version in acknowledged.items():
            stored = check.select_events(originator)  # type: ignore[arg-type]
            versions = [e.originator_version for e in stored]
            assert versions == list(range(1, len(versions) + 1)), "gaps or duplicates"
            assert versions[-1] >= version, f"acknowledged version {version} of {originator} lost"
    finally:
        stop.set()
        factory.close()
        server.stop()


@pytest.mark.fault
def test_nats_outage_fails_writes_fast_and_clearly(tmp_path: Path) -> None:
    server = NatsServer(tmp_path / "nats")
    server.start()
    factory = new_factory(server.url)
    try:
        recorder = factory.application_recorder()
        originator = uuid4()
        recorder.insert_events([event(originator, 1)])
        server.kill()
        time.sleep(0.5)
        started = time.monotonic()
        with pytest.raises(OperationalError) as raised:
            recorder.insert_events([event(originator, 2), event(originator, 3)])
        assert time.monotonic() - started < 4
        assert "NATS" in str(raised.value)
        server.start()
        deadline = time.monotonic() + 15
        while not factory.connection.is_connected and time.monotonic() < deadline:
            time.sleep(0.1)
        # Nothing half-written: version 1 only, and the save can be made now.
        assert [e.originator_version for e in recorder.select_events(originator)] == [1]
        recorder.insert_events([event(originator, 2), event(originator, 3)])
        assert [e.originator_version for e in recorder.select_events(originator)] == [1, 2, 3]
    finally:
        factory.close()
        server.stop()


def test_a_cached_history_never_hides_events_written_by_another_process(nats_url: str) -> None:
    name = f"cache{uuid4().hex[:8]}"
    writer, reader_factory = new_factory(nats_url, name), new_factory(nats_url, name)
    try:
        write, read = writer.application_recorder(), reader_factory.application_recorder()
        originator = uuid4()
        write.insert_events([event(originator, 1), event(originator, 2)])
        assert [e.originator_version for e in read.select_events(originator)] == [1, 2]
        # Another process appends: the reader's cached history is now behind.
        write.insert_events([event(originator, 3, b"three")])
        again = read.select_events(originator)
        assert [e.originator_version for e in again] == [1, 2, 3]
        assert again[-1].state == b"three"
        assert [e.originator_version for e in read.select_events(originator, gt=1, lte=2)] == [2]
    finally:
        writer.close()
        reader_factory.close()


def test_a_save_across_aggregates_keeps_the_order_it_was_given(factory: NatsFactory) -> None:
    recorder = factory.application_recorder()
    a, b = uuid4(), uuid4()
    given = [event(a, 1, b"a1"), event(b, 1, b"b1"), event(a, 2, b"a2")]
    ids = recorder.insert_events(given)
    assert ids is not None and len(ids) == 3
    notifications = recorder.select_notifications(ids[0], 3)
    assert [n.id for n in notifications] == list(ids)
    assert [n.state for n in notifications] == [b"a1", b"b1", b"a2"]
    assert [e.state for e in recorder.select_events(a)] == [b"a1", b"a2"]
    # The next save of each aggregate is checked against what this one stored.
    recorder.insert_events([event(b, 2), event(a, 3)])
    with pytest.raises(IntegrityError):
        recorder.insert_events([event(a, 3, b"again")])


def test_notifications_read_back_equal_the_ones_the_library_would_build(
    factory: NatsFactory,
) -> None:
    """The log's hot loop builds Notification objects without their __init__."""
    recorder = factory.application_recorder()
    a = uuid4()
    ids = recorder.insert_events([event(a, 1, b"one"), event("a string id", 1, b"two")])
    assert ids is not None
    read = recorder.select_notifications(ids[0], 2)
    expected = [
        Notification(id=ids[0], originator_id=a, originator_version=1, topic="t:E", state=b"one"),
        Notification(
            id=ids[1], originator_id="a string id", originator_version=1, topic="t:E", state=b"two"
        ),
    ]
    assert read == expected
    assert [repr(n) for n in read] == [repr(n) for n in expected]
    assert [hash(n.originator_id) for n in read] == [hash(a), hash("a string id")]
    with pytest.raises(AttributeError):
        read[0].id = 5


def test_concurrent_saves_of_several_events_are_grouped_and_each_gets_its_own_ids(
    factory: NatsFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = factory.application_recorder()
    assert isinstance(recorder, NatsApplicationRecorder)
    batches: list[int] = []
    real_publish = factory.connection.publish

    def counting(messages: Any) -> int:  # the real publish, counted
        batches.append(len(messages))
        return real_publish(messages)

    monkeypatch.setattr(factory.connection, "publish", counting)
    threads, saves = 16, 8
    barrier = threading.Barrier(threads)
    results: dict[UUID, list[list[int]]] = {}
    errors: list[BaseException] = []

    def writer() -> None:
        originator = uuid4()
        results[originator] = []
        barrier.wait()
        try:
            for n in range(saves):
                first = n * 4 + 1
                given = [
                    event(originator, v, f"{originator} {v}".encode())
                    for v in range(first, first + 4)
                ]
                ids = recorder.insert_events(given)
                assert ids is not None
                results[originator].append(list(ids))
        except BaseException as e:
            errors.append(e)

    workers = [threading.Thread(target=writer) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()

    assert not errors, errors
    assert sum(batches) == threads * saves * 4  # every message written once
    assert len(batches) < threads * saves  # and saves shared batches
    all_ids = [i for per_save in results.values() for ids in per_save for i in ids]
    assert len(set(all_ids)) == len(all_ids)
    for originator, per_save in results.items():
        for n, ids in enumerate(per_save):
            assert ids == list(range(ids[0], ids[0] + 4))  # a save's events are contiguous
            read = recorder.select_notifications(ids[0], 4)
            assert [(x.id, x.originator_id, x.originator_version) for x in read] == [
                (i, originator, n * 4 + 1 + k) for k, i in enumerate(ids)
            ]
        stored = recorder.select_events(originator)
        assert [e.originator_version for e in stored] == list(range(1, saves * 4 + 1))


def test_a_group_that_fails_is_published_save_by_save(factory: NatsFactory) -> None:
    """Two saves racing on one aggregate in one group: one wins, the others are untouched."""
    recorder = factory.application_recorder()
    assert isinstance(recorder, NatsApplicationRecorder)
    contested, other = uuid4(), uuid4()
    recorder.insert_events([event(contested, 1)])

    def planned(events: list[StoredEvent]) -> list[Outgoing]:
        return recorder._plan(events)[0]

    first = group_commit._Waiting(planned([event(contested, 2, b"x"), event(contested, 3, b"x")]))
    second = group_commit._Waiting(planned([event(contested, 2, b"y"), event(contested, 3, b"y")]))
    third = group_commit._Waiting(planned([event(other, 1), event(other, 2)]))

    recorder.group_commit._publish_group([first, second, third])

    assert first.error is None and first.last_seq > 0
    assert isinstance(second.error, IntegrityError)
    assert third.error is None and third.last_seq > first.last_seq
    assert [e.state for e in recorder.select_events(contested)] == [b"state", b"x", b"x"]
    assert [e.originator_version for e in recorder.select_events(other)] == [1, 2]


def test_a_save_to_a_stream_between_leaders_is_stored_once_it_has_one(
    factory: NatsFactory,
) -> None:
    """On a cluster a stream is without a leader for a moment (just made, or its leader
    lost), and a publish then finds no responders: nothing was stored, so it is sent
    again within the call's timeout. A stream that never comes still fails, in time."""
    connection = factory.connection
    unique = uuid4().hex[:10]
    stream, subject = f"LATE{unique.upper()}", f"late{unique}.events.one"
    made = threading.Timer(
        0.3, connection.ensure_stream, (stream, [f"late{unique}.>"], factory.replicas)
    )
    made.start()
    try:
        sequence = connection.publish([Outgoing(subject, {"Nats-Msg-Id": unique}, b"state")])
    finally:
        made.join()
    assert sequence == 1
    assert [m.data for m in factory.reader.all_on_subject(stream, subject)] == [b"state"]
    started = time.monotonic()
    with pytest.raises(NoStreamAnswered):
        connection.publish([Outgoing(f"nowhere{unique}.x", {}, b"state")])
    assert 1.5 < time.monotonic() - started < 4  # NATS_TIMEOUT is 2 s
