"""Placed for adoption is written once, in placements, and casefile learns it.

Both relays run: casefile's feeds placements (the period of care), placements'
feeds casefile (the placing), on real NATS and PostgreSQL.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
import pytest
from nats_access import fresh_integration_streams

from casefile.beside import Placements, placements_fixture
from casefile.harness import CasefileService, wait_for
from services.casefile.adapters.placements_facts import PLACEMENTS_ACTOR
from shared.eventstore import envelope as env

pytestmark = pytest.mark.integration

CASEFILE_RELAY = True
SW = "sw.jones"


@pytest.fixture(scope="module", autouse=True)
def fresh_streams(nats_url: str) -> None:
    fresh_integration_streams(nats_url, "casefile", "placements")


placements = placements_fixture(relay=True)


def _in_care_and_placed(casefile: CasefileService, placements: Placements) -> tuple[UUID, str]:
    child = casefile.register(date_of_birth="2019-04-02", registration_date="2023-01-02")
    period = casefile.post(
        f"/children/{child}/periods-of-care",
        {"start_date": "2023-01-10", "legal_status": "C2", "category_of_need": "N1"},
    )
    assert period.status_code == 201, period.text
    started: dict[str, Any] = {}

    def placed() -> bool:
        response = placements.client.post(
            f"/v1/children/{child}/placements",
            json={"effective_date": "2023-01-10", "placement_type": "U4", "carer_id": "fc-1"},
            headers=placements.headers(SW, "social_worker", write=True),
        )
        started["response"] = response
        return response.status_code == 201

    wait_for(placed, 20)
    return child, started["response"].json()["id"]


def _place_for_adoption(placements: Placements, child: UUID, placement_id: str) -> None:
    response = placements.client.post(
        f"/v1/children/{child}/placements/{placement_id}/placed-for-adoption",
        json={
            "effective_date": "2024-02-01",
            "placement_type": "A6",
            "adopters": {"carer_id": "adopters-1", "placement_provider": "PR1"},
        },
        headers=placements.headers(SW, "social_worker", write=True),
    )
    assert response.status_code in (200, 201), response.text


def test_the_placing_recorded_in_placements_reaches_the_adoption_timeline(
    casefile_service: CasefileService, placements: Placements
) -> None:
    casefile = casefile_service
    child, placement_id = _in_care_and_placed(casefile, placements)
    for path, day in (
        ("decision", "2023-06-01"),
        ("placement-order", "2023-09-01"),
        ("match", "2024-01-10"),
    ):
        response = casefile.post(f"/children/{child}/adoption/{path}", {"effective_date": day})
        assert response.status_code == 200, (path, response.text)

    # Casefile takes the placing from placements; it has no endpoint for it of its own.
    refused = casefile.post(f"/children/{child}/adoption/placed", {"effective_date": "2024-02-01"})
    assert refused.status_code in (404, 405)
    _place_for_adoption(placements, child, placement_id)

    def adoption() -> dict[str, Any] | None:
        summary = casefile.get(f"/children/{child}").json()["summary"]
        found: dict[str, Any] | None = summary.get("adoption")
        return found if found and found.get("placed_date") else None

    progress = wait_for(adoption, 20)
    assert progress["placed_date"] == "2024-02-01"
    placings = [
        m
        for m in casefile.messages(str(child))
        if m.headers[env.EVENT_TYPE].endswith("PlacedForAdoption")
    ]
    assert len(placings) == 1
    assert (placings[0].headers[env.ACTOR], placings[0].headers[env.ROLE]) == (
        PLACEMENTS_ACTOR,
        "service",
    )

    # the child's history in casefile shows what placements recorded, in recorded order
    def from_placements() -> list[dict[str, Any]] | None:
        history = casefile.get(f"/children/{child}/history", "aud.green", "auditor").json()
        found: list[dict[str, Any]] = history["from_other_services"]
        return found if len(found) >= 2 else None

    entries = wait_for(from_placements, 20)
    assert [(e["service"], e["event_type"], e["effective_date"]) for e in entries] == [
        ("placements", "placement.started.v1", "2023-01-10"),
        ("placements", "placement.placed-for-adoption.v1", "2024-02-01"),
    ]
    assert entries[1]["facts"]["placement_type"] == "A6"
    assert "carer_id" not in entries[1]["facts"]  # minimised by placements' contract
    assert all(e["history"] == f"/v1/children/{child}/history" for e in entries)
    # now the adoption order, which needs the placing first, can be recorded in casefile
    adopted = casefile.post(f"/children/{child}/adoption/adopted", {"effective_date": "2024-09-01"})
    assert adopted.status_code == 200, adopted.text


def test_a_placing_the_adoption_timeline_cannot_take_is_kept_and_says_why(
    casefile_service: CasefileService, placements: Placements
) -> None:
    casefile = casefile_service
    child, placement_id = _in_care_and_placed(casefile, placements)  # no decision recorded
    _place_for_adoption(placements, child, placement_id)

    def not_taken() -> Any:
        with psycopg.connect(casefile.database_url) as conn:
            return conn.execute(
                "SELECT rule, event_type FROM casefile_placements_facts.facts_not_taken "
                "WHERE child_id = %s",
                (str(child),),
            ).fetchone()

    rule, event_type = wait_for(not_taken, 20)
    assert rule and event_type == "placement.placed-for-adoption.v1"
    summary = casefile.get(f"/children/{child}").json()["summary"]
    assert not (summary.get("adoption") or {}).get("placed_date")
    assert casefile.get(f"/children/{child}").status_code == 200  # the record is unharmed
