"""The education service on real servers: NATS and PostgreSQL from tests/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID, uuid4

import pytest
from nats_access import NatsAccess

from education.harness import Running, child_facts, publish_casefile, running, wait_for
from services.education.bootstrap import build_app
from services.education.settings import EducationSettings
from shared.auth.tokens import DevIssuer


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> DevIssuer:
    return DevIssuer(tmp_path_factory.mktemp("dev-issuer"))


@pytest.fixture(scope="module")
def education(
    nats_access: NatsAccess, nats_url: str, database_url: str, issuer: DevIssuer
) -> Iterator[Running]:
    with running(
        "education", build_app, EducationSettings, nats_access, nats_url, database_url, issuer
    ) as service:
        yield service


def known_child(service: Running, upn: str | None = None, **kwargs: object) -> UUID:
    """A child casefile registered and took into care; waits until education knows them."""
    child = uuid4()
    publish_casefile(service.casefile_nats, *child_facts(child, upn=upn, **kwargs))  # type: ignore[arg-type]
    reads = service.runtime.reads
    wait_for(
        lambda: (
            reads.date_of_birth(child) is not None
            and reads.looked_after_on(str(child), date.today()) is not None
            and (upn is None or reads.child_by_upn_digest(_digest(upn)) == str(child))
        ),
        what=f"casefile facts about {child}",
    )
    return child


def _digest(upn: str) -> str:
    from shared.contracts.pupil_numbers import upn_digest

    return upn_digest(upn)
