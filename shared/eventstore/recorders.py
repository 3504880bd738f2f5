"""`eventsourcing` recorders that keep events in NATS JetStream.

Aggregate, application, tracking and process recorders: one stream per
application, one subject per aggregate, the stream sequence as notification
id, and optimistic concurrency by the expected last sequence of each
aggregate's subject. Layout and concurrency:
docs/adr/0003-event-store-layout-and-concurrency.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    IntegrityError,
    ListenNotifySubscription,
    Notification,
    OperationalError,
    ProcessRecorder,
    StoredEvent,
    Subscription,
    Tracking,
    TrackingRecorder,
)

from shared.eventstore import envelope as env
from shared.eventstore.caches import Head, Heads, Histories, History
from shared.eventstore.connection import (
    EXPECTED_LAST_SUBJECT_SEQUENCE,
    MAX_BATCH,
    MSG_ID,
    NatsConnection,
    NothingSent,
    Outgoing,
    WrongLastSequence,
)
from shared.eventstore.group_commit import GroupCommit
from shared.eventstore.reader import StoredMessage, StreamReader

_SAFE_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,200}")
_RETRIES = 5
_SLACK = 0.5  # seconds a save or get may take beyond NATS_TIMEOUT, all told


def subject_token(originator_id: UUID | str) -> tuple[str, bool]:
    """A NATS subject token for an aggregate id, and whether the id is a UUID.

    Ids that are not safe subject tokens are hex-encoded behind a `%`, which no
    safe token contains, so two ids never share a subject.
    """
    if isinstance(originator_id, UUID):
        return str(originator_id), True
    text = str(originator_id)
    if _SAFE_TOKEN.fullmatch(text):
        return text, False
    return "%" + text.encode().hex(), False


def _head_of(message: StoredMessage) -> Head:
    return Head(
        version=int(message.header(env.VERSION) or 0),
        seq=message.seq,
        integrity=message.header(env.INTEGRITY) or env.GENESIS,
    )


_new = object.__new__


def _notification(
    seq: int, originator_id: UUID | str, version: int, topic: str, state: bytes
) -> Notification:
    """Notification(...) for the notification log's hot loop, at a third of the cost.

    The library's Notification is a frozen dataclass, whose generated
    __init__ sets each field through object.__setattr__; filling the
    instance's __dict__ makes the same object (tests/shared/
    test_eventstore_guarantees.py compares the two) without that detour.
    """
    notification = _new(Notification)
    fields = notification.__dict__
    fields["originator_id"] = originator_id
    fields["originator_version"] = version
    fields["topic"] = topic
    fields["state"] = state
    fields["id"] = seq
    return notification


class NatsAggregateRecorder(AggregateRecorder):
    """Events of aggregates, one subject each, in one JetStream stream."""

    def __init__(
        self,
        connection: NatsConnection,
        reader: StreamReader,
        stream: str,
        subject_prefix: str,
        kind: str = "events",
    ) -> None:
        self.connection = connection
        self.reader = reader
        self.stream = stream
        self.subject_prefix = subject_prefix
        self.events_subject = f"{subject_prefix}.{kind}"
        self.heads = Heads()
        self.histories = Histories()
        self.group_commit = GroupCommit(connection)

    def subject_for(self, originator_id: UUID | str) -> str:
        return f"{self.events_subject}.{subject_token(originator_id)[0]}"

    # -- reads --------------------------------------------------------------

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        with self.connection.deadline(self.connection.timeout + _SLACK):
            return self._select_events(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)

    def _select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None,
        lte: int | None,
        desc: bool,
        limit: int | None,
    ) -> Sequence[StoredEvent]:
        token, _ = subject_token(originator_id)
        subject = f"{self.events_subject}.{token}"
        if desc and limit == 1 and lte is None:
            last = self.reader.last(self.stream, subject)
            if last is None:
                return []
            self.heads.put(token, _head_of(last))
            event = env.stored_event(last, originator_id)
            return [event] if gt is None or event.originator_version > gt else []
        events = list(self._history(token, subject, originator_id))
        if gt is not None:
            events = [e for e in events if e.originator_version > gt]
        if lte is not None:
            events = [e for e in events if e.originator_version <= lte]
        if desc:
            events.reverse()
        if limit is not None:
            events = events[:limit]
        return events

    def _history(
        self, token: str, subject: str, originator_id: UUID | str
    ) -> tuple[StoredEvent, ...]:
        """Every stored event of one aggregate, from the cache when still current."""
        key = (token, isinstance(originator_id, UUID))
        cached = self.histories.get(key)
        if cached is None:
            # Not read lately: one batched read of the whole history.
            messages = self.reader.all_on_subject(self.stream, subject)
            if not messages:
                return ()
            self.heads.put(token, _head_of(messages[-1]))
            events = tuple(env.stored_event(m, originator_id) for m in messages)
            self.histories.put(key, History(messages[-1].seq, events))
            return events
        last = self.reader.last(self.stream, subject)
        if last is None:
            self.histories.drop(key)
            return ()
        self.heads.put(token, _head_of(last))
        if cached.last_seq == last.seq:
            return cached.events
        known = cached if cached.last_seq < last.seq else None
        newer = self.reader.all_on_subject(
            self.stream, subject, after_seq=known.last_seq if known else 0, through=last.seq
        )
        events = (known.events if known else ()) + tuple(
            env.stored_event(m, originator_id) for m in newer
        )
        if newer:
            self.histories.put(key, History(newer[-1].seq, events))
            self.heads.put(token, _head_of(newer[-1]))
        return events

    # -- writes -------------------------------------------------------------

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        self._insert(stored_events, None)
        return None

    def _insert(self, stored_events: Sequence[StoredEvent], tracking: Tracking | None) -> list[int]:
        """Writes events (and a tracking record) atomically; returns their sequences.

        Messages go in the order of `stored_events`, so the sequences returned
        pair with the events given, as the library expects.
        """
        groups = self._group(stored_events)
        if not groups and tracking is None:
            return []
        # The whole save, a look at what was stored included, in one timeout.
        with self.connection.deadline(self.connection.timeout + _SLACK):
            return self._insert_within(stored_events, tracking, groups)

    def _insert_within(
        self,
        stored_events: Sequence[StoredEvent],
        tracking: Tracking | None,
        groups: dict[str, list[StoredEvent]],
    ) -> list[int]:
        for _attempt in range(_RETRIES):
            messages, expectations = self._plan(stored_events)
            if tracking is not None:
                messages.append(self._tracking_message(tracking))
            if len(messages) == 1 and tracking is None:
                # Plain publish: JetStream also drops a duplicate of this id
                # within the stream's duplicate window.
                messages[0].headers[MSG_ID] = messages[0].headers[env.ID]
            try:
                last_seq = self.group_commit.publish(messages)
            except WrongLastSequence:
                recognised = self._recognise(groups, expectations)
                if recognised is not None:
                    return recognised
                continue  # our knowledge of the heads was old; it is fresh now
            except NothingSent:
                raise  # never sent: certainly not stored
            except OperationalError:
                # The write may or may not have been stored (e.g. its ack was
                # lost). If it was, the stored events are ours: say so.
                try:
                    recognised = self._recognise(groups, expectations, strict=False)
                except (OperationalError, IntegrityError):
                    recognised = None
                if recognised is not None:
                    return recognised
                raise
            first_seq = last_seq - len(messages) + 1
            for offset, (event, message) in enumerate(zip(stored_events, messages, strict=False)):
                self.heads.put(
                    message.subject.rpartition(".")[2],
                    Head(
                        event.originator_version, first_seq + offset, message.headers[env.INTEGRITY]
                    ),
                )
            return list(range(first_seq, first_seq + len(stored_events)))
        raise OperationalError(f"could not write to {self.stream}: the aggregates kept changing")

    def _tracking_message(self, tracking: Tracking) -> Outgoing:
        raise IntegrityError("this recorder does not record tracking")

    @staticmethod
    def _group(stored_events: Sequence[StoredEvent]) -> dict[str, list[StoredEvent]]:
        """Each aggregate's events in the save, checked to be in version order."""
        groups: dict[str, list[StoredEvent]] = {}
        for event in stored_events:
            token, _ = subject_token(event.originator_id)
            group = groups.setdefault(token, [])
            if group and event.originator_version <= group[-1].originator_version:
                raise IntegrityError(
                    f"versions of {event.originator_id} must increase within a save"
                )
            group.append(event)
        return groups

    def _plan(self, stored_events: Sequence[StoredEvent]) -> tuple[list[Outgoing], dict[str, int]]:
        """One message an event, and the last sequence each aggregate must still have.

        The first message of each aggregate carries the concurrency check (an
        atomic batch checks a subject only at its first entry); each event's
        integrity hash chains to the one before it on the same aggregate.
        """
        messages: list[Outgoing] = []
        expectations: dict[str, int] = {}
        previous: dict[str, str] = {}
        for event in stored_events:
            token, is_uuid = subject_token(event.originator_id)
            headers_extra: dict[str, str] = {}
            if token not in expectations:
                head = self.heads.get(token)
                if head is not None and head.version >= event.originator_version:
                    raise IntegrityError(
                        f"{event.originator_id} already has version {head.version}"
                    )
                expectations[token] = head.seq if head else 0
                previous[token] = head.integrity if head else env.GENESIS
                headers_extra[EXPECTED_LAST_SUBJECT_SEQUENCE] = str(expectations[token])
            headers = env.build_headers(event, str(event.originator_id), previous[token], is_uuid)
            headers.update(headers_extra)
            previous[token] = headers[env.INTEGRITY]
            messages.append(Outgoing(f"{self.events_subject}.{token}", headers, event.state))
        return messages, expectations

    def _recognise(
        self,
        groups: dict[str, list[StoredEvent]],
        expectations: dict[str, int],
        strict: bool = True,
    ) -> list[int] | None:
        """After a refused or unacknowledged write: were these events stored by us?

        Returns their sequences (in the order of `groups`, which is the order
        they were given) if every event is stored with our content id; raises
        IntegrityError if another writer took any of our versions (when
        strict); returns None if the write can simply be tried again.
        """
        if not groups:
            return None  # a tracking record alone: its own check decides
        found_seqs: dict[tuple[str, int], int] = {}
        missing = False
        # Every aggregate of the save is looked at (and its head refreshed), not
        # only up to the first one not stored: the one whose head was old may
        # come later in the batch, and the next try must know its head.
        for token, events in groups.items():
            subject = f"{self.events_subject}.{token}"
            stored = self.reader.all_on_subject(self.stream, subject, after_seq=expectations[token])
            last = stored[-1] if stored else self.reader.last(self.stream, subject)
            self.heads.put(token, _head_of(last) if last is not None else None)
            content_ids = {m.header(env.ID): m.seq for m in stored}
            for event in events:
                ours = env.content_id(
                    str(event.originator_id), event.originator_version, event.topic, event.state
                )
                if ours not in content_ids:
                    head = self.heads.get(token)
                    if strict and head is not None and head.version >= events[0].originator_version:
                        raise IntegrityError(
                            f"{event.originator_id} was changed by someone else (version conflict)"
                        )
                    missing = True
                    break
                found_seqs[(token, event.originator_version)] = content_ids[ours]
        return None if missing else sorted(found_seqs.values())


