"""Aggregates a process keeps decoded (`RecordRepository`), on a real nats-server.

Two applications on one stream stand for two service processes: each keeps
its own aggregates, and each writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.cryptography import AESCipher
from toy_app import Counter, Counters

from shared.commands import Command
from shared.contracts import sealing
from shared.eventstore import keyring
from shared.eventstore.keyring import KeyDestroyed
from shared.service_application import CIPHER_TOPIC
from shared.settings import ServiceSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def processes(nats_url: str) -> Iterator[tuple[Counters, Counters]]:
    """Two processes of one service: same stream, same service key, 100 aggregates kept each."""
    unique = uuid4().hex[:8]
    env = {
        "PERSISTENCE_MODULE": "shared.eventstore",
        "COUNTERS_NATS_STREAM": f"KEPT_{unique.upper()}",
        "COUNTERS_NATS_SUBJECT_PREFIX": f"kept{unique}",
        "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
        "CIPHER_TOPIC": CIPHER_TOPIC,
        "CIPHER_KEY": AESCipher.create_key(32),
        "AGGREGATE_CACHE_MAXSIZE": "100",
    }
    first, second = Counters(env=env), Counters(env=env)
    yield first, second
    first.close()
    second.close()


def _decodes(app: Counters, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the events `app` decodes from here on (one entry per event)."""
    decoded: list[int] = []
    decode = app.mapper.to_domain_event

    def counted(stored: Any) -> Any:
        decoded.append(stored.originator_version)
        return decode(stored)

    monkeypatch.setattr(app.mapper, "to_domain_event", counted)
    return decoded


def test_a_read_decodes_only_the_events_recorded_since_the_process_last_looked(
    processes: tuple[Counters, Counters], monkeypatch: pytest.MonkeyPatch
) -> None:
    writer, reader = processes
    counter_id = writer.open("visits")
    writer.increment(counter_id, times=40)
    decoded = _decodes(reader, monkeypatch)

    first: Counter = reader.repository.latest(counter_id)
    assert (first.version, first.value, len(decoded)) == (41, 40, 41)

    writer.increment(counter_id)  # in the other process
    decoded.clear()
    second: Counter = reader.repository.latest(counter_id)
    assert (second.version, second.value) == (42, 41)
    assert decoded == [42]
    # A reader still holding the first sees it as it was: kept ones are replaced, never changed.
    assert (first.version, first.value) == (41, 40)

    decoded.clear()
    assert reader.repository.latest(counter_id) is second
    assert decoded == []


def test_a_command_changes_a_copy_of_its_own_never_the_kept_aggregate(
    processes: tuple[Counters, Counters],
) -> None:
    app, _ = processes
    counter_id = app.open("reviews")
    kept: Counter = app.repository.latest(counter_id)
    mine: Counter = app.repository.get(counter_id)
    assert mine is not kept and mine.version == kept.version

    assert app.increment(counter_id, times=3) == 4
    assert (kept.version, kept.value) == (1, 0)
    assert len(kept.pending_events) == 0
    assert app.repository.latest(counter_id).value == 3


class Increment(Command):
    handler: ClassVar[str] = "increment"
    by: int = 1


def test_what_a_command_saved_is_kept_and_the_next_read_decodes_nothing(
    processes: tuple[Counters, Counters], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, other = processes
    counter_id = app.open("visits")
    before: Counter = app.repository.latest(counter_id)
    decoded = _decodes(app, monkeypatch)

    assert app.execute(counter_id, Increment(by=2)) == 2

    after: Counter = app.repository.latest(counter_id)
    assert (after.version, after.value, decoded) == (2, 2, [])
    assert (before.version, before.value) == (1, 0)
    # Another process still learns of it from the store.
    assert other.repository.latest(counter_id).value == 2


def test_an_erased_record_is_not_served_from_memory_in_any_process(
    processes: tuple[Counters, Counters], monkeypatch: pytest.MonkeyPatch
) -> None:
    eraser, other = processes
    counter_id = eraser.open("a child's record")
    eraser.increment(counter_id)
    assert eraser.repository.latest(counter_id).value == 1
    assert other.repository.latest(counter_id).value == 1

    # The child's integration keys are another test's (test_sealing_circles.py).
    monkeypatch.setattr(sealing, "destroy_child_keys", lambda child_id: None)
    eraser.erase_records(counter_id)

    with pytest.raises(KeyDestroyed):
        eraser.repository.latest(counter_id)
    with pytest.raises(KeyDestroyed):
        eraser.repository.get(counter_id)
    # Another process learns of it when it next looks up the key (KEY_CACHE_SECONDS).
    monkeypatch.setattr(keyring, "KEY_CACHE_SECONDS", 0.0)
    with pytest.raises(KeyDestroyed):
        other.repository.latest(counter_id)
    assert other.repository.kept is not None
    with pytest.raises(KeyError):
        other.repository.kept.get(counter_id)


def test_without_a_cache_size_nothing_is_kept(
    nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    unique = uuid4().hex[:8]
    app = Counters(
        env={
            "PERSISTENCE_MODULE": "shared.eventstore",
            "COUNTERS_NATS_STREAM": f"KEPT_{unique.upper()}",
            "COUNTERS_NATS_SUBJECT_PREFIX": f"kept{unique}",
        }
    )
    try:
        counter_id: UUID = app.open("unkept")
        decoded = _decodes(app, monkeypatch)
        first, second = app.repository.latest(counter_id), app.repository.latest(counter_id)
        assert first is not second
        assert app.repository.kept is None
        assert decoded == [1, 1]
    finally:
        app.close()


def test_services_keep_aggregates_unless_told_not_to() -> None:
    assert ServiceSettings().application_env()["AGGREGATE_CACHE_MAXSIZE"] == "1000"
    assert (
        "AGGREGATE_CACHE_MAXSIZE" not in ServiceSettings(aggregate_cache_size=0).application_env()
    )
