"""`GET /v1/education/scorecard` on real servers: the measures on a day, on both time bases,
who may read it, and every child counted recorded as read."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest
from nats_access import fresh_integration_streams

from education.conftest import known_child
from education.harness import Running, wait_for

pytestmark = pytest.mark.integration

AS_OF = "2024-02-01"
PUPIL = date(2014, 6, 1)


@pytest.fixture(scope="module", autouse=True)
def only_this_modules_children(nats_url: str) -> None:
    """The council's figures count every child casefile told of: start from none."""
    fresh_integration_streams(nats_url, "casefile")


def post(service: Running, path: str, body: dict[str, object]) -> None:
    response = service.client.post(f"/v1{path}", json=body, headers=service.write())
    assert response.status_code in (200, 201), response.text


def scorecard(service: Running, role: str = "performance", **query: str) -> dict[str, Any]:
    response = service.client.get(
        "/v1/education/scorecard",
        params={"as_of": AS_OF, **query},
        headers=service.headers("perf.lee", role),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def measures(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["key"]: m for m in body["measures"]}


def test_the_scorecard_on_a_day_on_both_time_bases_and_each_child_counted_is_logged(
    education: Running,
) -> None:
    # Four children of compulsory school age, looked after on 1 February 2024.
    current = known_child(education, date_of_birth=PUPIL)  # PEP reviewed this term
    overdue = known_child(education, date_of_birth=PUPIL)  # no PEP; permanently excluded
    year_6 = known_child(education, date_of_birth=date(2012, 3, 1), start=date(2021, 9, 1))
    new = known_child(education, date_of_birth=PUPIL, start=date(2023, 10, 2))
    post(education, f"/children/{current}/peps",
         {"pep_id": "6a1b0c53-50c4-4a8e-9d4c-000000000001", "effective_date": "2024-01-15",
          "targets_set": 2})  # fmt: skip
    post(education, f"/children/{new}/peps",
         {"pep_id": "6a1b0c53-50c4-4a8e-9d4c-000000000002", "effective_date": "2023-10-10",
          "targets_set": 2})  # fmt: skip
    post(education, f"/children/{overdue}/enrolments",
         {"urn": "100001", "phase": "primary", "effective_date": "2023-09-04"})  # fmt: skip
    post(education, f"/children/{overdue}/exclusions",
         {"urn": "100001", "kind": "permanent", "effective_date": "2023-11-06",
          "reason": "PA"})  # fmt: skip
    # Year 6 in 2022/23 (aged 10 on 31 August 2022), looked after since September 2021.
    post(education, f"/children/{year_6}/key-stage-results",
         {"key_stage": "KS2", "academic_year": "2022/23", "expected_standard": True})  # fmt: skip

    wait_for(
        lambda: (
            measures(scorecard(education))["ks2_expected_standard"]["numerator"] == 1
            and measures(scorecard(education))["permanent_exclusions"]["numerator"] == 1
        ),
        what="the education facts read model",
    )
    body = scorecard(education)
    assert (body["as_of"], body["academic_year"], body["results_year"]) == (
        AS_OF,
        "2023/24",
        "2022/23",
    )
    assert "grade 4 or above in English and maths" in body["note"]
    m = measures(body)
    pep = m["pep_current"]
    assert (pep["numerator"], pep["denominator"], pep["percentage"]) == (2, 4, 50.0)
    assert pep["target"] == 90.0 and "statutory school age" in pep["source"]
    first = m["pep_within_20_days"]
    assert (first["numerator"], first["denominator"], first["percentage"]) == (1, 1, 100.0)
    assert first["target"] is None
    ks2 = m["ks2_expected_standard"]
    assert (ks2["numerator"], ks2["denominator"], ks2["percentage"]) == (1, 1, 100.0)
    assert ks2["target"] == 48.0
    ks4 = m["ks4_english_maths_grade_4"]
    assert (ks4["denominator"], ks4["percentage"]) == (0, None) and ks4["reason"]
    assert "replacing" in ks4["definition"] and ks4["target"] == 36.0
    exclusions = m["permanent_exclusions"]
    assert (exclusions["unit"], exclusions["value"], exclusions["target"]) == ("count", 1.0, 0.0)
    assert exclusions["denominator"] == 4

    # Recorded time: before anything was recorded, no PEP, result or exclusion was known.
    early = measures(scorecard(education, as_of_recorded="2001-01-01T00:00:00Z"))
    assert (early["pep_current"]["numerator"], early["pep_current"]["percentage"]) == (0, 0.0)
    assert early["ks2_expected_standard"]["unknown"] == 1
    assert early["ks2_expected_standard"]["percentage"] is None  # never 0 % for no data
    assert early["permanent_exclusions"]["numerator"] == 0
    # Valid time: on 1 November 2023 the exclusion had not happened.
    autumn = measures(scorecard(education, as_of="2023-11-01"))
    assert autumn["permanent_exclusions"]["numerator"] == 0

    # Every child counted is recorded as read.
    for child in (current, overdue, year_6, new):
        assert "education.scorecard" in reads(education, child)


def reads(service: Running, child: UUID) -> list[str]:
    log = service.runtime.application.access_logs
    return [e.what for e in log.reads_of(str(child))]


@pytest.mark.parametrize("role", ["virtual_school", "team_manager", "auditor", "performance"])
def test_council_level_readers_may_read_the_scorecard(education: Running, role: str) -> None:
    assert scorecard(education, role)["measures"]


@pytest.mark.parametrize("role", ["social_worker", "designated_teacher", "iro"])
def test_readers_of_one_childs_record_may_not(education: Running, role: str) -> None:
    response = education.client.get(
        "/v1/education/scorecard", headers=education.headers("someone", role)
    )
    assert response.status_code == 403
