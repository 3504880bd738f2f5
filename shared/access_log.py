"""Every read of a child's record is itself recorded (DESIGN.md, "Security").

Each service keeps one `AccessLog` aggregate per child in its own stream; a
read appends `RecordRead` with what was read, and the audit envelope in the
event's headers says who, when, in what role, on whose behalf and why (from
the request context), so the corporate-parent audit trail shows reads beside
writes.

A read never fails because another reads, and costs the same however often
the child was read before: it appends at the log's next version without
replaying the log, and reads of one child in one process take turns, so only
another process can take that version first (then the read appends after
it). The events stay on the log's one subject, hash-chained in order.
"""

from __future__ import annotations

import random
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Mapper

from shared.dates import today
from shared.eventstore.envelope import protect_records
from shared.eventstore.factory import NatsFactory
from shared.eventstore.keyring import keys_bucket
from shared.transcodings import DateAsISO

if TYPE_CHECKING:
    from shared.service_application import ServiceApplication

_NAMESPACE = uuid5(NAMESPACE_URL, "https://belonging.example/access-log")

# Tries of one read when other processes keep taking the log's next version.
_ATTEMPTS = 30


class AccessLog(Aggregate):
    """The reads of one child's record held by one service."""

    @event("Opened")
    def __init__(self, child_id: str) -> None:
        self.child_id = child_id
        self.reads = 0

    @staticmethod
    def create_id(child_id: str) -> UUID:
        return uuid5(_NAMESPACE, str(child_id))

    @dataclass(frozen=True)  # already one (the library's metaclass); said for mypy
    class RecordRead(Aggregate.Event):
        what: str
        effective_date: date

    @event(RecordRead)
    def record_read(self, what: str, effective_date: date) -> None:
        self.reads += 1


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


class _Writer:
    """One recorder's access-log writing: a lock per child and the logs' versions.

    The versions are what this process last wrote (or read); a log another
    process has written since fails the save with IntegrityError, which
    forgets the version so that the next try reads the log's head.
    """

    _STRIPES = 1024
    _MAX_VERSIONS = 100_000

    def __init__(self) -> None:
        self._stripes = [threading.Lock() for _ in range(self._STRIPES)]
        self._versions: OrderedDict[UUID, int] = OrderedDict()
        self._guard = threading.Lock()

    def locks(self, log_ids: Iterable[UUID]) -> list[threading.Lock]:
        """The locks of these logs, in one order for everyone (no deadlock)."""
        return [self._stripes[i] for i in sorted({hash(x) % self._STRIPES for x in log_ids})]

    def version(self, log_id: UUID) -> int | None:
        with self._guard:
            return self._versions.get(log_id)

    def remember(self, log_id: UUID, version: int) -> None:
        with self._guard:
            self._versions[log_id] = version
            self._versions.move_to_end(log_id)
            if len(self._versions) > self._MAX_VERSIONS:
                self._versions.popitem(last=False)

    def forget(self, log_ids: Iterable[UUID]) -> None:
        with self._guard:
            for log_id in log_ids:
                self._versions.pop(log_id, None)


_writers: weakref.WeakKeyDictionary[Any, _Writer] = weakref.WeakKeyDictionary()
_writers_guard = threading.Lock()


def _writer(app: Application[UUID]) -> _Writer:
    with _writers_guard:
        writer = _writers.get(app.recorder)
        if writer is None:
            writer = _writers[app.recorder] = _Writer()
        return writer


def _head_version(app: Application[UUID], log_id: UUID) -> int:
    """The log's last version in the store (0: no log yet): one look at its head."""
    last = app.recorder.select_events(log_id, desc=True, limit=1)
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
    app = service.access_logs
    log_ids = [AccessLog.create_id(child_id) for child_id in wanted]
    writer = _writer(app)
    effective_date = today()
    with ExitStack() as held:
        for lock in writer.locks(log_ids):
            held.enter_context(lock)
        for attempt in range(_ATTEMPTS):
            events: list[Any] = []
            versions: list[int] = []
            for child_id, log_id in zip(wanted, log_ids, strict=True):
                version = writer.version(log_id)
                if version is None:
                    version = _head_version(app, log_id)
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
                app.save(*events)
            except IntegrityError:
                # Another process of this service read one of these children
                # first: look at the logs' heads again and append after them.
                writer.forget(log_ids)
                time.sleep(random.uniform(0, 0.001 * (attempt + 1)))
                continue
            except BaseException:
                writer.forget(log_ids)  # stored or not: the head is read next time
                raise
            for log_id, version in zip(log_ids, versions, strict=True):
                writer.remember(log_id, version)
            return
    raise IntegrityError(f"could not record the reads of {len(wanted)} children")
