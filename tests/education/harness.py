"""Driving the education service (and placements beside it) in tests, on real servers.

Casefile facts are fed as casefile's relay would publish them (CloudEvents on
`integration.casefile.*`, with the relay's source headers, as casefile's NATS
user): the child, a period of care, an allocation, and the UPN's keyed digest.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from eventsourcing.cryptography import AESCipher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from nats_access import NatsAccess
from placements.harness import casefile_child_in_care, publish_casefile, wait_for

from shared.auth.tokens import DevIssuer
from shared.contracts import casefile
from shared.contracts.pupil_numbers import upn_digest
from shared.identifiers import upn_check_letter

__all__ = ["Running", "child_facts", "make_upn", "publish_casefile", "running", "wait_for"]

VS = "vs.head"


def make_upn(serial: int) -> str:
    """A valid UPN (check letter right) for a serial number."""
    body = f"93812345{serial % 10**4:04d}"[:12]
    return upn_check_letter(body) + body


def database(database_url: str, prefix: str) -> str:
    name = f"{prefix}_{uuid4().hex[:10]}"

    async def create() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return database_url.rsplit("/", 1)[0] + f"/{name}"


@dataclass
class Running:
    client: TestClient
    issuer: DevIssuer
    casefile_nats: dict[str, Any]

    @property
    def runtime(self) -> Any:
        return self.client.app.state.runtime  # type: ignore[attr-defined]

    def headers(self, user: str, *roles: str, teams: list[str] | None = None) -> dict[str, str]:
        token = self.issuer.mint(user, roles, teams=teams or [])
        return {"Authorization": f"Bearer {token}"}

    def write(self, user: str = VS, role: str = "virtual_school") -> dict[str, str]:
        return {**self.headers(user, role), "Idempotency-Key": str(uuid4())}


@contextmanager
def running(
    name: str,
    build_app: Any,
    settings_type: Any,
    nats_access: NatsAccess,
    nats_url: str,
    database_url: str,
    issuer: DevIssuer,
    relay: bool = False,
) -> Iterator[Running]:
    """One service in-process with its own stream, database and NATS user."""
    unique = uuid4().hex[:8]
    stream, prefix = f"{name.upper()}_{unique.upper()}", f"{name}{unique}"
    env = {
        f"{name.upper()}_NATS_STREAM": stream,
        f"{name.upper()}_NATS_SUBJECT_PREFIX": prefix,
        f"{name.upper()}_RELAY": "true" if relay else "false",
        "DATABASE_URL": database(database_url, name),
        "NATS_URL": nats_url,
        "CIPHER_KEY": AESCipher.create_key(32),
    }
    env.update(nats_access.service_env(name, stream, prefix))
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        settings = settings_type(jwks_path=str(issuer.jwks_path))
        app: FastAPI = build_app(settings, token_verifier=issuer.verifier())
        with TestClient(app) as client:
            yield Running(client, issuer, nats_access.options(nats_access.service_user("casefile")))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def child_facts(
    child: UUID,
    *,
    upn: str | None,
    social_worker: str = "sw.adeyemi",
    date_of_birth: date = date(2013, 5, 1),
    start: date = date(2023, 1, 10),
) -> list[casefile.CasefileEvent]:
    """What casefile publishes of a child in care (the UPN only as its digest)."""
    events = casefile_child_in_care(child, social_worker, date_of_birth, start)
    if upn is not None:
        events.append(
            casefile.ChildPupilNumberRecorded(
                child_id=str(child), effective_date=start, upn_digest=upn_digest(upn)
            )
        )
    return events