class NatsApplicationRecorder(NatsAggregateRecorder, ApplicationRecorder):
    """Adds the application sequence: the stream, read in order."""

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        return self._insert(stored_events, None)

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        if start is None:
            first = 1
        else:
            first = max(1, start if inclusive_of_start else start + 1)
        wanted = set(topics)
        events_prefix = f"{self.events_subject}."
        # On a replicated stream a follower may answer before it has every
        # acknowledged event: the leader's last event bounds what must be read.
        through = self.max_notification_id() if self.reader.replicated(self.stream) else None
        out: list[Notification] = []
        while len(out) < limit:
            asked = MAX_BATCH if wanted else min(MAX_BATCH, limit - len(out))
            # The stream holds this application's events and, for process
            # applications, a few tracking records: read it unfiltered (cheaper
            # for the server) and pass over what is not an event.
            page = self.reader.next_batch(self.stream, first, None, asked, through)
            for message in page:
                if stop is not None and message.seq > stop:
                    return out
                if not message.subject.startswith(events_prefix):
                    continue
                originator, version, topic = env.event_fields(message)
                if wanted and topic not in wanted:
                    continue
                out.append(_notification(message.seq, originator, version, topic, message.data))
                if len(out) == limit:
                    return out
            if len(page) < asked:
                return out
            first = page[-1].seq + 1
        return out

    def max_notification_id(self) -> int | None:
        last = self.reader.last(self.stream, f"{self.events_subject}.>")
        return last.seq if last is not None else None

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        return NatsSubscription(self, gt=gt, topics=topics)


