"""The API rules every service keeps (`tests/shared/api_rules.py`) on the education API, and
education's own: who writes and reads, reads audited, status on any date (real servers)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from api_rules import ApiRules, ServiceUnderTest, WriteCase

from education.conftest import known_child
from education.harness import VS, Running, wait_for

pytestmark = pytest.mark.integration

SW = "sw.adeyemi"


def version(service: Running, child: UUID) -> int:
    response = service.client.get(
        f"/v1/children/{child}/education", headers=service.headers(VS, "virtual_school")
    )
    if response.status_code == 404:
        return 0
    assert response.status_code == 200, response.text
    return int(response.headers["ETag"].strip('"'))


class TestEducationApiRules(ApiRules):
    """The shared rules, on the endpoint that enrols a child at a school."""

    @pytest.fixture
    def under_test(self, education: Running) -> ServiceUnderTest:
        def fresh() -> WriteCase:
            child = known_child(education)
            return WriteCase(
                path=f"/children/{child}/enrolments",
                body={"urn": "100001", "phase": "primary", "effective_date": "2023-09-04"},
                other_body={"urn": "100002", "phase": "primary", "effective_date": "2023-09-05"},
                date_field="effective_date",
                version=lambda: version(education, child),
            )

        return ServiceUnderTest(
            client=education.client,
            mint=education.issuer.mint,
            writer=(VS, "virtual_school"),
            reader_only=("aud.green", "auditor"),
            unrelated=("dt.elsewhere", "designated_teacher"),
            fresh=fresh,
        )


def post(service: Running, path: str, body: dict[str, object], **who: str) -> dict[str, object]:
    headers = service.write(**who) if who else service.write()
    response = service.client.post(f"/v1{path}", json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    result: dict[str, object] = response.json()
    return result


def test_a_named_designated_teacher_writes_and_reads_and_the_social_worker_only_reads(
    education: Running,
) -> None:
    child = known_child(education, social_worker=SW)
    post(education, f"/children/{child}/enrolments",
         {"urn": "100001", "phase": "primary", "effective_date": "2023-09-04"})  # fmt: skip
    post(education, f"/children/{child}/designated-teacher",
         {"teacher_id": "dt.okafor", "urn": "100001", "effective_date": "2023-09-04"})  # fmt: skip
    teacher = education.write("dt.okafor", "designated_teacher")
    response = education.client.post(
        f"/v1/children/{child}/sen-status",
        json={"sen_status": "K", "effective_date": "2023-10-01"},
        headers=teacher,
    )
    assert response.status_code == 200, response.text
    social_worker = education.headers(SW, "social_worker")
    assert (
        education.client.get(f"/v1/children/{child}/education", headers=social_worker).status_code
        == 200
    )
    refused = education.client.post(
        f"/v1/children/{child}/sen-status",
        json={"sen_status": "N", "effective_date": "2023-11-01"},
        headers={**social_worker, "Idempotency-Key": "k-1"},
    )
    assert refused.status_code == 403
    other = education.headers("sw.other", "social_worker")
    assert education.client.get(f"/v1/children/{child}/education", headers=other).status_code == 403


def test_an_unknown_child_is_refused_and_nothing_recorded(education: Running) -> None:
    child = UUID("00000000-0000-4000-8000-00000000dead")
    response = education.client.post(
        f"/v1/children/{child}/enrolments",
        json={"urn": "100001", "phase": "primary", "effective_date": "2023-09-04"},
        headers=education.write(),
    )
    # The Virtual School is related only to children casefile says are looked after.
    assert response.status_code == 403


def test_status_on_any_date_and_as_recorded_and_every_read_is_audited(education: Running) -> None:
    child = known_child(education)
    post(education, f"/children/{child}/enrolments",
         {"urn": "100001", "phase": "primary", "effective_date": "2023-09-04"})  # fmt: skip
    post(education, f"/children/{child}/school-moves",
         {"urn": "100002", "phase": "primary", "effective_date": "2024-01-15"})  # fmt: skip
    reader = education.headers("aud.green", "auditor")

    def status(**query: str) -> dict[str, object]:
        response = education.client.get(
            f"/v1/children/{child}/education/status", params=query, headers=reader
        )
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    wait_for(
        lambda: (
            education.client.get(
                f"/v1/children/{child}/education/status",
                params={"as_of": "2024-02-01"},
                headers=reader,
            )
            .json()
            .get("current_school", {})
            .get("urn")
            == "100002"
        ),
        what="the status read model",
    )
    before = status(as_of="2024-01-10")
    after = status(as_of="2024-02-01")
    assert before["school_moves_this_year"] == [] and after["school_moves_this_year"] == [
        "2024-01-15"
    ]
    assert after["current_school"] == {"urn": "100002", "phase": "primary", "since": "2024-01-15"}
    # Recorded time: before anything was recorded, nothing is known.
    early = education.client.get(
        f"/v1/children/{child}/education/status",
        params={"as_of": "2024-02-01", "as_of_recorded": "2001-01-01T00:00:00Z"},
        headers=reader,
    )
    assert early.status_code == 404
    log = education.runtime.application.access_logs
    assert len(log.reads_of(str(child))) >= 1
    council = education.client.get(
        "/v1/education/status", params={"as_of": str(date(2024, 2, 1))}, headers=reader
    )
    assert council.status_code == 200
    assert any(c["child_id"] == str(child) for c in council.json()["children"])
