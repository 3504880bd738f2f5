"""NATS down is an outage the client is told of (503, Retry-After), never a 500,
and a retry with the same Idempotency-Key once it is back records the change once."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from eventsourcing.cipher import AESCipher
from fastapi.testclient import TestClient

from services.casefile.bootstrap import build_app
from services.casefile.settings import CasefileSettings
from shared.auth.tokens import DevIssuer
from shared.stack.nats_accounts import NatsAccounts
from shared.stack.nats_server import NatsServer

pytestmark = [pytest.mark.integration, pytest.mark.fault]


@pytest.fixture
def nats(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats", accounts=NatsAccounts(tmp_path / "nats-keys"))
    server.start()
    yield server
    server.stop()


def test_writes_during_a_nats_outage_are_503_and_a_retry_after_records_once(
    nats: NatsServer, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert nats.accounts is not None
    for name, value in nats.accounts.service("casefile").env("casefile").items():
        monkeypatch.setenv(name, value)  # casefile's own user, as deployed
    nats.reload()
    unique = uuid.uuid4().hex[:8]
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "outage_{unique}"')
    issuer = DevIssuer(tmp_path / "issuer")
    settings = CasefileSettings(
        nats_url=nats.url,
        database_url=database_url.rsplit("/", 1)[0] + f"/outage_{unique}",
        cipher_key=AESCipher.create_key(16),
        jwks_path=str(issuer.jwks_path),
        log_level="WARNING",
    )
    token = issuer.mint("tm.okafor", ["team_manager"], teams=["north-1"])
    body = {
        "local_child_id": f"OUT{unique.upper()}",
        "date_of_birth": "2015-03-01",
        "sex": "F",
        "ethnicity": "WBRI",
        "registration_date": "2024-01-02",
    }
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"out-{unique}"}
    with TestClient(build_app(settings)) as client:
        assert client.get("/ready").status_code == 200
        nats.kill()
        during = client.post("/v1/children", json=body, headers=headers)
        assert during.status_code == 503, during.text
        assert during.headers["content-type"].startswith("application/problem+json")
        assert int(during.headers["Retry-After"]) > 0
        assert client.get("/ready").status_code == 503

        nats.start()
        deadline = time.monotonic() + 30
        while client.get("/ready").status_code != 200:
            assert time.monotonic() < deadline, "not ready again after NATS came back"
            time.sleep(0.2)
        after = client.post("/v1/children", json=body, headers=headers)
        assert after.status_code == 201, after.text
        again = client.post("/v1/children", json=body, headers=headers)
        assert again.json() == after.json()
        assert after.json()["version"] == 1  # recorded once
