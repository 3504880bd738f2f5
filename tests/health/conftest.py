"""The health service on real servers: NATS and PostgreSQL from tests/conftest.py.

Each test module gets its own event stream and subject prefix, its own
database, its own NATS user, and the service running in-process (TestClient
runs its lifespan: the projection runners; the relay stays off).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from uuid import uuid4

import asyncpg
import pytest
from eventsourcing.cryptography import AESCipher
from fastapi.testclient import TestClient
from nats_access import NatsAccess

from health.harness import Service
from services.health.bootstrap import build_app
from services.health.settings import HealthSettings
from shared.auth.tokens import DevIssuer


def _database(database_url: str) -> str:
    name = f"health_{uuid4().hex[:10]}"

    async def create() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return database_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="module")
def service(
    nats_access: NatsAccess,
    nats_url: str,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:
    unique = uuid4().hex[:8]
    stream, prefix = f"HEALTH_{unique.upper()}", f"health{unique}"
    env = {
        "HEALTH_NATS_STREAM": stream,
        "HEALTH_NATS_SUBJECT_PREFIX": prefix,
        "HEALTH_RELAY": "false",
        "DATABASE_URL": _database(database_url),
        "NATS_URL": nats_url,
        "CIPHER_KEY": AESCipher.create_key(32),
    }
    env.update(nats_access.service_env("health", stream, prefix))
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        issuer = DevIssuer(tmp_path_factory.mktemp("dev-issuer"))
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
