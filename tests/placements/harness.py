"""Driving the placements service in tests: tokens, casefile facts, waiting for projections.

Casefile facts are fed as the casefile relay would publish them: CloudEvents of
the `shared.contracts.casefile` models on `integration.casefile.*` in the
`INTEGRATION_CASEFILE` stream, with the relay's source headers, published with
casefile's NATS credentials (placements accepts nothing else). That stream is
shared by every module of the session (one stream owns the subjects), so tests
use fresh child ids and compare council figures before and after their own changes.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

import nats
from fastapi.testclient import TestClient

from services.placements.projections import ReadModels
from services.placements.settings import PlacementsSettings
from shared.api.runtime import ServiceRuntime
from shared.auth.tokens import DevIssuer
from shared.contracts import casefile
from shared.contracts.base import IntegrationEvent
from shared.contracts.relay import (
    SOURCE_INDEX,
    SOURCE_SEQUENCE,
    ensure_integration_stream,
    to_cloudevent,
)
from shared.eventstore import envelope as env

T = TypeVar("T")

#: The teams each test team manager manages (the token's `teams` claim).
MANAGED_TEAMS: dict[str, list[str]] = {"tm.shah": ["Team A"], "tm.north": ["north-1"]}


def wait_for(probe: Callable[[], T | None], timeout: float = 15.0, what: str = "it") -> T:
    """Poll until `probe` returns something truthy (projections are eventually consistent)."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


#: The source sequences of the casefile events the tests say they relay.
_SOURCE = itertools.count(1)


def relay_headers() -> dict[str, str]:
    """The source headers casefile's relay puts on what it publishes."""
    return {SOURCE_SEQUENCE: str(next(_SOURCE)), SOURCE_INDEX: "0"}


def casefile_child_in_care(
    child: UUID,
    social_worker: str,
    date_of_birth: date,
    start: date,
    period_id: str | None = None,
) -> list[casefile.CasefileEvent]:
    """What casefile publishes of a child it registered, took into care (C2, N1) and
    allocated to `social_worker` in Team A, all on `start`."""
    return [
        casefile.ChildRegistered(
            child_id=str(child), effective_date=start, date_of_birth=date_of_birth, uasc=False
        ),
        casefile.PeriodOfCareStarted(
            child_id=str(child),
            effective_date=start,
            period_id=period_id or str(uuid4()),
            start_date=start,
            legal_status="C2",
            category_of_need="N1",
        ),
        casefile.SocialWorkerAllocated(
            child_id=str(child), effective_date=start, social_worker_id=social_worker, team="Team A"
        ),
    ]


def publish_casefile(casefile_nats: dict[str, Any], *events: IntegrationEvent) -> None:
    """Publish casefile integration events exactly as casefile's relay would.

    `casefile_nats`: `nats.connect()` options for casefile's credentials (`Service.casefile_nats`).
    """

    async def publish() -> None:
        client = await nats.connect(**casefile_nats)
        try:
            await ensure_integration_stream(client, casefile.SERVICE)
            js = client.jetstream()
            for event in events:
                # As the relay does: the recorded time of the source event travels along.
                recorded = datetime.now(UTC).isoformat()
                body = to_cloudevent(event, f"casefile-test-{uuid4()}", casefile.SERVICE, recorded)
                headers = {**relay_headers(), env.RECORDED_AT: recorded}
                await js.publish(event.subject(), body, headers=headers)
        finally:
            await client.close()

    asyncio.run(publish())


@dataclass
class Service:
    """The running service and what a test needs to drive it."""

    client: TestClient
    issuer: DevIssuer
    settings: PlacementsSettings
    nats_url: str
    #: `nats.connect()` options with casefile's credentials (as its relay publishes).
    casefile_nats: dict[str, Any]

    @property
    def runtime(self) -> ServiceRuntime[ReadModels]:
        found = self.client.app.state.runtime  # type: ignore[attr-defined]
        assert isinstance(found, ServiceRuntime)
        return found

    def headers(self, user: str, *roles: str, **extra: str) -> dict[str, str]:
        teams = MANAGED_TEAMS.get(user, []) if "team_manager" in roles else []
        token = self.issuer.mint(user, roles, teams=teams)
        return {"Authorization": f"Bearer {token}", **extra}

    def write_headers(
        self, user: str, role: str = "social_worker", if_match: str | None = None
    ) -> dict[str, str]:
        headers = self.headers(user, role, **{"Idempotency-Key": str(uuid4())})
        if if_match is not None:
            headers["If-Match"] = if_match
        return headers

    def child_in_care(
        self,
        *,
        social_worker: str,
        date_of_birth: date = date(2012, 5, 1),
        start: date = date(2023, 1, 10),
        end: date | None = None,
        iro: str | None = None,
    ) -> UUID:
        """A child casefile has registered, taken into care and allocated; waits until known."""
        child = uuid4()
        period = str(uuid4())
        events: list[IntegrationEvent] = list(
            casefile_child_in_care(child, social_worker, date_of_birth, start, period)
        )
        if iro is not None:
            events.append(
                casefile.IroAppointed(child_id=str(child), effective_date=start, iro_id=iro)
            )
        if end is not None:
            events.append(
                casefile.PeriodOfCareEnded(
                    child_id=str(child),
                    effective_date=end,
                    period_id=period,
                    end_date=end,
                    reason_ceased="E11",
                )
            )
        publish_casefile(self.casefile_nats, *events)
        read = self.runtime.reads
        wait_for(
            lambda: (
                read.allocated_social_worker(child, date.today()) == social_worker
                and read.child_record(child) is not None
            ),
            what=f"casefile facts about {child}",
        )
        if end is not None:
            wait_for(lambda: read.periods_of_care_of(child)[0].end == end, what="period end")
        return child

    def placements_projected(self, child: UUID, count: int) -> None:
        def probe() -> bool:
            record = self.runtime.reads.child_record(child)
            return record is not None and len(record.placements) == count

        wait_for(probe, what=f"{count} placements of {child} in the read model")

    def start(self, child: UUID, user: str, **body: Any) -> Any:
        payload = {"effective_date": "2023-01-10", "placement_type": "U4", **body}
        return self.client.post(
            f"/v1/children/{child}/placements", json=payload, headers=self.write_headers(user)
        )
