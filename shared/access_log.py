"""Every read of a child's record is itself recorded (DESIGN.md, "Security").

Each service keeps one `AccessLog` per child in a stream of its own; a read
appends `RecordRead` with what was read, and the audit envelope in the event's
headers says who, when, in what role, on whose behalf and why (from the
request context), so the corporate-parent audit trail shows reads beside
writes.

A read never fails because another reads, and costs the same however often
the child was read before. A child's log is written in lanes
(docs/adr/0022-access-log-lanes.md): each process of a service writes on one
lane, subject `<prefix>_reads.events.<lane>.<log id>`, appending at that
lane's next version without replaying it; reads of one child in one process
take turns. Two processes on one lane race for its next version: the loser
appends after the winner and moves to another lane. Each lane is hash-chained
in order; the audit trail reads all lanes of a child by one wildcard.
"""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import (
    AggregateRecorder,
    IntegrityError,
    JSONTranscoder,
    Mapper,
)

from shared.dates import today
from shared.eventstore import envelope as env
from shared.eventstore.envelope import protect_records
from shared.eventstore.factory import NatsFactory
from shared.eventstore.keyring import keys_bucket
from shared.eventstore.reader import StoredMessage
from shared.eventstore.recorders import NatsAggregateRecorder
from shared.transcodings import DateAsISO

if TYPE_CHECKING:
    from shared.service_application import ServiceApplication

_NAMESPACE = uuid5(NAMESPACE_URL, "https://belonging.example/access-log")

#: Lanes a service's processes spread their writing over. Reading needs no
#: count (one wildcard), so it may change; more lanes, fewer processes meeting.
LANES = 16

# Tries of one read when other processes keep taking the lane's next version.
_ATTEMPTS = 30


class AccessLog(Aggregate):
    """The reads of one child's record held by one service (on one lane)."""

    @event("Opened")
    def __init__(self, child_id: str) -> None:
        self.child_id = child_id

    @staticmethod
    def create_id(child_id: str) -> UUID:
        return uuid5(_NAMESPACE, str(child_id))

    @dataclass(frozen=True)  # already one (the library's metaclass); said for mypy
    class RecordRead(Aggregate.Event):
        what: str
        effective_date: date

    @event(RecordRead)
    def record_read(self, what: str, effective_date: date) -> None:
        """A read is its event; the log keeps no state of it (read them: `AccessLogs.reads_of`)."""


class AccessLogs(Application[UUID]):
    """A service's access logs, in a stream of their own beside the service's events.

    Reads outnumber writes many times over; kept apart, they never pass
    through the service's projection runners or its integration relay, and a
    child's record and its reads never share a version. Same cipher,
    compressor and audit envelope as the service's events.
    """

    env: ClassVar[dict[str, str]] = {"MAPPER_TOPIC": "shared.eventstore.envelope:EnvelopeMapper"}

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def construct_mapper(self) -> Mapper[UUID]:
        """The envelope mapper, sealing each child's records under their own keys."""
        mapper = super().construct_mapper()
        protect_records(mapper, self.factory, self.env)
        return mapper

    @classmethod
    def beside(cls, app: Application[UUID]) -> AccessLogs:
        """The access logs of `app`: stream `<STREAM>_READS`, subjects `<prefix>_reads.>`."""
        env = {str(k): str(v) for k, v in app.env.items()}
        factory = app.factory
        if isinstance(factory, NatsFactory):
            env.setdefault("KEY_BUCKET", keys_bucket(factory.stream))  # one bucket a service
            env["NATS_STREAM"] = f"{factory.stream}_READS"
            env["NATS_SUBJECT_PREFIX"] = f"{factory.subject_prefix}_reads"
        return cls(env=env)

    @cached_property
    def writer(self) -> _Writer:
        """This process's writing of reads: its lane and what it knows of the logs on it."""
        return _Writer(random.randrange(LANES))

    def lane_recorder(self, lane: int) -> AggregateRecorder:
        """Where reads written on `lane` go (on the in-memory store: one lane, the recorder)."""
        if not isinstance(self.factory, NatsFactory):
            return self.recorder
        return self._lane_recorders[lane % LANES]

    @cached_property
    def _lane_recorders(self) -> list[AggregateRecorder]:
        factory = self.factory
        assert isinstance(factory, NatsFactory)
        return [
            NatsAggregateRecorder(
                factory.connection,
                factory.reader,
                factory.stream,
                factory.subject_prefix,
                kind=f"events.{lane}",
            )
            for lane in range(LANES)
        ]

    def reads_of(self, child_id: str) -> list[AccessLog.RecordRead]:
        """Every read of the child recorded here, on every lane, oldest first."""
        if isinstance(self.factory, NatsFactory):
            lanes = stored_lanes(self.factory, child_id)
            stored = [env.stored_event(message) for lane in lanes for message in lane]
        else:
            stored = list(self.recorder.select_events(AccessLog.create_id(child_id)))
        events = [self.mapper.to_domain_event(s) for s in stored]
        reads = [e for e in events if isinstance(e, AccessLog.RecordRead)]
        return sorted(reads, key=lambda e: e.timestamp)


