"""What every service's `eventsourcing` Application has in common, and the one command cycle.

Dates are stored as ISO dates; the mapper is `EnvelopeMapper` (the audit
envelope lifts `effective_date` and `child_id` before the body is encrypted).
Persistence, cipher and compressor come from the environment (`ServiceSettings.
application_env`). `execute` is the command cycle every write goes through;
reads `load` the aggregate each process keeps up to date (`RecordRepository`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from copy import deepcopy
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, ClassVar, Generic, TypeVar, cast
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    LRUCache,
    Repository,
    project_aggregate,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Mapper, Recording

from shared.access_log import AccessLog, AccessLogs
from shared.commands import Command
from shared.contracts import sealing
from shared.domain_errors import NotFound, RuleBroken, VersionConflict
from shared.eventstore.envelope import protect_records
from shared.eventstore.keyring import KeyDestroyed, KeyRing
from shared.read_your_writes import Published
from shared.settings import CIPHER_TOPIC as CIPHER_TOPIC  # re-exported
from shared.transcodings import DateAsISO

A = TypeVar("A", bound=Aggregate)


class RecordRepository(Repository[UUID]):
    """The repository, keeping each child's aggregate as it last stood (`latest`).

    Rebuilding a child's aggregate from every event on every read costs in
    proportion to the child's history: years in care are hundreds of events.
    So each process keeps the aggregates it rebuilt (up to `cache_size`) and
    brings one up to date by applying only the events recorded since, which it
    asks the store for on every read (other processes write too).

    A kept aggregate is shared by the readers and never changed: it is replaced
    by an updated copy. `get`, which commands and the library use, answers
    with a copy of its own. A kept aggregate is decoded, personal data in
    clear, so it is served only while its record's key stands: an erasure
    takes effect at once in the erasing process, and within `KEY_CACHE_SECONDS`
    in the others, as it does for the events themselves.
    """

    def __init__(self, application: Application[UUID], cache_size: int) -> None:
        super().__init__(event_store=application.events, snapshot_store=application.snapshots)
        self.kept: LRUCache[UUID, Aggregate] | None = LRUCache(cache_size) if cache_size else None
        self._keeping = threading.Lock()
        keyring = getattr(application.mapper, "keyring", None)
        self.keyring: KeyRing | None = keyring if isinstance(keyring, KeyRing) else None

    def get(self, aggregate_id: UUID, *, version: int | None = None, **kwargs: Any) -> Any:
        """The aggregate (at `version`), a copy the caller may change."""
        if self.kept is None or version is not None or kwargs:
            return super().get(aggregate_id, version=version, **kwargs)
        return deepcopy(self.latest(aggregate_id))

    def latest(self, aggregate_id: UUID) -> Any:
        """The aggregate as it stands, shared with other readers: never change it.

        `AggregateNotFoundError` if nothing is recorded; `KeyDestroyed` once erased.
        """
        if self.kept is None:
            return super().get(aggregate_id)
        try:
            kept = self.kept.get(aggregate_id)
        except KeyError:
            rebuilt: Aggregate = super().get(aggregate_id)
            self.keep(rebuilt)
            return rebuilt
        if self.keyring is not None and self.keyring.is_destroyed(str(aggregate_id)):
            self.forget(aggregate_id)
            raise KeyDestroyed(str(aggregate_id))
        since = list(self.event_store.get(originator_id=aggregate_id, gt=kept.version))
        if not since:
            return kept
        updated = project_aggregate(deepcopy(kept), since)
        if updated is None:  # a discarded aggregate
            self.forget(aggregate_id)
            raise AggregateNotFoundError(aggregate_id)
        self.keep(updated)
        return updated

    def keep(self, aggregate: Aggregate) -> None:
        """Keeps `aggregate`, as stored and from now on unchanged, unless a newer one is kept."""
        if self.kept is None:
            return
        with self._keeping:
            try:
                kept: Aggregate | None = self.kept.get(aggregate.id)
            except KeyError:
                kept = None
            if kept is None or kept.version < aggregate.version:
                self.kept.put(aggregate.id, aggregate)

    def forget(self, aggregate_id: UUID) -> None:
        """Drops the kept aggregate, if there is one (its record is erased)."""
        if self.kept is not None:
            with self._keeping:
                try:
                    self.kept.get(aggregate_id, evict=True)
                except KeyError:
                    pass


class ServiceApplication(Application[UUID], Generic[A]):
    """A service's application: one aggregate per child, changed by commands.

    Subclasses say how a child's aggregate is found (`aggregate_id`), whether a
    command may start one (`new_aggregate`) and what else the domain needs to
    decide (`context`, e.g. what other services have told this one).
    """

    env: ClassVar[dict[str, str]] = {"MAPPER_TOPIC": "shared.eventstore.envelope:EnvelopeMapper"}
    repository: RecordRepository

    #: Saves tried when other writers keep winning the race and the caller gave no If-Match.
    save_attempts: ClassVar[int] = 3

    #: What the service's relay publishes, set by the lifecycle when it runs one: each
    #: save notes the position of what it published for the request's answer
    #: (`Belonging-Position`, docs/adr/0019-read-your-writes.md).
    published: Published | None = None

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        recordings = super().save(*objs, **kwargs)
        if self.published is not None:
            self.published.note(recordings)
        return recordings

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def construct_mapper(self) -> Mapper[UUID]:
        """The envelope mapper, sealing each child's records under their own keys."""
        mapper = super().construct_mapper()
        protect_records(mapper, self.factory, self.env)
        return mapper

    def construct_repository(self) -> RecordRepository:
        """`RecordRepository`, keeping `AGGREGATE_CACHE_MAXSIZE` aggregates (none if unset)."""
        return RecordRepository(self, int(self.env.get(self.AGGREGATE_CACHE_MAXSIZE) or 0))

    @cached_property
    def access_logs(self) -> AccessLogs:
        """Where reads of the children's records are recorded: beside, not among, the events."""
        return AccessLogs.beside(self)

    def close(self) -> None:
        if "access_logs" in vars(self):
            self.access_logs.close()
        super().close()

    # ------------------------------------------------------------- erasure

    def records_of(self, child_id: UUID) -> list[UUID]:
        """The child's records in this service's stream (default: the child's aggregate)."""
        return [self.aggregate_id(child_id)]

    def erase_records(self, child_id: UUID) -> None:
        """Destroys the keys of the child's records here, its access log and integration data.

        Idempotent. Without record keys (no CIPHER_KEY) nothing can be erased: refused.
        """
        keyring = getattr(self.mapper, "keyring", None)
        log_keyring = getattr(self.access_logs.mapper, "keyring", None)
        if keyring is None or log_keyring is None:
            raise RuleBroken("records cannot be erased: this service stores them unencrypted")
        for record in self.records_of(child_id):
            keyring.destroy(str(record))
            self.repository.forget(record)
        log_keyring.destroy(str(AccessLog.create_id(str(child_id))))
        sealing.destroy_child_keys(str(child_id))

    # ------------------------------------------------------------- per service

    def aggregate_id(self, child_id: UUID) -> UUID:
        """The id of the child's aggregate in this service (default: the child's id)."""
        return child_id

    def new_aggregate(self, child_id: UUID) -> A | None:
        """An empty aggregate for a child with none yet, or None if a command cannot start one."""
        return None

    def not_found(self, child_id: UUID) -> NotFound:
        return NotFound(f"nothing is recorded for child {child_id}")

    def context(self, child_id: UUID, command: Command) -> Mapping[str, Any]:
        """Further keyword arguments the domain method needs (default: none)."""
        return {}

    # ------------------------------------------------------------- the cycle

    def load(self, child_id: UUID) -> A:
        """The child's aggregate as it stands, for reading; `not_found` if nothing was recorded.

        Shared with other readers (`RecordRepository.latest`): never change it.
        A command changes a copy of its own, in `execute`.
        """
        try:
            aggregate: A = self.repository.latest(self.aggregate_id(child_id))
        except AggregateNotFoundError:
            raise self.not_found(child_id) from None
        return aggregate

    def load_as_recorded(self, child_id: UUID, recorded_by: datetime | None = None) -> A:
        """The child's aggregate as it was recorded by `recorded_by` (recorded time).

        Replays only the events recorded by then, so a backdated entry or a
        correction made later does not rewrite what the record said at the
        time. A naive datetime is taken as UTC; `not_found` if nothing was
        recorded by then.
        """
        if recorded_by is None:
            return self.load(child_id)
        if recorded_by.tzinfo is None:
            recorded_by = recorded_by.replace(tzinfo=UTC)
        aggregate_id = self.aggregate_id(child_id)
        version: int | None = None
        # Events are stored in version order; their timestamps are the recorded times.
        for domain_event in self.events.get(aggregate_id):
            if cast("Aggregate.Event", domain_event).timestamp > recorded_by:
                break
            version = domain_event.originator_version
        if version is None:
            raise self.not_found(child_id)
        aggregate: A = self.repository.get(aggregate_id, version=version)
        return aggregate

    def has_record(self, child_id: UUID) -> bool:
        """Whether anything is recorded for the child here: one look at the last event."""
        return bool(self.recorder.select_events(self.aggregate_id(child_id), desc=True, limit=1))

    def execute(
        self,
        child_id: UUID,
        command: Command,
        expected_version: int | None = None,
        *,
        path: Mapping[str, Any] | None = None,
    ) -> int:
        """Run `command` on the child's aggregate and save atomically; return the new version.

        With `expected_version` (If-Match), a caller whose version is stale gets
        `VersionConflict`, unless their command is already in the record (a
        retry after a lost response): that is answered with the current
        version and records nothing. Without it, the command is checked against
        the record as it stands when saved: a save that loses a race is run
        again on the newer history, every rule checked afresh; after
        `save_attempts` lost races the caller gets `IntegrityError` (409).
        """
        arguments = {**command.arguments(), **_renamed(path or {}, command.path_names)}
        arguments.update(self.context(child_id, command))
        loaded = 0
        for _ in range(self.save_attempts):
            aggregate = self._load_or_start(child_id)
            loaded = _saved_version(aggregate)
            if expected_version is not None and loaded != expected_version:
                return self._done_before(aggregate, expected_version, command, arguments)
            before = len(aggregate.pending_events)
            getattr(aggregate, command.handler)(**arguments)
            if len(aggregate.pending_events) == before:
                return loaded  # already recorded: the domain found its own earlier effect
            try:
                self.save(aggregate)
            except IntegrityError:
                if expected_version is not None:
                    latest = self._load_or_start(child_id)
                    return self._done_before(latest, expected_version, command, arguments)
                continue
            # Saved, it is what a replay of its events gives: the next read need not replay.
            self.repository.keep(aggregate)
            return aggregate.version
        raise IntegrityError(
            f"{self.save_attempts} saves for child {child_id} lost races from version {loaded}"
        )

    def _load_or_start(self, child_id: UUID) -> A:
        """The child's aggregate, a copy this command may change; or a new one it may start."""
        try:
            aggregate: A = self.repository.get(self.aggregate_id(child_id))
            return aggregate
        except AggregateNotFoundError:
            started = self.new_aggregate(child_id)
            if started is None:
                raise self.not_found(child_id) from None
            return started

    @staticmethod
    def _done_before(
        aggregate: A, expected: int, command: Command, arguments: Mapping[str, Any]
    ) -> int:
        """The current version if `command` is already in the record, else `VersionConflict`."""
        actual = _saved_version(aggregate)
        before = len(aggregate.pending_events)
        try:
            getattr(aggregate, command.handler)(**arguments)
        except (RuleBroken, NotFound):
            raise VersionConflict(expected, actual) from None
        if len(aggregate.pending_events) != before or actual == 0:
            raise VersionConflict(expected, actual)
        return actual


def _saved_version(aggregate: Aggregate) -> int:
    """The version stored, not counting events pending (0 for a new aggregate)."""
    return aggregate.version - len(aggregate.pending_events)


def _renamed(path: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    return {names.get(key, key): value for key, value in path.items()}
