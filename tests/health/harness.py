"""Driving the health service in tests: tokens, casefile facts (as casefile's relay
publishes them, with its credentials: tests/placements/harness.py), NHS numbers."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from education.harness import database
from eventsourcing.cryptography import AESCipher
from fastapi.testclient import TestClient
from nats_access import NatsAccess
from placements.harness import MANAGED_TEAMS, casefile_child_in_care, publish_casefile, wait_for

from services.health.bootstrap import build_app
from services.health.projections import ReadModels
from services.health.settings import HealthSettings
from shared.api.runtime import ServiceRuntime
from shared.auth.tokens import DevIssuer
from shared.contracts import casefile
from shared.contracts.base import IntegrationEvent
from shared.contracts.nhs_numbers import nhs_number_digest

_SERIAL = itertools.count(100_000_000 + uuid4().int % 800_000_000)


def new_nhs_number() -> str:
    """A fresh NHS number with a valid modulus-11 check digit."""
    while True:
        body = f"{next(_SERIAL):09d}"[-9:]
        total = sum(w * int(d) for w, d in zip(range(10, 1, -1), body, strict=True))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            return body + str(check)


@dataclass
class Service:
    client: TestClient
    issuer: DevIssuer
    casefile_nats: dict[str, Any]

    @property
    def runtime(self) -> ServiceRuntime[ReadModels]:
        found = self.client.app.state.runtime  # type: ignore[attr-defined]
        assert isinstance(found, ServiceRuntime)
        return found

    def headers(self, user: str, *roles: str, **extra: str) -> dict[str, str]:
        teams = MANAGED_TEAMS.get(user, []) if "team_manager" in roles else []
        return {"Authorization": f"Bearer {self.issuer.mint(user, roles, teams=teams)}", **extra}

    def write_headers(self, user: str, role: str = "lac_nurse") -> dict[str, str]:
        return self.headers(user, role, **{"Idempotency-Key": str(uuid4())})

    def child_in_care(
        self,
        *,
        social_worker: str = "sw.adeyemi",
        nhs_number: str | None = None,
        date_of_birth: date = date(2015, 5, 1),
        start: date = date(2024, 1, 8),
    ) -> UUID:
        """A child casefile registered (with an NHS number), took into care and allocated."""
        child = uuid4()
        events: list[IntegrationEvent] = list(
            casefile_child_in_care(child, social_worker, date_of_birth, start)
        )
        if nhs_number is not None:
            events.append(
                casefile.ChildNhsNumberRecorded(
                    child_id=str(child),
                    effective_date=start,
                    nhs_number_digest=nhs_number_digest(nhs_number),
                )
            )
        publish_casefile(self.casefile_nats, *events)
        reads = self.runtime.reads
        wait_for(
            lambda: (
                reads.allocated_social_worker(child, date.today()) == social_worker
                and reads.child_facts(child) is not None
                and (
                    nhs_number is None
                    or reads.child_by_nhs_number_digest(nhs_number_digest(nhs_number)) == str(child)
                )
            ),
            what=f"casefile facts about {child}",
        )
        return child

    def version(self, child: UUID) -> int:
        response = self.client.get(
            f"/v1/children/{child}/health", headers=self.headers("nurse.ali", "lac_nurse")
        )
        if response.status_code == 404:
            return 0
        assert response.status_code == 200, response.text
        return int(response.headers["ETag"].strip('"'))


@contextmanager
def running(
    nats_access: NatsAccess, nats_url: str, database_url: str, issuer: DevIssuer
) -> Iterator[Service]:
    """The health service in-process: its own stream, subject prefix, database and NATS
    user; TestClient runs its lifespan (the projection runners; the relay stays off).

    The `service` fixture of tests/health and the contract tests both start it so.
    """
    unique = uuid4().hex[:8]
    stream, prefix = f"HEALTH_{unique.upper()}", f"health{unique}"
    env = {
        "HEALTH_NATS_STREAM": stream,
        "HEALTH_NATS_SUBJECT_PREFIX": prefix,
        "HEALTH_RELAY": "false",
        "DATABASE_URL": database(database_url, "health"),
        "NATS_URL": nats_url,
        "CIPHER_KEY": AESCipher.create_key(32),
    }
    env.update(nats_access.service_env("health", stream, prefix))
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        settings = HealthSettings(jwks_path=str(issuer.jwks_path))
        app = build_app(settings, token_verifier=issuer.verifier())
        with TestClient(app) as client:
            yield Service(
                client=client,
                issuer=issuer,
                casefile_nats=nats_access.options(nats_access.service_user("casefile")),
            )
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
