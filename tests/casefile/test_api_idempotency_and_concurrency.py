"""Writes are safe to retry (Idempotency-Key) and never overwrite blindly (If-Match)."""

from __future__ import annotations

import threading
from uuid import UUID, uuid4

import httpx
import pytest

from casefile.harness import CasefileService

pytestmark = pytest.mark.integration

VISIT = {"visit_date": "2024-02-01", "seen_alone": True}


def test_a_retry_returns_the_first_response_and_records_nothing(
    casefile_service: CasefileService,
) -> None:
    service = casefile_service
    child_id, _ = service.looked_after()
    key = str(uuid4())
    first = service.post(f"/children/{child_id}/visits", VISIT, key=key)
    assert first.status_code == 201, first.text
    recorded = service.last_sequence()

    retry = service.post(f"/children/{child_id}/visits", VISIT, key=key)
    assert (retry.status_code, retry.json(), retry.headers["ETag"]) == (
        first.status_code,
        first.json(),
        first.headers["ETag"],
    )
    assert service.last_sequence() == recorded
    assert service.case_events(child_id).count("Child.StatutoryVisitRecorded") == 1


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


def test_the_same_key_for_a_different_request_is_refused(
    casefile_service: CasefileService,
) -> None:
    service = casefile_service
    child_id, _ = service.looked_after()
    key = str(uuid4())
    assert service.post(f"/children/{child_id}/visits", VISIT, key=key).status_code == 201
    recorded = service.last_sequence()
    other = service.post(
        f"/children/{child_id}/visits", {**VISIT, "visit_date": "2024-02-02"}, key=key
    )
    assert other.status_code == 422
    assert other.json()["type"] == "urn:belonging:problem:idempotency-key-reused"
    assert service.last_sequence() == recorded


def test_a_refused_request_does_not_use_up_its_key(casefile_service: CasefileService) -> None:
    """Failures are not remembered: the corrected request may reuse the key."""
    service = casefile_service
    child_id, _ = service.looked_after()
    key = str(uuid4())
    refused = service.post(
        f"/children/{child_id}/visits", {**VISIT, "visit_date": "2023-01-01"}, key=key
    )
    assert refused.status_code == 422
    assert service.post(f"/children/{child_id}/visits", VISIT, key=key).status_code == 201


def test_a_write_without_a_key_is_400(casefile_service: CasefileService) -> None:
    child_id, _ = casefile_service.looked_after()
    recorded = casefile_service.last_sequence()
    response = casefile_service.post(f"/children/{child_id}/visits", VISIT, key=None)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "header.idempotency-key"
    assert casefile_service.last_sequence() == recorded


def test_a_stale_if_match_is_412_with_the_current_etag(
    casefile_service: CasefileService,
) -> None:
    service = casefile_service
    child_id, _ = service.looked_after()  # version 3: registered, allocated, looked after
    current = service.get(f"/children/{child_id}").headers["ETag"]
    assert current == '"3"'
    assert service.post(f"/children/{child_id}/visits", VISIT, if_match=3).status_code == 201

    recorded = service.last_sequence()
    stale = service.post(
        f"/children/{child_id}/visits", {**VISIT, "visit_date": "2024-02-03"}, if_match=3
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.headers["ETag"] == '"4"'
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
    assert statuses[0] == 201 and statuses[1] in (409, 412), [r.text for r in responses]
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
