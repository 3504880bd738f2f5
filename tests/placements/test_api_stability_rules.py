"""Issue #18 through the API: stability follows DfE's definitions from the facts.

Short breaks by legal status (not a placement flag), carers named wherever a
count depends on them, SSDA903 temporary-placement rules 375/377/383 at entry,
and a measure with no data source shown as null with its reason. Real servers.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from placements.harness import Service, publish_casefile, wait_for
from shared.contracts import casefile

pytestmark = pytest.mark.integration

SW = "sw.njoku"
AS_OF = "2024-03-31"


def problem_fields(response: Any) -> list[str]:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return [e["field"] for e in response.json().get("errors", [])]


def child_in_care_under(service: Service, legal_status: str, start: date) -> UUID:
    """A child casefile took into care under `legal_status` (published as its relay would)."""
    child = uuid4()
    publish_casefile(
        service.casefile_nats,
        casefile.ChildRegistered(
            child_id=str(child), effective_date=start, date_of_birth=date(2012, 5, 1), uasc=False
        ),
        casefile.PeriodOfCareStarted(
            child_id=str(child),
            effective_date=start,
            period_id=str(uuid4()),
            start_date=start,
            legal_status=legal_status,
            category_of_need="N2",
        ),
        casefile.SocialWorkerAllocated(
            child_id=str(child), effective_date=start, social_worker_id=SW, team="Team A"
        ),
    )
    read = service.runtime.reads
    wait_for(
        lambda: (
            read.allocated_social_worker(child, start) == SW
            and read.legal_status_on(child, start) == legal_status
            and read.child_record(child) is not None
        ),
        what=f"casefile facts about {child}",
    )
    return child


def stability(service: Service, child: UUID) -> dict[str, Any]:
    response = service.client.get(
        f"/v1/children/{child}/stability?as_of={AS_OF}",
        headers=service.headers(SW, "social_worker"),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def move(service: Service, child: UUID, placement: str, **body: Any) -> Any:
    return service.client.post(
        f"/v1/children/{child}/placements/{placement}/move",
        json=body,
        headers=service.write_headers(SW),
    )


# --------------------------------------------------------------- short breaks


def test_a_child_under_v4_at_home_between_breaks_is_not_in_the_cohort(service: Service) -> None:
    child = child_in_care_under(service, "V4", date(2023, 1, 10))
    body = stability(service, child)
    assert (body["looked_after"], body["legal_status"], body["in_cohort"]) == (True, "V4", False)


def test_a_child_under_v4_in_a_placement_without_the_flag_is_not_in_the_cohort(
    service: Service,
) -> None:
    child = child_in_care_under(service, "V4", date(2023, 1, 10))
    started = service.start(child, SW, carer_id="respite-1")
    assert started.status_code == 201, started.text
    service.placements_projected(child, 1)
    body = stability(service, child)
    assert (body["in_cohort"], body["placement_count"]) == (False, 0)


def test_a_child_on_a_care_order_is_in_the_cohort_whatever_short_break_says(
    service: Service,
) -> None:
    child = child_in_care_under(service, "C2", date(2023, 1, 10))
    started = service.start(child, SW, carer_id="household-1", short_break=True)
    assert started.status_code == 201, started.text
    service.placements_projected(child, 1)
    body = stability(service, child)
    assert (body["in_cohort"], body["placement_count"]) == (True, 1)


# ------------------------------------------------------- carers named, never guessed


def test_a_move_without_carers_is_a_422_naming_body_carer_id(service: Service) -> None:
    child = child_in_care_under(service, "C2", date(2023, 1, 10))
    first = service.start(child, SW, placement_type="U6", carer_id="household-1").json()["id"]
    refused = move(
        service,
        child,
        first,
        effective_date="2023-06-01",
        placement_type="U4",
        reason_place_change="CARPL",
    )
    assert refused.status_code == 422, refused.text
    assert problem_fields(refused) == ["body.carer_id"]
    # Named, the same carers: U6 -> U4 is long-term fostering with them, not a move.
    same = move(
        service,
        child,
        first,
        effective_date="2023-06-01",
        placement_type="U4",
        reason_place_change="CARPL",
        carer_id="household-1",
    )
    assert same.status_code == 200, same.text
    service.placements_projected(child, 2)
    body = stability(service, child)
    assert (body["placement_count"], body["move_count"]) == (1, 0)


# ----------------------------------------------- SSDA903 temporary placement rules


def test_temporary_placement_rules_375_and_383_at_entry(service: Service) -> None:
    child = child_in_care_under(service, "C2", date(2023, 1, 10))
    first = service.start(
        child, SW, placement_type="U6", carer_id="household-1", postcode="AB1 2CD"
    ).json()["id"]
    hospital = move(service, child, first, effective_date="2023-06-01", placement_type="T1")
    assert hospital.status_code == 200, hospital.text
    t1 = hospital.json()["id"]
    back = {"placement_type": "U6", "carer_id": "household-1", "postcode": "AB1 2CD"}
    # Rule 375: six weeks at most (to 13 July).
    too_long = move(service, child, t1, effective_date="2023-07-14", **back)
    assert too_long.status_code == 422, too_long.text
    assert problem_fields(too_long) == ["body.effective_date"]
    # Rule 383: back to the usual placement, not elsewhere.
    elsewhere = move(
        service, child, t1, effective_date="2023-07-01", **{**back, "placement_type": "K2"}
    )
    assert elsewhere.status_code == 422, elsewhere.text
    assert problem_fields(elsewhere) == ["body.placement_type"]
    returned = move(service, child, t1, effective_date="2023-07-01", **back)
    assert returned.status_code == 200, returned.text


def test_rule_377_a_third_carer_holiday_in_a_year_is_refused(service: Service) -> None:
    child = child_in_care_under(service, "C2", date(2023, 1, 10))
    current = service.start(child, SW, placement_type="U6", carer_id="household-1").json()["id"]
    for away, back in (("2023-04-01", "2023-04-08"), ("2023-08-01", "2023-08-08")):
        holiday = move(service, child, current, effective_date=away, placement_type="T3")
        assert holiday.status_code == 200, holiday.text
        returned = move(
            service,
            child,
            holiday.json()["id"],
            effective_date=back,
            placement_type="U6",
            carer_id="household-1",
        )
        assert returned.status_code == 200, returned.text
        current = returned.json()["id"]
    third = move(service, child, current, effective_date="2024-03-31", placement_type="T3")
    assert third.status_code == 422, third.text
    assert problem_fields(third) == ["body.placement_type"]


# ------------------------------------------------- a measure with no data source


def test_school_moves_with_no_data_source_are_null_with_a_reason(service: Service) -> None:
    child = child_in_care_under(service, "C2", date(2023, 1, 10))
    body = stability(service, child)
    assert body["mid_year_school_moves"] is None
    assert "no data source" in body["unavailable"]["mid_year_school_moves"]
    response = service.client.get(
        f"/v1/stability?as_of={AS_OF}", headers=service.headers("perf.lee", "performance")
    )
    assert response.status_code == 200, response.text
    index = response.json()["stability_index"]
    assert index["school_moves"] is None
    assert "no data source" in index["unavailable"]["school_moves"]
    assert index["placement_moves"]["percentage"] is not None
