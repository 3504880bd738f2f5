"""Reads of a child's record are audited exactly once each and never conflict.

On a real nats-server: an application whose events are on NATS, read by many
threads at once, as the API's threadpool reads one child's case.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate, event

from shared.access_log import AccessLog, record_access, record_accesses, stored_lanes
from shared.eventstore import envelope as env
from shared.eventstore.factory import NatsFactory
from shared.request_context import RequestContext, acting_as
from shared.service_application import ServiceApplication

pytestmark = pytest.mark.integration


class Record(Aggregate):
    """Stands for a child's record, written while it is read."""

    @event("Opened")
    def __init__(self) -> None:
        self.notes = 0

    @event("Noted")
    def note(self) -> None:
        self.notes += 1


class Reads(ServiceApplication):
    name = "reads"


def new_app(nats_url: str, unique: str) -> Reads:
    return Reads(
        env={
            "PERSISTENCE_MODULE": "shared.eventstore",
            "NATS_URL": nats_url,
            "READS_NATS_STREAM": f"READS{unique.upper()}",
            "READS_NATS_SUBJECT_PREFIX": f"reads{unique}",
        }
    )


@pytest.fixture
def unique() -> str:
    return uuid4().hex[:10]


@pytest.fixture
def app(nats_url: str, unique: str) -> Iterator[Reads]:
    application = new_app(nats_url, unique)
    yield application
    application.close()


def lanes(app: Reads, child_id: str) -> list[list[Any]]:
    """The access log's stored messages, lane by lane, as the audit trail reads them."""
    factory = app.access_logs.factory
    assert isinstance(factory, NatsFactory)
    return stored_lanes(factory, child_id)


def log_messages(app: Reads, child_id: str) -> list[Any]:
    return sorted((m for lane in lanes(app, child_id) for m in lane), key=lambda m: m.seq)


def chains_intact(app: Reads, child_id: str) -> bool:
    """Each lane's hash chain holds, and each lane's versions count up from 1."""
    return all(
        env.verify_chain([(m.headers, m.data) for m in lane]) == []
        and [int(m.header(env.VERSION)) for m in lane] == list(range(1, len(lane) + 1))
        for lane in lanes(app, child_id)
    )


def reads_recorded(app: Reads, child_id: str) -> list[Any]:
    return [m for m in log_messages(app, child_id) if m.header(env.EVENT_TYPE).endswith("Read")]


