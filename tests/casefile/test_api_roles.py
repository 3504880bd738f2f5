"""Who may do what: the role table, relationships from `case_team`, break-glass, reads logged."""

from __future__ import annotations

from uuid import uuid4

import pytest

from casefile.harness import CasefileService
from services.casefile.api import routers
from services.casefile.api.policy import POLICY, READ_ACTIONS, UNRELATED_READERS
from shared.eventstore import envelope as env

pytestmark = pytest.mark.integration

VISIT = {"visit_date": "2024-02-01", "seen_alone": True}
ALLOCATION = {"effective_date": "2024-02-01", "social_worker_id": "sw.new", "team": "north-1"}


def test_every_route_names_an_action_of_the_role_table() -> None:
    actions = set()
    for router in routers():
        for route in router.routes:
            for dependency in route.dependant.dependencies:  # type: ignore[attr-defined]
                name = getattr(dependency.call, "__name__", "")
                if name.startswith("require_"):
                    actions.add(name)
    assert len(actions) == len(POLICY)
    for action in set(POLICY) - READ_ACTIONS:
        assert not POLICY[action] & UNRELATED_READERS, action


def test_a_request_without_a_token_is_401(casefile_service: CasefileService) -> None:
    response = casefile_service.client.get("/v1/children")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role", ["auditor", "performance"])
def test_read_only_roles_read_any_child_and_write_nothing(
    casefile_service: CasefileService, role: str
) -> None:
    service = casefile_service
    child_id, period_id = service.looked_after()
    assert service.get(f"/children/{child_id}", user=f"{role}.one", role=role).status_code == 200
    before = service.last_sequence()
    writes = [
        (
            "/children",
            {
                "local_child_id": "X1",
                "date_of_birth": "2015-01-01",
                "sex": "F",
                "ethnicity": "WBRI",
            },
        ),
        (f"/children/{child_id}/visits", VISIT),
        (f"/children/{child_id}/social-worker", ALLOCATION),
        (
            f"/children/{child_id}/periods-of-care/{period_id}/end",
            {"end_date": "2024-02-01", "reason_ceased": "E8"},
        ),
    ]
    for path, body in writes:
        response = service.post(path, body, user=f"{role}.one", role=role)
        assert response.status_code == 403, (path, response.text)
        assert response.json()["type"] == "urn:belonging:problem:role-not-permitted"
    assert service.last_sequence() == before


def test_the_iro_records_reviews_but_does_not_allocate(casefile_service: CasefileService) -> None:
    service = casefile_service
    child_id, _ = service.looked_after()
    iro = {"user": "iro.patel", "role": "iro"}
    # Not yet the child's IRO: not related.
    assert (
        service.post(
            f"/children/{child_id}/reviews", {"scheduled_date": "2024-02-01"}, **iro
        ).status_code
        == 403
    )
    appointed = service.post(
        f"/children/{child_id}/iro", {"effective_date": "2024-01-09", "iro_id": "iro.patel"}
    )
    assert appointed.status_code == 200, appointed.text

    review_id = uuid4()
    held = service.post(
        f"/children/{child_id}/reviews/{review_id}/held",
        {"review_date": "2024-02-01", "participation": "PN1", "child_views_recorded": True},
        **iro,
    )
    assert held.status_code == 200, held.text
    refused = service.post(f"/children/{child_id}/social-worker", ALLOCATION, **iro)
    assert refused.status_code == 403
    assert refused.json()["type"] == "urn:belonging:problem:role-not-permitted"
    # Social workers schedule reviews but do not record them.
    assert (
        service.post(
            f"/children/{child_id}/reviews/{uuid4()}/held",
            {"review_date": "2024-02-01", "participation": "PN1", "child_views_recorded": True},
        ).status_code
        == 403
    )


def test_an_unrelated_social_worker_needs_break_glass_which_is_recorded(
    casefile_service: CasefileService,
) -> None:
    service = casefile_service
    child_id, _ = service.looked_after()
    stranger = {"user": "sw.duty", "role": "social_worker"}
    before = service.last_sequence()
    for response in (
        service.get(f"/children/{child_id}", **stranger),
        service.post(f"/children/{child_id}/visits", VISIT, **stranger),
    ):
        assert response.status_code == 403
        assert response.json()["type"] == "urn:belonging:problem:not-related"
    assert service.last_sequence() == before

    reason = "Out-of-hours emergency: child missing, allocated worker unreachable"
    visited = service.post(
        f"/children/{child_id}/visits", VISIT, X_Break_Glass_Reason=reason, **stranger
    )
    assert visited.status_code == 201, visited.text
    [visit] = [
        m
        for m in service.messages(str(child_id))
        if m.headers[env.EVENT_TYPE] == "Child.StatutoryVisitRecorded"
    ]
    assert visit.headers[env.ACTOR] == "sw.duty"
    keyring = service.client.app.state.started.application.mapper.keyring  # type: ignore[attr-defined]
    assert env.break_glass_reason(visit.headers, keyring) == reason  # sealed with the record

    history = service.get(f"/children/{child_id}/history", user="auditor.khan", role="auditor")
    assert history.json()["entries"][-1]["break_glass_reason"] == reason