def stored_lanes(factory: NatsFactory, child_id: str) -> list[list[StoredMessage]]:
    """The child's access log as stored: each lane's messages, in order (one hash chain each).

    `factory`: the access logs' (`AccessLogs.factory`).
    """
    subject = f"{factory.subject_prefix}.events.*.{AccessLog.create_id(child_id)}"
    lanes: dict[str, list[StoredMessage]] = {}
    for message in factory.reader.all_on_subject(factory.stream, subject):
        lanes.setdefault(message.subject, []).append(message)
    return list(lanes.values())


class _Writer:
    """One process's writing of reads: its lane, a lock per child and the logs' versions.

    The versions are what this process last wrote (or read) on its lane; a
    log another process has written since fails the save with IntegrityError,
    which forgets the version (the next try reads the lane's head) and moves
    this process to another lane, away from the one it met there.
    """

    _STRIPES = 1024
    _MAX_VERSIONS = 100_000

    def __init__(self, lane: int) -> None:
        self.lane = lane
        self._stripes = [threading.Lock() for _ in range(self._STRIPES)]
        self._versions: OrderedDict[tuple[int, UUID], int] = OrderedDict()
        self._guard = threading.Lock()

    def locks(self, log_ids: Iterable[UUID]) -> list[threading.Lock]:
        """The locks of these logs, in one order for everyone (no deadlock)."""
        return [self._stripes[i] for i in sorted({hash(x) % self._STRIPES for x in log_ids})]

    def version(self, lane: int, log_id: UUID) -> int | None:
        with self._guard:
            return self._versions.get((lane, log_id))

    def remember(self, lane: int, log_id: UUID, version: int) -> None:
        with self._guard:
            self._versions[lane, log_id] = version
            self._versions.move_to_end((lane, log_id))
            if len(self._versions) > self._MAX_VERSIONS:
                self._versions.popitem(last=False)

    def met_another_on(self, lane: int, log_ids: Iterable[UUID]) -> None:
        """Another writer took a version on `lane`: forget it there and write elsewhere."""
        self.forget(lane, log_ids)
        with self._guard:
            if self.lane == lane:
                self.lane = (lane + random.randrange(1, LANES)) % LANES

    def forget(self, lane: int, log_ids: Iterable[UUID]) -> None:
        with self._guard:
            for log_id in log_ids:
                self._versions.pop((lane, log_id), None)


def _head_version(recorder: AggregateRecorder, log_id: UUID) -> int:
    """The log's last version on a lane (0: none yet): one look at its head."""
    last = recorder.select_events(log_id, desc=True, limit=1)
    return last[0].originator_version if last else 0


def record_access(service: ServiceApplication[Any], child_id: str, what: str) -> None:
    """Appends a read of one child's record to its access log."""
    record_accesses(service, [child_id], what)


def record_accesses(service: ServiceApplication[Any], child_ids: Iterable[str], what: str) -> None:
    """Appends a read to each child's access log, all in one atomic save.

    A list of children (register rows with dates of birth) is a read of each
    of their records: one event each, written together in one batch.
    """
    wanted = list(dict.fromkeys(str(c) for c in child_ids))
    if not wanted:
        return
    logs = service.access_logs
    log_ids = [AccessLog.create_id(child_id) for child_id in wanted]
    writer = logs.writer
    effective_date = today()
    with ExitStack() as held:
        for lock in writer.locks(log_ids):
            held.enter_context(lock)
        for attempt in range(_ATTEMPTS):
            lane = writer.lane
            recorder = logs.lane_recorder(lane)
            events: list[Any] = []
            versions: list[int] = []
            for child_id, log_id in zip(wanted, log_ids, strict=True):
                version = writer.version(lane, log_id)
                if version is None:
                    version = _head_version(recorder, log_id)
                if version == 0:
                    log = AccessLog(child_id=child_id)
                    log.record_read(what=what, effective_date=effective_date)
                    events.extend(log.collect_events())
                    versions.append(log.version)
                else:
                    events.append(
                        AccessLog.RecordRead(
                            originator_id=log_id,
                            originator_version=version + 1,
                            timestamp=AccessLog.RecordRead.create_timestamp(),
                            what=what,
                            effective_date=effective_date,
                        )
                    )
                    versions.append(version + 1)
            try:
                recorder.insert_events([logs.mapper.to_stored_event(e) for e in events])
            except IntegrityError:
                # Another process writes on this lane and read one of these
                # children first: move off the lane and try again.
                writer.met_another_on(lane, log_ids)
                time.sleep(random.uniform(0, 0.001 * attempt))
                continue
            except BaseException:
                writer.forget(lane, log_ids)  # stored or not: the head is read next time
                raise
            for log_id, version in zip(log_ids, versions, strict=True):
                writer.remember(lane, log_id, version)
            return
    raise IntegrityError(f"could not record the reads of {len(wanted)} children")
