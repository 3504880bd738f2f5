"""Bounded, thread-safe caches a recorder keeps: aggregate heads and histories.

`Heads` holds each aggregate's last stored event (version, stream sequence,
integrity hash), which a save's concurrency check expects; `Histories` holds
recently read aggregates' stored events, read again only past their last
sequence (docs/adr/0003-event-store-layout-and-concurrency.md).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from eventsourcing.persistence import StoredEvent


@dataclass(frozen=True)
class Head:
    """The last stored event of one aggregate, as far as this process knows."""

    version: int
    seq: int
    integrity: str


class Heads:
    """A bounded, thread-safe cache of aggregate heads."""

    def __init__(self, size: int = 100_000) -> None:
        self._size = size
        self._heads: OrderedDict[str, Head] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> Head | None:
        with self._lock:
            head = self._heads.get(token)
            if head is not None:
                self._heads.move_to_end(token)
            return head

    def put(self, token: str, head: Head | None) -> None:
        with self._lock:
            if head is None:
                self._heads.pop(token, None)
                return
            known = self._heads.get(token)
            if known is not None and known.seq > head.seq:
                return  # never move a head backwards
            self._heads[token] = head
            self._heads.move_to_end(token)
            if len(self._heads) > self._size:
                self._heads.popitem(last=False)


@dataclass(frozen=True)
class History:
    """An aggregate's stored events, up to and including stream sequence `last_seq`."""

    last_seq: int
    events: tuple[StoredEvent, ...]


class Histories:
    """A bounded cache of recently read aggregates' stored events.

    Why it is safe: stored events never change (the stream denies deletes and
    purges), so a cached history is exactly right for as long as the
    aggregate's last sequence on the server is the one it ends at. A read
    asks the server for that one sequence (a Direct Get of the subject's last
    message, which the server answers from its per-subject index), and reads
    only what came after when it moved. Why it is needed: a batched Direct
    Get of one subject's messages makes the server walk the stream's blocks,
    several times slower than the last-message lookup once a child's events
    are spread over months of other children's.
    """

    def __init__(self, max_events: int = 100_000) -> None:
        self._max_events = max_events
        self._histories: OrderedDict[tuple[str, bool], History] = OrderedDict()
        self._events = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, bool]) -> History | None:
        with self._lock:
            history = self._histories.get(key)
            if history is not None:
                self._histories.move_to_end(key)
            return history

    def put(self, key: tuple[str, bool], history: History) -> None:
        with self._lock:
            old = self._histories.pop(key, None)
            if old is not None:
                self._events -= len(old.events)
            if len(history.events) > self._max_events:
                return
            self._histories[key] = history
            self._events += len(history.events)
            while self._events > self._max_events:
                _, evicted = self._histories.popitem(last=False)
                self._events -= len(evicted.events)

    def drop(self, key: tuple[str, bool]) -> None:
        with self._lock:
            old = self._histories.pop(key, None)
            if old is not None:
                self._events -= len(old.events)
