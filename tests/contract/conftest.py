"""The services under contract test: the same fixtures as their own API tests.

`casefile_service` (tests/casefile/conftest.py) and `service`
(tests/placements/conftest.py) start each service in-process on the
session's real nats-server and PostgreSQL; they are reused here, not copied,
so the contract is tested against the service exactly as its tests run it.
Health's own fixture is also named `service`, so `health_service` starts it
with the context manager that fixture uses (tests/health/harness.py), and
`education_service` with education's (tests/education/harness.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from casefile.conftest import casefile_service
from education.harness import Running, running
from health.harness import Service as HealthService
from health.harness import running as running_health
from nats_access import NatsAccess
from placements.conftest import relay_enabled, service

from services.education.bootstrap import build_app as build_education
from services.education.settings import EducationSettings
from shared.auth.tokens import DevIssuer

__all__ = ["casefile_service", "education_service", "health_service", "relay_enabled", "service"]


@pytest.fixture(scope="module")
def health_service(
    nats_access: NatsAccess,
    nats_url: str,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[HealthService]:
    issuer = DevIssuer(tmp_path_factory.mktemp("health-issuer"))
    with running_health(nats_access, nats_url, database_url, issuer) as started:
        yield started


@pytest.fixture(scope="module")
def education_service(
    nats_access: NatsAccess,
    nats_url: str,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Running]:
    issuer = DevIssuer(tmp_path_factory.mktemp("education-issuer"))
    with running(
        "education", build_education, EducationSettings, nats_access, nats_url, database_url, issuer
    ) as started:
        yield started
