"""Placements honours the break-glass grants casefile published, the same way, and opens none.

sw.duty has no relationship with the child (sw.allocated is the allocated
worker). Casefile records sw.duty's grant and publishes it (fed here as its
relay would, lasting three seconds); placements admits sw.duty until it ends,
flags what sw.duty does with the grant, and refuses afterwards with the same
problem casefile gives. See docs/adr/0015-break-glass.md.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from placements.harness import Service, publish_casefile
from services.placements.application import Placements
from shared.access_log import stored_lanes
from shared.contracts import casefile
from shared.eventstore import envelope as env
from shared.eventstore.reader import StreamReader

pytestmark = pytest.mark.integration

GRANT_SECONDS = 3


def granted(service: Service, child: UUID, user: str) -> casefile.BreakGlassGranted:
    """Casefile's relay publishes a grant to `user`, from now for GRANT_SECONDS."""
    now = datetime.now(UTC)
    grant = casefile.BreakGlassGranted(
        child_id=str(child),
        effective_date=now.date(),
        grant_id=str(uuid4()),
        user_id=user,
        role="social_worker",
        granted_at=now,
        expires_at=now + timedelta(seconds=GRANT_SECONDS),
    )
    publish_casefile(service.casefile_nats, grant)
    return grant


def events_of(service: Service, child: UUID) -> list[Any]:
    """The child's placement history as stored."""
    app: Placements = service.runtime.application
    settings = service.settings
    reader = StreamReader.connect(service.nats_url)
    try:
        subject = f"{settings.event_subject_prefix}.events.{app.aggregate_id(child)}"
        return reader.all_on_subject(settings.event_stream, subject)
    finally:
        reader.close()


def reads_of(service: Service, child: UUID) -> list[Any]:
    """The child's access log in placements, as stored (headers: the audit envelope)."""
    app: Placements = service.runtime.application
    factory: Any = app.access_logs.factory
    return [message for lane in stored_lanes(factory, str(child)) for message in lane]


def test_a_published_grant_is_honoured_until_it_expires(service: Service) -> None:
    child = service.child_in_care(social_worker="sw.allocated")
    started = service.start(child, "sw.allocated")
    assert started.status_code == 201, started.text
    path = f"/v1/children/{child}/placements"
    duty = service.headers("sw.duty", "social_worker")

    refused = service.client.get(path, headers=duty)
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:belonging:problem:not-related"

    grant = granted(service, child, "sw.duty")
    # At once: a miss brings the grants read model up to date before refusing.
    read = service.client.get(path, headers=duty)
    assert read.status_code == 200, read.text
    last_read = reads_of(service, child)[-1]
    assert last_read.headers[env.ACTOR] == "sw.duty"
    assert env.break_glass_reason(last_read.headers, _keyring(service)) == (
        f"break-glass grant {grant.grant_id}"
    )

    placement = started.json()["id"]
    ended = service.client.post(
        f"{path}/{placement}/end",
        json={"effective_date": "2023-02-01"},
        headers=service.write_headers("sw.duty"),
    )
    assert ended.status_code == 200, ended.text
    last_event = events_of(service, child)[-1]
    assert (
        last_event.headers[env.ACTOR],
        env.break_glass_reason(last_event.headers, _keyring(service)),
    ) == (
        "sw.duty",
        f"break-glass grant {grant.grant_id}",
    )

    remaining = (grant.expires_at - datetime.now(UTC)).total_seconds()
    assert remaining <= GRANT_SECONDS
    time.sleep(max(0.0, remaining) + 0.1)

    expired = service.client.get(path, headers=duty)
    assert expired.status_code == 403
    problem = expired.json()
    assert problem["type"] == "urn:belonging:problem:break-glass-expired"
    assert problem["grant_id"] == grant.grant_id
    assert "X-Break-Glass-Reason" in problem["detail"]
    # Another user's grant to the child is not sw.duty's.
    assert service.client.get(path, headers=service.headers("sw.other", "social_worker")).json()[
        "type"
    ] == ("urn:belonging:problem:not-related")


def test_placements_opens_no_grant_and_says_where_to_ask(service: Service) -> None:
    child = service.child_in_care(social_worker="sw.allocated")
    assert service.start(child, "sw.allocated").status_code == 201
    asked = service.client.get(
        f"/v1/children/{child}/placements",
        headers=service.headers(
            "sw.duty", "social_worker", **{"X-Break-Glass-Reason": "Child at A&E"}
        ),
    )
    assert asked.status_code == 403
    problem = asked.json()
    assert problem["type"] == "urn:belonging:problem:break-glass-not-open"
    assert "casefile" in problem["detail"] and f"/v1/children/{child}" in problem["detail"]
    assert service.runtime.reads.latest_break_glass("sw.duty", child) is None


def _keyring(service: Service) -> Any:
    """Placements' record keys (what its history opens sealed reasons with)."""
    return service.runtime.application.mapper.keyring  # type: ignore[attr-defined]
