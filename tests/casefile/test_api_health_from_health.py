"""Health assessments are written once, in health; casefile's case summary learns them.

Casefile's relay tells health of the child; health's relay tells casefile of
the assessment and of its correction. Real NATS and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from nats_access import NatsAccess, fresh_integration_streams

from casefile.beside import Beside, service_beside
from casefile.harness import CasefileService, wait_for
from services.health.bootstrap import build_app as build_health
from services.health.settings import HealthSettings
from shared.eventstore import envelope as env

pytestmark = pytest.mark.integration

CASEFILE_RELAY = True
NURSE = ("nurse.ali", "lac_nurse")


@pytest.fixture(scope="module", autouse=True)
def fresh_streams(nats_url: str) -> None:
    fresh_integration_streams(nats_url, "casefile", "health")


@pytest.fixture(scope="module")
def health(
    casefile_service: CasefileService,
    nats_access: NatsAccess,
    nats_url: str,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Beside]:
    issuers = tmp_path_factory.mktemp("health-issuer")
    with service_beside(
        "health",
        build_health,
        HealthSettings,
        nats_access,
        nats_url,
        database_url,
        issuers,
        relay=True,
    ) as made:
        yield made


def _summary(casefile: CasefileService, child: Any) -> dict[str, Any]:
    summary: dict[str, Any] = casefile.get(f"/children/{child}").json()["summary"]
    return summary


def test_an_assessment_done_in_health_dates_the_case_and_its_correction_withdraws_it(
    casefile_service: CasefileService, health: Beside
) -> None:
    casefile = casefile_service
    child, _ = casefile.looked_after()  # looked after from 8 January 2024
    assert _summary(casefile, child)["last_health_assessment"] is None
    # Casefile has no endpoint for assessments of its own.
    own = casefile.post(
        f"/children/{child}/health-assessments", {"effective_date": "2024-02-01", "kind": "initial"}
    )
    assert own.status_code in (404, 405)

    recorded: dict[str, Any] = {}

    def assessed() -> bool:
        response = health.client.post(
            f"/v1/children/{child}/health/initial-assessments",
            json={"assessment_date": "2024-02-01", "practitioner_id": "dr.okafor"},
            headers=health.headers(*NURSE, write=True),
        )
        recorded["response"] = response
        return response.status_code == 201

    wait_for(assessed, 20)  # health learns the child from casefile's relay first
    entry = recorded["response"].json()["id"]
    wait_for(lambda: _summary(casefile, child)["last_health_assessment"] == "2024-02-01", 20)
    learned = [
        m
        for m in casefile.messages(str(child))
        if m.headers[env.EVENT_TYPE].endswith("HealthAssessmentRecorded")
    ]
    assert [(m.headers[env.ACTOR], m.headers[env.ROLE]) for m in learned] == [
        ("health-service", "service")
    ]

    # ...and the child's history in casefile lists it, linking to health's record.
    def from_health() -> list[dict[str, Any]] | None:
        history = casefile.get(f"/children/{child}/history", "aud.green", "auditor").json()
        found = [e for e in history["from_other_services"] if e["service"] == "health"]
        return found or None

    (listed,) = [
        e for e in wait_for(from_health, 20) if e["event_type"] == "assessment.completed.v1"
    ]
    assert listed["facts"]["assessment_date"] == "2024-02-01"
    assert listed["history"] == f"/v1/children/{child}/health"
    assert "practitioner_id" not in listed["facts"]  # minimised by health's contract

    voided = health.client.post(
        f"/v1/children/{child}/health/entries/{entry}/void",
        json={"reason": "KEYING"},
        headers=health.headers(*NURSE, write=True),
    )
    assert voided.status_code in (200, 201), voided.text
    wait_for(lambda: _summary(casefile, child)["last_health_assessment"] is None, 20)
