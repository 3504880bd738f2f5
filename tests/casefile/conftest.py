"""Fixtures for casefile tests.

Unit tests (`app`, `child_id`, `case`) need no servers: `PERSISTENCE_MODULE` is
cleared, so `Casefile()` uses the plain Python objects store the library ships.
API tests (`casefile_service`) run the whole service against real servers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.cipher import AESCipher
from fastapi.testclient import TestClient
from nats_access import NatsAccess

from casefile.harness import CasefileService
from services.casefile.application import Casefile
from services.casefile.bootstrap import build_app
from services.casefile.domain import commands as c
from services.casefile.settings import CasefileSettings
from shared.auth.tokens import DevIssuer

#: Amira, born 1 March 2015, registered 2 January 2024.
BORN = date(2015, 3, 1)
REGISTERED = date(2024, 1, 2)
#: She becomes looked after on Monday 8 January 2024 under an interim care order.
CARE_STARTS = date(2024, 1, 8)


@dataclass
class Case:
    app: Casefile
    child_id: UUID
    period_id: UUID

    @property
    def version(self) -> int:
        return self.app.get_case(self.child_id).version


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Casefile:
    monkeypatch.delenv("PERSISTENCE_MODULE", raising=False)
    return Casefile()


@pytest.fixture
def child_id(app: Casefile) -> UUID:
    return app.register_child(
        c.RegisterChild(
            local_child_id="AMIRA01",
            date_of_birth=BORN,
            sex="F",
            ethnicity="BAFR",
            registration_date=REGISTERED,
        )
    )


@pytest.fixture
def case(app: Casefile, child_id: UUID) -> Case:
    """Amira, looked after from 8 January 2024 (C1 interim care order, N1 abuse or neglect)."""
    period_id = uuid4()
    app.execute(
        child_id,
        c.StartPeriodOfCare(
            period_id=period_id, start_date=CARE_STARTS, legal_status="C1", category_of_need="N1"
        ),
    )
    return Case(app, child_id, period_id)


# --------------------------------------------------------------------------- the API, end to end
#
# One casefile app per test module, on the session's real nats-server and
# PostgreSQL: its own event stream and subject prefix (through the service's
# environment, CASEFILE_NATS_STREAM / CASEFILE_NATS_SUBJECT_PREFIX), its own
# database, and tokens from a dev issuer in a temporary directory.


def _create_database(database_url: str, name: str) -> str:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="module")
def casefile_service(
    request: pytest.FixtureRequest,
    nats_access: NatsAccess,
    nats_url: str,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[CasefileService]:
    """The service for one test module; `CASEFILE_RELAY = True` in a module runs the relay."""
    unique = uuid4().hex[:8]
    stream, prefix = f"CASEFILE_T{unique.upper()}", f"casefile_t{unique}"
    database = _create_database(database_url, f"casefile_{unique}")
    issuer = DevIssuer(tmp_path_factory.mktemp("dev-issuer"))
    relay = bool(getattr(request.module, "CASEFILE_RELAY", False))
    with pytest.MonkeyPatch.context() as env_vars:
        env_vars.setenv("CASEFILE_NATS_STREAM", stream)
        env_vars.setenv("CASEFILE_NATS_SUBJECT_PREFIX", prefix)
        env_vars.setenv("CASEFILE_RELAY", "true" if relay else "false")
        env_vars.setenv("PERSISTENCE_MODULE", "shared.eventstore")
        env_vars.setenv("NATS_URL", nats_url)
        # Its own NATS user, allowed only this module's streams and subjects.
        for name, value in nats_access.service_env("casefile", stream, prefix).items():
            env_vars.setenv(name, value)
        env_vars.setenv("DATABASE_URL", database)
        env_vars.setenv("CIPHER_KEY", AESCipher.create_key(16))
        env_vars.setenv("JWT_JWKS_FILE", str(issuer.jwks_path))
        env_vars.setenv("LOG_LEVEL", "WARNING")
        settings = CasefileSettings()
        with TestClient(build_app(settings)) as client:
            yield CasefileService(client, issuer, nats_url, database, stream, prefix)
