"""The health service on real servers: NATS and PostgreSQL from tests/conftest.py.

Each test module gets its own event stream and subject prefix, its own
database, its own NATS user, and the service running in-process (TestClient
runs its lifespan: the projection runners; the relay stays off).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from nats_access import NatsAccess

from health.harness import Service, running
from shared.auth.tokens import DevIssuer


@pytest.fixture(scope="module")
def service(
    nats_access: NatsAccess,
    nats_url: str,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:
    with running(
        nats_access, nats_url, database_url, DevIssuer(tmp_path_factory.mktemp("dev-issuer"))
    ) as started:
        yield started
