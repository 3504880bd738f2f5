"""Read-your-writes across services (issue #18): casefile with its relay, placements beside it.

A client that writes to casefile and at once to placements never gets a rule
failure caused only by lag: casefile's write answers `Belonging-Position`,
placements waits for it when it is sent back as `Belonging-Wait-For`, and a
rule about casefile's facts that fails while placements' view of casefile is
behind is a 503 with Retry-After, never a 422 (docs/adr/0019-read-your-writes.md).
Real NATS and PostgreSQL; this module's casefile relay publishes into a fresh
INTEGRATION_CASEFILE.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import httpx
import nats
import psycopg
import pytest
from eventsourcing.cryptography import AESCipher
from fastapi.testclient import TestClient
from nats.js.errors import NotFoundError
from nats_access import NatsAccess, admin_options

from casefile.harness import CasefileService, wait_for
from services.placements.bootstrap import build_app as build_placements
from services.placements.settings import PlacementsSettings
from shared.auth.tokens import DevIssuer
from shared.contracts.relay import SOURCE_COUNT, SOURCE_SEQUENCE, integration_stream
from shared.eventstore.reader import StreamReader
from shared.read_your_writes import POSITION_HEADER, WAIT_FOR_HEADER, LearnedViews

pytestmark = pytest.mark.integration

CASEFILE_RELAY = True
SEQUENCES = 100


@pytest.fixture(scope="module", autouse=True)
def fresh_integration_stream(nats_url: str) -> Iterator[None]:
    """This module's casefile relay starts from an empty INTEGRATION_CASEFILE (one relay each)."""

    async def delete() -> None:
        client = await nats.connect(**admin_options(nats_url))
        try:
            await client.jetstream().delete_stream(integration_stream("casefile"))
        except NotFoundError:
            pass
        finally:
            await client.close()

    asyncio.run(delete())
    yield


@dataclass
class Placements:
    client: TestClient
    issuer: DevIssuer

    def start(self, child: UUID, wait_for: str | None = None, key: str | None = None) -> Any:
        headers = {
            "Authorization": f"Bearer {self.issuer.mint('sw.jones', ['social_worker'])}",
            "Idempotency-Key": key or str(uuid4()),
        }
        if wait_for is not None:
            headers[WAIT_FOR_HEADER] = wait_for
        return self.client.post(
            f"/v1/children/{child}/placements",
            json={"effective_date": "2024-01-08", "placement_type": "U4", "carer_id": "hh-1"},
            headers=headers,
        )

    @property
    def views(self) -> LearnedViews:
        views = self.client.app.state.learned_views  # type: ignore[attr-defined]
        assert isinstance(views, LearnedViews)
        return views


@pytest.fixture(scope="module")
def placements(
    casefile_service: CasefileService,
    nats_access: NatsAccess,
    nats_url: str,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Placements]:
    """Placements beside this module's casefile, learning from its relay."""
    unique = uuid4().hex[:8]
    stream, prefix = f"PLACEMENTS_R{unique.upper()}", f"placementsr{unique}"
    name = f"placements_r{unique}"
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env_vars = {
        "PLACEMENTS_NATS_STREAM": stream,
        "PLACEMENTS_NATS_SUBJECT_PREFIX": prefix,
        "PLACEMENTS_RELAY": "false",
        "DATABASE_URL": database_url.rsplit("/", 1)[0] + f"/{name}",
        "NATS_URL": nats_url,
        "LOG_LEVEL": "WARNING",
        **nats_access.service_env("placements", stream, prefix),
    }
    saved = {key: os.environ.get(key) for key in env_vars}
    os.environ.update(env_vars)
    try:
        issuer = DevIssuer(tmp_path_factory.mktemp("placements-issuer"))
        # Its own service key, given directly: CIPHER_KEY in the environment is casefile's.
        settings = PlacementsSettings(
            jwks_path=str(issuer.jwks_path), cipher_key=AESCipher.create_key(32)
        )
        with TestClient(build_placements(settings, token_verifier=issuer.verifier())) as client:
            yield Placements(client, issuer)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _registered(casefile: CasefileService) -> tuple[UUID, httpx.Response]:
    """A child registered and allocated to sw.jones; the allocation's answer."""
    registered = casefile.post(
        "/children",
        {
            "local_child_id": f"C{uuid4().hex[:10].upper()}",
            "date_of_birth": "2015-03-01",
            "sex": "F",
            "ethnicity": "BAFR",
            "registration_date": "2024-01-02",
        },
    )
    assert registered.status_code == 201, registered.text
    child = UUID(registered.json()["child_id"])
    allocated = casefile.post(
        f"/children/{child}/social-worker",
        {"effective_date": "2024-01-02", "social_worker_id": "sw.jones", "team": "north-1"},
    )
    assert allocated.status_code == 200, allocated.text
    return child, allocated


def _looked_after(casefile: CasefileService, child: UUID) -> httpx.Response:
    started = casefile.post(
        f"/children/{child}/periods-of-care",
        {"start_date": "2024-01-08", "legal_status": "C2", "category_of_need": "N1"},
    )
    assert started.status_code == 201, started.text
    return started