class NatsSubscription(ListenNotifySubscription[NatsApplicationRecorder]):
    """Reads new notifications as soon as the stream says it has them.

    A core NATS subscription on the stream's event subjects sees every write
    as it is published, which wakes the pulling thread; a one-second timeout
    covers anything missed across a reconnect.
    """

    def __init__(
        self, recorder: NatsApplicationRecorder, gt: int | None = None, topics: Sequence[str] = ()
    ) -> None:
        self._nats_sub: Any = None
        connection = recorder.connection

        async def wake(_msg: Any) -> None:
            self._has_been_notified.set()

        async def listen() -> Any:
            return await connection.client.subscribe(f"{recorder.events_subject}.>", cb=wake)

        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._nats_sub = connection.run(listen(), connection.timeout)
        self._has_been_notified.set()

    def _loop_on_pull(self) -> None:
        try:
            self._pull()
            while not self._has_been_stopped:
                self._has_been_notified.wait(timeout=1.0)
                self._pull()
        except BaseException as e:
            if self._thread_error is None:
                self._thread_error = e
            self.stop()

    def stop(self) -> None:
        super().stop()
        sub, self._nats_sub = getattr(self, "_nats_sub", None), None
        if sub is not None:
            try:
                self._recorder.connection.run(sub.unsubscribe(), 2.0)
            except Exception:  # the connection may already be closed
                pass


