"""The placements service beside a casefile test module's service, on the same servers.

For tests of what crosses between the two: casefile's relay feeds placements
(periods of care, allocations, erasures) and placements' relay feeds casefile
(placed for adoption). Each relay takes its position from its integration
stream, so a module that runs one starts from an empty stream
(`fresh_integration_streams`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from eventsourcing.cryptography import AESCipher
from fastapi.testclient import TestClient
from nats_access import NatsAccess

from services.placements.bootstrap import build_app as build_placements
from services.placements.settings import PlacementsSettings
from shared.auth.tokens import DevIssuer


@dataclass
class Beside:
    """A service running beside the module's casefile."""

    client: TestClient
    issuer: DevIssuer
    database_url: str
    stream: str

    def headers(self, user: str, role: str, write: bool = False) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.issuer.mint(user, [role])}"}
        if write:
            headers["Idempotency-Key"] = str(uuid4())
        return headers


@contextmanager
def service_beside(
    service: str,
    build_app: Any,
    settings_class: Any,
    nats_access: NatsAccess,
    nats_url: str,
    database_url: str,
    issuer_dir: Path,
    *,
    relay: bool,
) -> Iterator[Beside]:
    """Another service with its own stream, database, NATS user and service key."""
    unique = uuid4().hex[:8]
    upper = service.upper()
    stream, prefix = f"{upper}_E{unique.upper()}", f"{service}e{unique}"
    name = f"{service}_e{unique}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    database = database_url.rsplit("/", 1)[0] + f"/{name}"
    env_vars = {
        f"{upper}_NATS_STREAM": stream,
        f"{upper}_NATS_SUBJECT_PREFIX": prefix,
        f"{upper}_RELAY": "true" if relay else "false",
        "DATABASE_URL": database,
        "NATS_URL": nats_url,
        **nats_access.service_env(service, stream, prefix),
    }
    saved = {key: os.environ.get(key) for key in env_vars}
    os.environ.update(env_vars)
    try:
        issuer = DevIssuer(issuer_dir)
        # Its own service key, given directly: CIPHER_KEY in the environment is casefile's.
        settings = settings_class(
            jwks_path=str(issuer.jwks_path), cipher_key=AESCipher.create_key(32)
        )
        with TestClient(build_app(settings, token_verifier=issuer.verifier())) as client:
            yield Beside(client, issuer, database, stream)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def placements_beside(
    nats_access: NatsAccess, nats_url: str, database_url: str, issuer_dir: Path, *, relay: bool
) -> Iterator[Beside]:
    with service_beside(
        "placements",
        build_placements,
        PlacementsSettings,
        nats_access,
        nats_url,
        database_url,
        issuer_dir,
        relay=relay,
    ) as made:
        yield made


def placements_fixture(*, relay: bool) -> Any:
    """A module fixture `placements`: placements beside the module's casefile service."""

    @pytest.fixture(scope="module")
    def placements(
        casefile_service: Any,
        nats_access: NatsAccess,
        nats_url: str,
        database_url: str,
        tmp_path_factory: pytest.TempPathFactory,
    ) -> Iterator[Beside]:
        issuer_dir = tmp_path_factory.mktemp("placements-issuer")
        with placements_beside(
            nats_access, nats_url, database_url, issuer_dir, relay=relay
        ) as made:
            yield made

    return placements


#: Placements beside casefile (the name the tests use).
Placements = Beside