def test_back_to_back_writes_never_meet_a_rule_failure_caused_by_lag(
    casefile_service: CasefileService, placements: Placements
) -> None:
    """100 times, with no sleeps: casefile takes the child into care, placements places them."""
    statuses: dict[int, int] = {}
    retried = 0
    began = time.monotonic()
    for _ in range(SEQUENCES):
        child, _allocated = _registered(casefile_service)
        position = _looked_after(casefile_service, child).headers[POSITION_HEADER]
        assert position.startswith("casefile=")
        key = str(uuid4())
        placed = placements.start(child, wait_for=position, key=key)
        statuses[placed.status_code] = statuses.get(placed.status_code, 0) + 1
        for _attempt in range(5):
            if placed.status_code != 503:
                break
            assert int(placed.headers["Retry-After"]) >= 1  # retried at once: no sleeps here
            retried += 1
            placed = placements.start(child, wait_for=position, key=key)
        assert placed.status_code == 201, placed.text
    elapsed = time.monotonic() - began
    print(
        f"\n{SEQUENCES} sequences in {elapsed:.1f} s: first answers {statuses}, {retried} retried"
    )
    assert 422 not in statuses
    assert statuses.get(201, 0) + statuses.get(503, 0) == SEQUENCES


def test_a_write_answers_its_position_once_and_again_on_a_retry(
    casefile_service: CasefileService,
) -> None:
    child, allocated = _registered(casefile_service)
    position = allocated.headers[POSITION_HEADER]
    service, seq = position.split("=")
    assert service == "casefile" and int(seq) >= 1
    key = str(uuid4())
    body = {"start_date": "2024-01-08", "legal_status": "C2", "category_of_need": "N1"}
    first = casefile_service.post(f"/children/{child}/periods-of-care", body, key=key)
    again = casefile_service.post(f"/children/{child}/periods-of-care", body, key=key)
    assert first.status_code == again.status_code == 201
    assert first.headers[POSITION_HEADER] == again.headers[POSITION_HEADER]
    assert int(first.headers[POSITION_HEADER].split("=")[1]) > int(seq)
    assert "belonging_position" not in again.json()
    # The relay publishes the event at that sequence, saying how many it gave.
    published = int(first.headers[POSITION_HEADER].split("=")[1])

    def relayed() -> Any:
        reader = StreamReader.connect(casefile_service.nats_url)
        try:
            last = reader.last(integration_stream("casefile"), "integration.casefile.>")
        finally:
            reader.close()
        return last if last and int(last.header(SOURCE_SEQUENCE) or 0) >= published else None

    assert wait_for(relayed).header(SOURCE_COUNT) is not None


def test_a_write_that_publishes_nothing_answers_no_position(
    casefile_service: CasefileService,
) -> None:
    child, _ = _registered(casefile_service)
    views = casefile_service.post(
        f"/children/{child}/views-and-wishes",
        {"effective_date": "2024-01-05", "views": "I want to stay at my school."},
    )
    assert views.status_code in (200, 201), views.text
    assert POSITION_HEADER not in views.headers  # the child's own words are never published


@pytest.mark.parametrize(
    "value",
    ["casefile", "casefile=0", "casefile=-3", "casefile=abc", "=12", "casefile=1;x", "casefile=1,"],
)
def test_a_malformed_wait_for_is_a_400_naming_the_header(
    placements: Placements, value: str
) -> None:
    answer = placements.start(uuid4(), wait_for=value)
    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert problem["errors"][0]["field"] == "header.belonging-wait-for"
    assert WAIT_FOR_HEADER in problem["detail"]


def test_a_position_not_reached_within_the_bound_is_a_503_with_retry_after(
    casefile_service: CasefileService, placements: Placements
) -> None:
    child, _ = _registered(casefile_service)
    position = _looked_after(casefile_service, child).headers[POSITION_HEADER]
    views = placements.views
    bound, views.bound = views.bound, 0.3
    try:
        answer = placements.start(child, wait_for="casefile=999999999")
    finally:
        views.bound = bound
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "1"
    assert answer.json()["type"].endswith("not-caught-up")
    # A service placements learns nothing from is not waited for.
    placed = placements.start(child, wait_for=f"{position}, notifications=99999999")
    assert placed.status_code == 201, placed.text


class _Behind(LearnedViews):
    """Placements' views as if they had applied nothing of casefile's integration stream."""

    async def _positions(self, followed: Any) -> dict[str, int]:
        return dict.fromkeys(followed.projections, 0)


def test_a_rule_about_casefile_facts_failing_while_the_view_lags_is_503_not_422(
    casefile_service: CasefileService, placements: Placements
) -> None:
    """No period of care: a real breach is 422 once caught up, 503 while the view is behind."""
    child, allocated = _registered(casefile_service)
    position = allocated.headers[POSITION_HEADER]  # placements learns the allocation first
    real = placements.views
    caught_up = placements.start(child, wait_for=position)
    assert caught_up.status_code == 422, caught_up.text
    assert caught_up.json()["rule"] == "NotLookedAfter"

    app = placements.client.app
    app.state.learned_views = _Behind(  # type: ignore[attr-defined]
        real.projections, real.pool, real.reader, real.catch_up
    )
    try:
        lagging = placements.start(child)
    finally:
        app.state.learned_views = real  # type: ignore[attr-defined]
    assert lagging.status_code == 503, lagging.text
    assert lagging.headers["Retry-After"] == "1"
    assert "catching up" in lagging.json()["detail"]
    # And once caught up, the same request is the rule failure it is.
    assert placements.start(child).status_code == 422
