"""A service run as several processes: one runs the projection runners and the relay.

Each process here is an app built from the same settings on its own database,
as uvicorn workers or replicas would be; they agree through a PostgreSQL
advisory lock, and the other takes over when the one running the background stops.
"""

from __future__ import annotations

import gc
import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import anyio.to_thread
import psycopg
import pytest
from eventsourcing.cipher import AESCipher
from fastapi.testclient import TestClient
from nats_access import NatsAccess

from casefile.harness import CasefileService
from services.casefile.bootstrap import build_app
from services.casefile.settings import CasefileSettings
from shared.auth.relationships import RememberedRelationships
from shared.auth.tokens import DevIssuer
from shared.service_lifecycle import LEADER_RETRY, Started

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(
    nats_access: NatsAccess,
    nats_url: str,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[CasefileSettings]:
    unique = uuid.uuid4().hex[:8]
    user = nats_access.service_env("casefile", f"PROCS_{unique.upper()}", f"procs_{unique}")
    for name, value in user.items():  # its own NATS user
        monkeypatch.setenv(name, value)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "procs_{unique}"')
    issuer = DevIssuer(tmp_path / "issuer")
    yield CasefileSettings(
        nats_url=nats_url,
        database_url=database_url.rsplit("/", 1)[0] + f"/procs_{unique}",
        nats_stream=f"PROCS_{unique.upper()}",
        nats_subject_prefix=f"procs_{unique}",
        cipher_key=AESCipher.create_key(16),
        jwks_path=str(issuer.jwks_path),
        team_managers=json.loads("{}"),
        log_level="WARNING",
    )


def started(client: TestClient) -> Started[CasefileSettings]:
    found = client.app.state.started  # type: ignore[attr-defined]
    assert isinstance(found, Started)
    return found


def test_one_process_runs_the_background_and_another_takes_over(
    settings: CasefileSettings,
) -> None:
    first = TestClient(build_app(settings)).__enter__()
    try:
        wait_until(lambda: started(first).leading, 10)
        with TestClient(build_app(settings)) as second:
            time.sleep(LEADER_RETRY + 0.5)
            assert not started(second).leading
            serving = [t.get_name() for t in started(second).tasks]
            assert serving == ["background", "read-model-changes"]
            assert second.get("/ready").status_code == 200
            first.__exit__(None, None, None)  # the process running the background stops
            wait_until(lambda: started(second).leading, LEADER_RETRY * 3)
            names = {t.get_name() for t in started(second).tasks}
            assert {"casefile_case_team", "casefile_children", "relay"} <= names
    finally:
        if started(first).stop.is_set() is False:
            first.__exit__(None, None, None)


def test_a_relationship_that_ends_is_forgotten_by_every_process(
    settings: CasefileSettings, tmp_path: Path
) -> None:
    """Each process remembers the relationships it found (ADR 0025). When one ends, a
    process that did not apply the change hears of it from PostgreSQL and stops
    honouring it: the old worker is refused there once the read model says so."""
    issuer = DevIssuer(tmp_path / "issuer")
    first = TestClient(build_app(settings)).__enter__()
    try:
        wait_until(lambda: started(first).leading, 10)
        with TestClient(build_app(settings)) as second:
            one, two = (
                CasefileService(
                    client,
                    issuer,
                    settings.nats_url,
                    str(settings.database_url),
                    str(settings.nats_stream),
                    str(settings.nats_subject_prefix),
                )
                for client in (first, second)
            )
            child_id = one.register()
            one.settle()
            checker = second.app.state.relationships  # type: ignore[attr-defined]
            assert isinstance(checker, RememberedRelationships)
            jones = ("sw.jones", "social_worker", str(child_id))
            # Remembered once a read finds it with no read model changing meanwhile.
            wait_until(
                lambda: (
                    two.get(f"/children/{child_id}").status_code == 200
                    and checker.remembers(*jones)
                ),
                5,
            )
            reallocated = one.post(
                f"/children/{child_id}/social-worker",
                {
                    "effective_date": "2024-02-01",
                    "social_worker_id": "sw.new",
                    "team": "north-1",
                    "reason": "LEFTRL",
                },
            )
            assert reallocated.status_code == 200, reallocated.text
            one.settle()
            wait_until(lambda: not checker.remembers(*jones), 2)
            assert two.get(f"/children/{child_id}").status_code == 403
            assert two.get(f"/children/{child_id}", user="sw.new").status_code == 200
    finally:
        if started(first).stop.is_set() is False:
            first.__exit__(None, None, None)


def wait_until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_request_handlers_run_on_the_threads_the_settings_give(
    settings: CasefileSettings,
) -> None:
    """`REQUEST_THREADS` bounds a process's handler threads (anyio would allow 40)."""
    chosen = settings.model_copy(update={"request_threads": 3})
    with TestClient(build_app(chosen)) as client:
        assert client.portal is not None
        tokens = client.portal.call(lambda: anyio.to_thread.current_default_thread_limiter())
        assert tokens.total_tokens == 3
        assert client.get("/ready").status_code == 200


def test_a_service_process_moves_what_start_up_made_out_of_the_collectors_way(
    settings: CasefileSettings,
) -> None:
    """`GC_FREEZE` (on in `python -m services.<name>`): full collections stay short and
    rare (`GC_YOUNG_THRESHOLD`: what requests in flight hold dies before it is collected)."""
    assert not settings.gc_freeze  # off unless asked: tests build many apps in one process
    thresholds = gc.get_threshold()
    gc.unfreeze()
    try:
        with TestClient(build_app(settings)) as client:
            assert gc.get_threshold() == thresholds  # nothing changes unless asked
        chosen = settings.model_copy(update={"gc_freeze": True, "gc_young_threshold": 4321})
        with TestClient(build_app(chosen)) as client:
            assert gc.get_freeze_count() > 0
            assert gc.get_threshold() == (4321, *thresholds[1:])
            assert client.get("/ready").status_code == 200
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
