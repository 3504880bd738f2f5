"""The casefile API end to end on real NATS and PostgreSQL: a child's case from the start.

Amira's record: registered on 2 January 2024, allocated to sw.jones (team
north-1), looked after from Monday 8 January 2024 under an interim care order
(C1, abuse or neglect N1), visited on 1 February. Her first review is due
within 20 working days of care starting: Monday 5 February 2024.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from casefile.harness import CasefileService

pytestmark = pytest.mark.integration

NHS_NUMBER = "9434765919"


def test_register_start_period_allocate_visit_and_read_the_case(
    casefile_service: CasefileService,
) -> None:
    service = casefile_service
    registered = service.post(
        "/children",
        {
            "local_child_id": "AMIRA01",
            "date_of_birth": "2015-03-01",
            "sex": "F",
            "ethnicity": "BAFR",
            "registration_date": "2024-01-02",
            "nhs_number": NHS_NUMBER,
        },
    )
    assert registered.status_code == 201, registered.text
    assert registered.headers["ETag"] == '"1"'
    child_id = registered.json()["child_id"]
    assert registered.headers["Location"] == f"/v1/children/{child_id}"

    started = service.post(
        f"/children/{child_id}/periods-of-care",
        {"start_date": "2024-01-08", "legal_status": "C1", "category_of_need": "N1"},
        if_match=1,
    )
    assert started.status_code == 201, started.text
    assert started.json()["version"] == 2
    period_id = started.json()["id"]

    allocated = service.post(
        f"/children/{child_id}/social-worker",
        {"effective_date": "2024-01-08", "social_worker_id": "sw.jones", "team": "north-1"},
        if_match=2,
    )
    assert allocated.status_code == 200, allocated.text
    assert allocated.headers["ETag"] == '"3"'

    visited = service.post(
        f"/children/{child_id}/visits",
        {"visit_date": "2024-02-01", "seen_alone": True, "note": "Amira showed me her room."},
        if_match=3,
    )
    assert visited.status_code == 201, visited.text

    case = service.get(f"/children/{child_id}", params={"as_of": "2024-02-02"})
    assert case.status_code == 200, case.text
    assert case.headers["ETag"] == '"4"'
    body = case.json()
    assert body["version"] == 4
    assert body["nhs_number"] == NHS_NUMBER
    summary = body["summary"]
    assert summary["local_child_id"] == "AMIRA01"
    assert summary["looked_after"] is True
    assert summary["current_period"] == {
        "period_id": period_id,
        "start_date": "2024-01-08",
        "legal_status": "C1",
        "category_of_need": "N1",
    }
    assert summary["allocated_worker"] == {
        "social_worker_id": "sw.jones",
        "team": "north-1",
        "since": "2024-01-08",
    }
    assert summary["last_visit"] == "2024-02-01"
    assert summary["next_review_due"] == "2024-02-05"


def test_the_register_lists_children_the_caller_may_see(
    casefile_service: CasefileService,
) -> None:
    service = casefile_service
    in_care, _ = service.looked_after()
    not_in_care = service.register()

    def listed(user: str, role: str, **params: str) -> set[str]:
        response = service.get("/children", user=user, role=role, params=params)
        assert response.status_code == 200, response.text
        return {item["child_id"] for item in response.json()["items"]}

    both = {str(in_care), str(not_in_care)}
    service.settle()
    assert both <= listed("auditor.khan", "auditor")
    assert str(in_care) in listed("auditor.khan", "auditor", looked_after="true")
    assert str(not_in_care) not in listed("auditor.khan", "auditor", looked_after="true")
    assert both <= listed("sw.jones", "social_worker")
    # tm.okafor manages north-1, where both are allocated; tm.reid manages south-2.
    assert both <= listed("tm.okafor", "team_manager")
    assert listed("tm.reid", "team_manager") == set()
    assert listed("sw.other", "social_worker") == set()


def test_history_shows_who_recorded_what_and_the_record_as_it_stood(
    casefile_service: CasefileService,
) -> None:
    service = casefile_service
    child_id, period_id = service.looked_after()
    before_change = datetime.now(UTC)
    changed = service.post(
        f"/children/{child_id}/periods-of-care/{period_id}/legal-status",
        {"effective_date": "2024-03-01", "legal_status": "C2"},
        user="tm.okafor",
        role="team_manager",
        X_Purpose="court-order",
    )
    assert changed.status_code == 200, changed.text

    history = service.get(f"/children/{child_id}/history", user="auditor.khan", role="auditor")
    assert history.status_code == 200, history.text
    assert history.json()["chain_intact"] is True
    entries = history.json()["entries"]
    assert [e["event_type"] for e in entries] == [
        "ChildRegistered",
        "SocialWorkerAllocated",
        "PeriodOfCareStarted",
        "LegalStatusChanged",
    ]
    last = entries[-1]
    assert (last["actor"], last["role"], last["purpose"]) == (
        "tm.okafor",
        "team_manager",
        "court-order",
    )
    assert last["effective_date"] == "2024-03-01"
    assert entries[0]["actor"] == "sw.jones"

    as_it_stood = service.get(
        f"/children/{child_id}/history",
        user="auditor.khan",
        role="auditor",
        params={"as_of_recorded": before_change.isoformat()},
    )
    assert len(as_it_stood.json()["entries"]) == 3

    then = service.get(
        f"/children/{child_id}",
        params={"as_of": "2024-03-02", "as_of_recorded": before_change.isoformat()},
    )
    now = service.get(f"/children/{child_id}", params={"as_of": "2024-03-02"})
    assert then.json()["summary"]["current_period"]["legal_status"] == "C1"
    assert now.json()["summary"]["current_period"]["legal_status"] == "C2"
    # Valid time: before 1 March the record (as it now stands) says C1.
    feb = service.get(f"/children/{child_id}", params={"as_of": "2024-02-29"})
    assert feb.json()["summary"]["current_period"]["legal_status"] == "C1"


def test_every_command_of_a_case_is_recorded(casefile_service: CasefileService) -> None:
    """One of each command; each answers with the next version."""
    service = casefile_service
    child_id, _ = service.looked_after()
    base = f"/children/{child_id}"
    iro = {"user": "iro.patel", "role": "iro"}
    steps: list[tuple[str, dict[str, object], dict[str, str]]] = [
        ("/iro", {"effective_date": "2024-01-09", "iro_id": "iro.patel"}, {}),
        ("/care-plan", {"effective_date": "2024-01-20", "note": "Stay with carers"}, {}),
        ("/permanence-plan", {"effective_date": "2024-01-21", "plan_type": "adoption"}, {}),
        ("/reviews", {"scheduled_date": "2024-02-01", "effective_date": "2024-01-10"}, iro),
        ("/missing-episodes", {"start_date": "2024-02-10", "missing_type": "M"}, {}),
        ("/adoption/decision", {"effective_date": "2024-03-01"}, {}),
        ("/adoption/placement-order", {"effective_date": "2024-03-10"}, {}),
        ("/adoption/match", {"effective_date": "2024-04-01"}, {}),
        ("/views-and-wishes", {"effective_date": "2024-04-02", "views": "I like it here"}, iro),
        ("/corrections", {"ethnicity": "BCRB", "effective_date": "2024-04-03"}, {}),
    ]
    version = 3
    created: dict[str, UUID] = {}
    for path, body, who in steps:
        response = service.post(base + path, body, **who)
        assert response.status_code in (200, 201), (path, response.text)
        version += 1
        assert response.json()["version"] == version, path
        if response.json().get("id"):
            created[path] = UUID(response.json()["id"])

    review_id = created["/reviews"]
    held = service.post(
        f"{base}/reviews/{review_id}/held",
        {"review_date": "2024-02-01", "participation": "PN1", "child_views_recorded": True},
        **iro,
    )
    assert held.status_code == 200, held.text
    ended = service.post(
        f"{base}/missing-episodes/{created['/missing-episodes']}/end",
        {
            "end_date": "2024-02-11",
            "return_interview_offered": True,
            "return_interview_accepted": False,
        },
    )
    assert ended.status_code == 200, ended.text

    case = service.get(base, params={"as_of": "2024-04-05"}).json()
    assert case["summary"]["iro_id"] == "iro.patel"
    assert case["summary"]["last_review"] == "2024-02-01"
    assert case["summary"]["ethnicity"] == "BCRB"
    assert case["summary"]["adoption"]["matched_date"] == "2024-04-01"
    assert case["summary"]["permanence_plan_type"] == "adoption"


def test_a_care_leaver_s_contacts(casefile_service: CasefileService) -> None:
    """Jordan, born 1 June 2006, looked after from 2021; 18 on 1 June 2024."""
    service = casefile_service
    child_id = service.register(date_of_birth="2006-06-01")
    base = f"/children/{child_id}"
    assert (
        service.post(
            f"{base}/periods-of-care",
            {"start_date": "2021-09-01", "legal_status": "C2", "category_of_need": "N1"},
        ).status_code
        == 201
    )
    steps = [
        ("/care-leaver/eligibility", {"effective_date": "2022-06-01", "status": "eligible"}),
        ("/personal-adviser", {"effective_date": "2022-06-01", "personal_adviser_id": "pa.li"}),
        ("/pathway-plan", {"effective_date": "2022-07-01"}),
    ]
    for path, body in steps:
        response = service.post(base + path, body)
        assert response.status_code == 200, (path, response.text)
    pa = {"user": "pa.li", "role": "personal_adviser"}
    assert (
        service.post(
            f"{base}/periods-of-care/{service.get(base).json()['summary']['current_period']['period_id']}/end",
            {"end_date": "2024-06-01", "reason_ceased": "E8"},
        ).status_code
        == 200
    )
    for path, body in [
        ("/care-leaver/eligibility", {"effective_date": "2024-06-01", "status": "former_relevant"}),
        ("/pathway-plan/reviews", {"effective_date": "2024-07-01"}),
        ("/staying-put", {"effective_date": "2024-06-01", "staying_put": True}),
    ]:
        response = service.post(base + path, body, **pa)
        assert response.status_code == 200, (path, response.text)
    contact = service.post(
        f"{base}/in-touch-contacts",
        {"contact_date": "2024-07-02", "in_touch": "YES", "activity": "F2", "accommodation": "Z1"},
        **pa,
    )
    assert contact.status_code == 201, contact.text
    summary = service.get(base, params={"as_of": "2024-07-03"}, **pa).json()["summary"]
    assert summary["care_leaver_status"] == "former_relevant"
    assert summary["personal_adviser_id"] == "pa.li"
    assert summary["last_in_touch_contact"] == "2024-07-02"
    assert summary["staying_put"] is True


def test_the_service_is_ready_when_nats_postgres_and_projections_are(
    casefile_service: CasefileService,
) -> None:
    ready = casefile_service.client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {
        "nats_connected": "ok",
        "postgres_reachable": "ok",
        "projections_running": "ok",
        "integration_quarantine": "ok",
    }


def test_rebuilding_the_read_models_from_the_stream_gives_the_same_rows(
    casefile_service: CasefileService,
) -> None:
    """Projections are pure functions of the events: a replay equals the live tables."""
    casefile_service.looked_after()
    casefile_service.settle()

    reports = casefile_service.rebuild_read_models()
    assert [r.projection for r in reports] == [
        "casefile_case_team",
        "casefile_children",
        "casefile_break_glass",
        "casefile_other_services",  # what placements published: nothing in this module
    ]
    for report in reports:
        assert report.events > 0 or report.projection == "casefile_other_services"
        assert not any(report.differences.values()), report


def test_history_links_to_the_other_services_histories_of_the_child(
    casefile_service: CasefileService,
) -> None:
    """Each other service keeps and serves its own record of the child (ADR 0018)."""
    service = casefile_service
    child_id, _ = service.looked_after()
    history = service.get(f"/children/{child_id}/history", user="auditor.khan", role="auditor")
    assert history.status_code == 200, history.text
    assert history.json()["elsewhere"] == [
        {"service": "placements", "href": f"/v1/children/{child_id}/history"},
        {"service": "health", "href": f"/v1/children/{child_id}/health"},
        {"service": "education", "href": f"/v1/children/{child_id}/education"},
    ]
