"""Figures as the record stood at a moment, for the facts placements learns from casefile too.

A legal status recorded later in casefile (backdated: the child was under an
agreed series of short breaks, V4, all along) takes the child out of the
stability cohorts as of the same date; asked as the record stood before that
correction was recorded, the child is still in, as first reported.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from placements.harness import Service, publish_casefile, wait_for
from shared.contracts import casefile

pytestmark = pytest.mark.integration

SW = "sw.rt"
AS_OF = "2024-03-31"


def stability(service: Service, child: UUID, **params: str) -> dict[str, Any]:
    response = service.client.get(
        f"/v1/children/{child}/stability",
        params={"as_of": AS_OF, **params},
        headers=service.headers(SW, "social_worker"),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_legal_status_recorded_later_changes_now_but_not_the_record_as_it_stood(
    service: Service,
) -> None:
    child = service.child_in_care(social_worker=SW, start=date(2023, 1, 10))
    started = service.start(child, SW, effective_date="2023-01-10", carer_id="fc-rt")
    assert started.status_code == 201, started.text
    service.placements_projected(child, 1)
    assert stability(service, child)["in_cohort"] is True
    time.sleep(0.05)
    reported = datetime.now(UTC)
    time.sleep(0.05)

    period = _period_id(service, child)
    publish_casefile(
        service.casefile_nats,
        casefile.LegalStatusChanged(
            child_id=str(child),
            effective_date=date(2023, 1, 10),
            period_id=period,
            legal_status="V4",
        ),
    )
    wait_for(lambda: stability(service, child)["in_cohort"] is False, what="the V4 status")

    as_it_stood = stability(service, child, as_of_recorded=reported.isoformat())
    assert as_it_stood["in_cohort"] is True


def _period_id(service: Service, child: UUID) -> str:
    rows = service.runtime.reads._rows(
        "SELECT period_id FROM placements_care_periods.periods_of_care WHERE child_id = %s",
        str(child),
    )
    return str(rows[0][0])
