"""The placements service on real servers: NATS and PostgreSQL from tests/conftest.py.

Each test module gets its own event stream and subject prefix (through the
environment, as a deployment would set them), its own database, and the
service running in-process (TestClient runs its lifespan: projection runners
and, where a module asks for it, the relay).
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

from placements.harness import Service
from services.placements.bootstrap import build_app
from services.placements.settings import PlacementsSettings
from shared.auth.tokens import DevIssuer


def _database(database_url: str) -> str:
    name = f"placements_{uuid4().hex[:10]}"

    async def create() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return database_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="module")
def relay_enabled() -> bool:
    """Modules that check the integration events override this.

    The relay keeps its position in the one `INTEGRATION_PLACEMENTS` stream,
    so only one module per session, with its own event stream, may run it.
    """
    return False


@pytest.fixture(scope="module")
def service(
    nats_access: NatsAccess,
    nats_url: str,
    database_url: str,
    relay_enabled: bool,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:
    unique = uuid4().hex[:8]
    stream, prefix = f"PLACEMENTS_{unique.upper()}", f"placements{unique}"
    env = {
        "PLACEMENTS_NATS_STREAM": stream,
        "PLACEMENTS_NATS_SUBJECT_PREFIX": prefix,
        "PLACEMENTS_RELAY": "true" if relay_enabled else "false",
        "DATABASE_URL": _database(database_url),
        "NATS_URL": nats_url,
        "CIPHER_KEY": AESCipher.create_key(32),
    }
    # Its own NATS user, allowed only this module's streams and what it consumes.
    env.update(nats_access.service_env("placements", stream, prefix))
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        issuer = DevIssuer(tmp_path_factory.mktemp("dev-issuer"))
        settings = PlacementsSettings(jwks_path=str(issuer.jwks_path))
        app = build_app(settings, token_verifier=issuer.verifier())
        with TestClient(app) as client:
            yield Service(
                client=client,
                issuer=issuer,
                settings=settings,
                nats_url=nats_url,
                # What casefile's relay publishes, the tests publish as casefile.
                casefile_nats=nats_access.options(nats_access.service_user("casefile")),
            )
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
