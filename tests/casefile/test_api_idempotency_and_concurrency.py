"""Casefile's writes keep the API rules every service keeps, and race safely.

The rules themselves (auth, problems, Idempotency-Key, If-Match, nothing
recorded on bad input) are stated once in `tests/shared/api_rules.py`.
"""

from __future__ import annotations

import threading
from uuid import UUID, uuid4

import httpx
import pytest
from api_rules import ApiRules, ServiceUnderTest, WriteCase

from casefile.harness import CasefileService

pytestmark = pytest.mark.integration

VISIT = {"visit_date": "2024-02-01", "seen_alone": True}


class TestCasefileApiRules(ApiRules):
    """The shared API rules, on casefile's statutory-visit endpoint."""

    @pytest.fixture
    def under_test(self, casefile_service: CasefileService) -> ServiceUnderTest:
        service = casefile_service

        def fresh() -> WriteCase:
            child_id, _ = service.looked_after()
            return WriteCase(
                path=f"/children/{child_id}/visits",
                body=VISIT,
                other_body={**VISIT, "visit_date": "2024-02-02"},
                date_field="visit_date",
                version=lambda: int(service.get(f"/children/{child_id}").json()["version"]),
            )

        return ServiceUnderTest(
            client=service.client,
            mint=service.issuer.mint,
            writer=("sw.jones", "social_worker"),
            reader_only=("aud.khan", "auditor"),
            unrelated=("sw.other", "social_worker"),
            fresh=fresh,
        )


def test_a_retry_of_a_registration_returns_the_same_child(
    casefile_service: CasefileService,
) -> None:
    service = casefile_service
    body = {
        "local_child_id": "RETRY01",
        "date_of_birth": "2016-05-05",
        "sex": "M",
        "ethnicity": "WBRI",
        "registration_date": "2024-01-02",
    }
    key = str(uuid4())
    first = service.post("/children", body, key=key)
    recorded = service.last_sequence()
    retry = service.post("/children", body, key=key)
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert service.last_sequence() == recorded


def test_two_writers_from_one_version_one_wins(casefile_service: CasefileService) -> None:
    """Both read version 3 and both write: exactly one change is recorded."""
    service = casefile_service
    child_id, _ = service.looked_after()
    start = threading.Barrier(2)
    responses: list[httpx.Response] = []

    def write(day: str) -> None:
        start.wait()
        responses.append(
            service.post(
                f"/children/{child_id}/visits",
                {"visit_date": day, "seen_alone": False},
                if_match=3,
            )
        )

    writers = [threading.Thread(target=write, args=(d,)) for d in ("2024-02-05", "2024-02-06")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    statuses = sorted(r.status_code for r in responses)
    # The loser sent a precondition: it is told its version is stale (412), never 409.
    assert statuses == [201, 412], [r.text for r in responses]
    assert service.case_events(child_id).count("Child.StatutoryVisitRecorded") == 1


def test_writers_without_if_match_are_both_recorded(casefile_service: CasefileService) -> None:
    """No If-Match: the command is re-run on the newer history, so neither is lost."""
    service = casefile_service
    child_id, _ = service.looked_after()
    # Three writers: each save is retried up to three times, and a writer can
    # only lose to the other two.
    start = threading.Barrier(3)
    versions: list[int] = []

    def write(day: str) -> None:
        start.wait()
        response = service.post(
            f"/children/{child_id}/visits", {"visit_date": day, "seen_alone": True}
        )
        assert response.status_code == 201, response.text
        versions.append(response.json()["version"])

    days = ["2024-02-05", "2024-02-06", "2024-02-07"]
    writers = [threading.Thread(target=write, args=(d,)) for d in days]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert sorted(versions) == [4, 5, 6]
    assert UUID(service.get(f"/children/{child_id}").json()["child_id"]) == child_id


def test_registration_does_not_confirm_a_childs_details_to_the_unrelated(
    casefile_service: CasefileService,
) -> None:
    service = casefile_service
    local = f"C{uuid4().hex[:10].upper()}"
    child_id = service.register(local)  # by sw.jones, who is allocated
    right = {
        "local_child_id": local,
        "date_of_birth": "2015-03-01",
        "sex": "F",
        "ethnicity": "BAFR",
        "registration_date": "2024-01-02",
    }
    wrong = {**right, "date_of_birth": "2016-04-02"}
    stranger = {"user": "sw.stranger", "role": "social_worker"}
    answers = [service.post("/children", body, **stranger) for body in (right, wrong)]
    for answer in answers:
        assert answer.status_code == 409, answer.text
        assert answer.json()["type"] == "urn:belonging:problem:already-registered"
        assert str(child_id) not in answer.text
    # The same answer whether the details match or not.
    assert answers[0].json()["detail"] == answers[1].json()["detail"]
    # The child's own worker is told as before.
    assert service.post("/children", right).status_code == 201
    assert service.post("/children", wrong).status_code == 422