class NatsTrackingRecorder(TrackingRecorder):
    """Tracking records on `<prefix>.tracking.<application>`, one subject each."""

    def __init__(
        self, connection: NatsConnection, reader: StreamReader, stream: str, subject_prefix: str
    ) -> None:
        self.connection = connection
        self.reader = reader
        self.stream = stream
        self.subject_prefix = subject_prefix

    def tracking_subject(self, application_name: str) -> str:
        return f"{self.subject_prefix}.tracking.{subject_token(application_name)[0]}"

    def _last_tracking(self, application_name: str) -> tuple[int, int] | None:
        """(notification id, stream sequence) of the last tracking record."""
        last = self.reader.last(self.stream, self.tracking_subject(application_name))
        if last is None:
            return None
        return int(last.header(env.TRACKING_ID) or 0), last.seq

    def _tracking_message(self, tracking: Tracking) -> Outgoing:
        last = self._last_tracking(tracking.application_name)
        if last is not None and last[0] >= tracking.notification_id:
            raise IntegrityError(
                f"tracking {tracking.application_name} {tracking.notification_id} is not after "
                f"{last[0]}"
            )
        headers = {
            env.TRACKING_ID: str(tracking.notification_id),
            EXPECTED_LAST_SUBJECT_SEQUENCE: str(last[1] if last else 0),
        }
        return Outgoing(self.tracking_subject(tracking.application_name), headers, b"")

    def insert_tracking(self, tracking: Tracking) -> None:
        for _attempt in range(_RETRIES):
            message = self._tracking_message(tracking)
            try:
                self.connection.publish([message])
                return
            except WrongLastSequence:
                continue  # someone else tracked meanwhile; look again
        raise IntegrityError(f"could not record tracking {tracking}")

    def max_tracking_id(self, application_name: str) -> int | None:
        last = self._last_tracking(application_name)
        return last[0] if last is not None else None


class NatsProcessRecorder(NatsTrackingRecorder, NatsApplicationRecorder, ProcessRecorder):
    """Events and the tracking record of what caused them, in one atomic batch."""

    def __init__(
        self, connection: NatsConnection, reader: StreamReader, stream: str, subject_prefix: str
    ) -> None:
        NatsApplicationRecorder.__init__(self, connection, reader, stream, subject_prefix)

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        tracking: Tracking | None = kwargs.get("tracking")
        return self._insert(stored_events, tracking)
