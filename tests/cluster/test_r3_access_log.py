"""The access log's rules (tests/shared/test_access_log.py) on a three-node cluster.

Each test there that takes the session's server (`nats_url`, or `app` built on
it) runs here as it is, its streams R3: on a replicated stream every read of a
lane's head, and the audit trail's read of all lanes by one wildcard, go to
the stream's leader, not to a follower that may lag.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import test_access_log as access_log
from cluster.suites import session_server_tests_of

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

unique = access_log.unique


_REUSED_TESTS = session_server_tests_of(access_log, "nats_url", "app")
REUSED = sorted(_REUSED_TESTS)
globals().update(_REUSED_TESTS)


def _new_r3_app(nats_url: str, unique: str) -> access_log.Reads:
    return access_log.Reads(
        env={
            "PERSISTENCE_MODULE": "shared.eventstore",
            "NATS_URL": nats_url,
            "NATS_REPLICAS": "3",
            "READS_NATS_STREAM": f"READS{unique.upper()}",
            "READS_NATS_SUBJECT_PREFIX": f"reads{unique}",
        }
    )


@pytest.fixture(autouse=True)
def _on_the_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(access_log, "new_app", _new_r3_app)


@pytest.fixture
def app(nats_url: str, unique: str) -> Iterator[access_log.Reads]:
    application = _new_r3_app(nats_url, unique)
    yield application
    application.close()


def test_the_access_log_tests_are_found() -> None:
    assert len(REUSED) >= 8


def test_the_logs_streams_are_replicated(app: access_log.Reads) -> None:
    factory = app.access_logs.factory
    assert factory.reader.replicated(factory.stream)  # type: ignore[attr-defined]