def test_twenty_concurrent_reads_of_one_child_all_succeed_and_each_is_recorded_once(
    app: Reads,
) -> None:
    child = str(uuid4())
    readers = 20
    barrier = threading.Barrier(readers)
    errors: list[BaseException] = []

    def read(n: int) -> None:
        context = RequestContext(
            actor=f"sw.{n}", role="social_worker", purpose="case work", child_id=child
        )
        with acting_as(context):
            barrier.wait()
            try:
                record_access(app, child, what="case")
            except BaseException as e:  # reported below
                errors.append(e)

    threads = [threading.Thread(target=read, args=(n,)) for n in range(readers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    reads = reads_recorded(app, child)
    assert len(reads) == readers
    # One audit envelope a read, each with its own reader's facts.
    assert sorted(m.header(env.ACTOR) for m in reads) == sorted(f"sw.{n}" for n in range(readers))
    assert {m.header(env.ROLE) for m in reads} == {"social_worker"}
    assert {m.header(env.PURPOSE) for m in reads} == {"case work"}
    assert {m.header(env.CHILD) for m in reads} == {child}
    # One process writes on one lane: one log, its hash chain intact, so the
    # audit trail can vouch for it.
    (lane,) = lanes(app, child)
    assert env.verify_chain([(m.headers, m.data) for m in lane]) == []
    assert [int(m.header(env.VERSION)) for m in lane] == list(range(1, readers + 2))
    assert len(app.access_logs.reads_of(child)) == readers


def test_readers_in_two_processes_of_one_service_do_not_conflict(
    nats_url: str, unique: str
) -> None:
    """Two replicas of a service write one access log: they race on the server."""
    first, second = new_app(nats_url, unique), new_app(nats_url, unique)
    child = str(uuid4())
    errors: list[BaseException] = []
    per_thread = 5
    barrier = threading.Barrier(10)

    def read(app: Reads, n: int) -> None:
        with acting_as(actor=f"reader.{n}", role="auditor", purpose="audit"):
            barrier.wait()
            try:
                for _ in range(per_thread):
                    record_access(app, child, what="case")
            except BaseException as e:
                errors.append(e)

    try:
        threads = [
            threading.Thread(target=read, args=(first if n % 2 else second, n)) for n in range(10)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(reads_recorded(first, child)) == 10 * per_thread
        assert chains_intact(first, child)
    finally:
        first.close()
        second.close()


def test_a_list_read_after_another_process_read_one_of_its_children_is_recorded(
    nats_url: str, unique: str
) -> None:
    """The child whose log this process knows wrongly is not the first of the list."""
    first, second = new_app(nats_url, unique), new_app(nats_url, unique)
    children = [str(uuid4()) for _ in range(3)]
    try:
        with acting_as(actor="reader.1", role="auditor", purpose="audit"):
            record_accesses(first, children, what="children.list")
            record_access(second, children[2], what="case")  # `first` does not know of it
            record_accesses(first, children, what="children.list")
        assert [len(reads_recorded(first, child)) for child in children] == [2, 2, 3]
        assert chains_intact(first, children[2])
    finally:
        first.close()
        second.close()


def test_two_processes_that_meet_on_a_lane_part_and_the_log_keeps_every_read(
    nats_url: str, unique: str
) -> None:
    """The one that finds the other has written first moves to another lane."""
    first, second = new_app(nats_url, unique), new_app(nats_url, unique)
    child = str(uuid4())
    first.access_logs.writer.lane = second.access_logs.writer.lane = 3
    try:
        with acting_as(actor="reader.1", role="auditor", purpose="audit"):
            record_access(first, child, what="case")  # lane 3: opened, read
            record_access(second, child, what="case")  # lane 3: read, after the head
            assert (first.access_logs.writer.lane, second.access_logs.writer.lane) == (3, 3)
            record_access(first, child, what="case")  # lane 3 has moved on: another lane
            record_access(second, child, what="case")
            record_access(first, child, what="case")
        assert second.access_logs.writer.lane == 3
        assert first.access_logs.writer.lane != 3
        assert [len(lane) for lane in lanes(first, child)] == [4, 3]  # opened, then reads
        assert chains_intact(first, child)
        # Every read, from both lanes, in the order made.
        assert len(second.access_logs.reads_of(child)) == 5
        timestamps = [read.timestamp for read in second.access_logs.reads_of(child)]
        assert timestamps == sorted(timestamps) and len(set(timestamps)) == 5
    finally:
        first.close()
        second.close()


def test_reads_and_writes_of_one_child_do_not_conflict(app: Reads) -> None:
    record = Record()
    app.save(record)
    child = str(record.id)
    errors: list[BaseException] = []
    barrier = threading.Barrier(9)

    def read() -> None:
        barrier.wait()
        try:
            for _ in range(5):
                record_access(app, child, what="case")
        except BaseException as e:
            errors.append(e)

    def write() -> None:
        barrier.wait()
        try:
            for _ in range(10):
                current: Record = app.repository.get(record.id)
                current.note()
                app.save(current)
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=read) for _ in range(8)] + [threading.Thread(target=write)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(reads_recorded(app, child)) == 8 * 5
    assert app.repository.get(record.id).notes == 10


def test_a_list_of_children_is_one_read_of_each_in_one_save(app: Reads) -> None:
    children = [str(uuid4()) for _ in range(5)]
    record_access(app, children[0], what="case")  # one log exists already
    last_before = app.access_logs.recorder.max_notification_id() or 0
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def list_them(n: int) -> None:
        with acting_as(actor=f"tm.{n}", role="team_manager", purpose="supervision"):
            barrier.wait()
            try:
                # Repeated and unordered ids: each child is read once a list.
                record_accesses(app, [*reversed(children), children[1]], what="children list")
            except BaseException as e:
                errors.append(e)

    threads = [threading.Thread(target=list_them, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(reads_recorded(app, children[0])) == 1 + 8
    for child in children[1:]:
        assert len(reads_recorded(app, child)) == 8
    # Each list's reads were stored together, in one atomic batch: nothing
    # of another list's between the first and last of them.
    actor_at = {m.seq: m.header(env.ACTOR) for child in children for m in log_messages(app, child)}
    by_actor: dict[str, list[int]] = {}
    for seq, actor in actor_at.items():
        if seq > last_before:
            by_actor.setdefault(actor, []).append(seq)
    assert sorted(by_actor) == sorted(f"tm.{n}" for n in range(8))
    for actor, seqs in by_actor.items():
        between = {actor_at[s] for s in range(min(seqs), max(seqs) + 1) if s in actor_at}
        assert between == {actor}
        assert max(seqs) - min(seqs) + 1 == len(seqs)


def test_an_empty_list_records_nothing(app: Reads) -> None:
    before = app.access_logs.recorder.max_notification_id()
    record_accesses(app, [], what="children list")
    assert app.access_logs.recorder.max_notification_id() == before


def test_reads_are_kept_beside_the_services_events_not_among_them(app: Reads) -> None:
    """Projection runners and the relay follow the service's events: reads never reach them."""
    events_before = app.recorder.max_notification_id() or 0
    child = str(uuid4())
    record_access(app, child, what="case")
    assert (app.recorder.max_notification_id() or 0) == events_before
    logs = app.access_logs.factory
    assert isinstance(logs, NatsFactory) and isinstance(app.factory, NatsFactory)
    assert logs.stream == f"{app.factory.stream}_READS"
    assert len(reads_recorded(app, child)) == 1


def test_a_read_is_dated_today_in_england(app: Reads, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date

    import shared.access_log as access_log

    monkeypatch.setattr(access_log, "today", lambda: date(2031, 1, 2))
    child = str(uuid4())
    record_access(app, child, what="case")
    (read,) = reads_recorded(app, child)
    assert read.header(env.EFFECTIVE_DATE) == "2031-01-02"
    assert isinstance(AccessLog.create_id(child), UUID)