def test_team_managers_act_for_their_teams_children(casefile_service: CasefileService) -> None:
    service = casefile_service
    child_id, _ = service.looked_after()  # allocated to sw.jones in north-1
    north = {"user": "tm.okafor", "role": "team_manager"}
    south = {"user": "tm.reid", "role": "team_manager"}
    assert (
        service.post(
            f"/children/{child_id}/care-plan", {"effective_date": "2024-01-20"}, **south
        ).status_code
        == 403
    )
    moved = service.post(
        f"/children/{child_id}/social-worker",
        {
            "effective_date": "2024-02-01",
            "social_worker_id": "sw.south",
            "team": "south-2",
            "reason": "MANAGE",
        },
        **north,
    )
    assert moved.status_code == 200, moved.text
    assert (
        service.post(
            f"/children/{child_id}/care-plan", {"effective_date": "2024-02-20"}, **south
        ).status_code
        == 200
    )
    assert (
        service.post(
            f"/children/{child_id}/care-plan", {"effective_date": "2024-02-21"}, **north
        ).status_code
        == 403
    )


def test_reallocation_moves_who_may_act(casefile_service: CasefileService) -> None:
    """The case_team read model follows allocations: the old worker loses access."""
    service = casefile_service
    child_id, _ = service.looked_after()
    new_worker = {"user": "sw.new", "role": "social_worker"}
    assert service.get(f"/children/{child_id}", **new_worker).status_code == 403
    reallocated = service.post(
        f"/children/{child_id}/social-worker", {**ALLOCATION, "reason": "LEFTRL"}
    )
    assert reallocated.status_code == 200, reallocated.text
    assert service.get(f"/children/{child_id}", **new_worker).status_code == 200
    service.settle()
    assert service.get(f"/children/{child_id}").status_code == 403  # sw.jones


def test_the_personal_adviser_writes_contacts_once_appointed(
    casefile_service: CasefileService,
) -> None:
    service = casefile_service
    child_id = service.register(date_of_birth="2006-01-15")
    period = service.post(
        f"/children/{child_id}/periods-of-care",
        {"start_date": "2020-01-01", "legal_status": "C2", "category_of_need": "N1"},
    )
    assert period.status_code == 201
    assert (
        service.post(
            f"/children/{child_id}/care-leaver/eligibility",
            {"effective_date": "2022-01-15", "status": "eligible"},
        ).status_code
        == 200
    )
    adviser = {"user": "pa.li", "role": "personal_adviser"}
    contact = {
        "contact_date": "2024-01-20",
        "in_touch": "YES",
        "activity": "F2",
        "accommodation": "Z1",
    }
    assert (
        service.post(f"/children/{child_id}/in-touch-contacts", contact, **adviser).status_code
        == 403
    )
    assert (
        service.post(
            f"/children/{child_id}/personal-adviser",
            {"effective_date": "2022-01-15", "personal_adviser_id": "pa.li"},
        ).status_code
        == 200
    )
    recorded = service.post(f"/children/{child_id}/in-touch-contacts", contact, **adviser)
    assert recorded.status_code == 201, recorded.text
    # The adviser writes leaving-care records, not the care plan.
    assert (
        service.post(
            f"/children/{child_id}/care-plan", {"effective_date": "2024-01-20"}, **adviser
        ).status_code
        == 403
    )


def test_every_read_of_a_record_is_itself_recorded(casefile_service: CasefileService) -> None:
    service = casefile_service
    child_id, _ = service.looked_after()
    case_events = service.case_events(child_id)
    read = service.get(
        f"/children/{child_id}", user="auditor.khan", role="auditor", X_Purpose="inspection"
    )
    assert read.status_code == 200
    service.get(f"/children/{child_id}/history")

    history = service.get(
        f"/children/{child_id}/history",
        user="auditor.khan",
        role="auditor",
        params={"include_reads": "true"},
    )
    reads = [e for e in history.json()["entries"] if e["record"] == "access"]
    assert [(e["event_type"], e["actor"], e["role"], e["purpose"]) for e in reads] == [
        ("Opened", "auditor.khan", "auditor", "inspection"),
        ("RecordRead", "auditor.khan", "auditor", "inspection"),
        ("RecordRead", "sw.jones", "social_worker", "direct-care"),
    ]
    assert history.json()["chain_intact"] is True
    # Reading changes the access log, never the child's record.
    assert service.case_events(child_id) == case_events


def test_listing_children_records_a_read_of_each_listed_child(
    casefile_service: CasefileService,
) -> None:
    service = casefile_service
    first, _ = service.looked_after()
    second, _ = service.looked_after()
    service.settle()
    listed = service.get("/children", user="auditor.khan", role="auditor", X_Purpose="audit-sample")
    assert listed.status_code == 200
    assert {str(first), str(second)} <= {item["child_id"] for item in listed.json()["items"]}
    for child_id in (first, second):
        history = service.get(
            f"/children/{child_id}/history",
            user="auditor.khan",
            role="auditor",
            params={"include_reads": "true"},
        )
        reads = [e for e in history.json()["entries"] if e["record"] == "access"]
        # The list's read: one atomic save across every listed child's log,
        # told apart from this history read by its purpose.
        assert ("RecordRead", "auditor.khan", "auditor", "audit-sample") in [
            (e["event_type"], e["actor"], e["role"], e["purpose"]) for e in reads
        ]


def test_a_break_glass_reason_in_welsh_reaches_the_audit_trail_as_written(
    casefile_service: CasefileService,
) -> None:
    service = casefile_service
    child_id, _ = service.looked_after()
    reason = "Argyfwng: plentyn ar goll — gweithiwr heb ateb"
    visited = service.post(
        f"/children/{child_id}/visits",
        VISIT,
        user="sw.duty",
        role="social_worker",
        X_Break_Glass_Reason=reason.encode("utf-8"),  # as a client sends it
    )
    assert visited.status_code == 201, visited.text
    history = service.get(f"/children/{child_id}/history", user="auditor.khan", role="auditor")
    assert history.json()["entries"][-1]["break_glass_reason"] == reason
