"""Group commit: concurrent several-event saves share one JetStream atomic batch.

Every save of events by the recorders (`shared.eventstore.recorders`) goes
through it; a one-event save is a plain publish and is never grouped
(docs/adr/0003-event-store-layout-and-concurrency.md).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from eventsourcing.persistence import IntegrityError, OperationalError, ProgrammingError

from shared.eventstore.connection import MAX_BATCH, NatsConnection, Outgoing


class _Waiting:
    """One save's messages in the queue of a GroupCommit, and what became of them."""

    __slots__ = ("done", "error", "last_seq", "messages")

    def __init__(self, messages: Sequence[Outgoing]) -> None:
        self.messages = messages
        self.done = False
        self.last_seq = 0
        self.error: BaseException | None = None


class GroupCommit:
    """Saves of several events made at the same time go out as one atomic batch.

    On a single-node stream the server stages every atomic batch in a store
    of its own on disk before the commit, which costs more than writing the
    messages: sixteen concurrent four-event saves as sixteen batches pay that
    sixteen times. Here the first save to arrive publishes at once; saves
    that arrive while it is in flight queue, and the next of them publishes
    all that queued as one batch (classic group commit, with no waiting
    added). Each save's messages stay contiguous in the batch, so each
    learns its own sequences from the batch's last.

    A combined batch stands or falls as one, so if it fails each save in it
    is published alone, in turn: a conflict then fails only the save that
    conflicts, and two saves racing on one aggregate give one winner, as if
    they had never met. A save of one event is not grouped: a plain publish
    needs no staging.
    """

    def __init__(self, connection: NatsConnection) -> None:
        self._connection = connection
        self._changed = threading.Condition()
        self._queue: list[_Waiting] = []
        self._publishing = False

    def publish(self, messages: Sequence[Outgoing]) -> int:
        """As `NatsConnection.publish`: all the messages or none; the sequence of the last."""
        if len(messages) == 1:
            return self._connection.publish(messages)  # a plain publish: nothing staged
        me = _Waiting(messages)
        with self._changed:
            self._queue.append(me)
        while True:
            with self._changed:
                while self._publishing and not me.done:
                    self._changed.wait()
                if me.done:
                    break
                # Nobody is publishing: publish what queued (ours, unless
                # MAX_BATCH messages queued before it; then go round again).
                self._publishing = True
                group = self._take()
            try:
                self._publish_group(group)
            finally:
                with self._changed:
                    for waiting in group:
                        if waiting.last_seq == 0 and waiting.error is None:
                            waiting.error = OperationalError("the write was interrupted")
                        waiting.done = True
                    self._publishing = False
                    self._changed.notify_all()
        if me.error is not None:
            raise me.error
        return me.last_seq

    def _take(self) -> list[_Waiting]:
        """The saves queued first, up to JetStream's limit of messages a batch."""
        group: list[_Waiting] = []
        size = 0
        for waiting in self._queue:
            if group and size + len(waiting.messages) > MAX_BATCH:
                break
            group.append(waiting)
            size += len(waiting.messages)
        del self._queue[: len(group)]
        return group

    def _publish_group(self, group: list[_Waiting]) -> None:
        if len(group) > 1:
            combined = [m for waiting in group for m in waiting.messages]
            try:
                last_seq = self._connection.publish(combined)
            except (IntegrityError, OperationalError, ProgrammingError):
                pass  # each alone, below: only what is wrong with a save fails it
            else:
                first_seq = last_seq - len(combined) + 1
                for waiting in group:
                    first_seq += len(waiting.messages)
                    waiting.last_seq = first_seq - 1
                return
        for waiting in group:
            try:
                waiting.last_seq = self._connection.publish(waiting.messages)
            except BaseException as e:  # handed to the save's own thread
                waiting.error = e
