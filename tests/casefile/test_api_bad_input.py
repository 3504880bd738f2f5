"""Bad input gets a 4xx problem naming the field, and records nothing (DESIGN.md, "Security").

"Records nothing" is checked on the stream itself: its last sequence does not
move (a read would move it, so none happens between the two looks).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from casefile.harness import CasefileService
from shared.identifiers import upn_check_letter

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def amira(casefile_service: CasefileService) -> tuple[UUID, UUID]:
    return casefile_service.looked_after()


@pytest.fixture
def unchanged(casefile_service: CasefileService) -> Iterator[None]:
    """The test's requests must leave the stream exactly as it was."""
    before = casefile_service.last_sequence()
    yield
    assert casefile_service.last_sequence() == before, "a rejected request recorded something"


def fields(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"] == PROBLEM, response.text
    return [error["field"] for error in response.json().get("errors", [])]


def registration(**overrides: Any) -> dict[str, Any]:
    return {
        "local_child_id": f"C{uuid4().hex[:8]}",
        "date_of_birth": "2015-03-01",
        "sex": "F",
        "ethnicity": "BAFR",
        "registration_date": "2024-01-02",
        **overrides,
    }


def test_unknown_code_is_422_naming_the_field(
    casefile_service: CasefileService, amira: tuple[UUID, UUID]
) -> None:
    child_id, period_id = amira
    before = casefile_service.last_sequence()
    response = casefile_service.post(
        f"/children/{child_id}/periods-of-care/{period_id}/legal-status",
        {"effective_date": "2024-03-01", "legal_status": "Z9"},
    )
    assert response.status_code == 422
    assert fields(response) == ["body.legal_status"]
    assert "LS" in response.json()["detail"]
    assert response.json()["rule"] == "UnknownCode"
    assert casefile_service.last_sequence() == before


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/periods-of-care/{period_id}/end",
            {"end_date": "2024-01-01", "reason_ceased": "E8"},
            "body.end_date",
        ),
        (
            "/periods-of-care",
            {"start_date": "2014-01-01", "legal_status": "V2", "category_of_need": "N1"},
            "body.start_date",
        ),
        ("/visits", {"visit_date": "2099-01-01", "seen_alone": True}, "body.visit_date"),
        (
            "/periods-of-care/{period_id}/legal-status",
            {"effective_date": "2024-01-05", "legal_status": "C2"},
            "body.effective_date",
        ),
    ],
    ids=["end-before-start", "before-birth", "in-the-future", "change-before-start"],
)
def test_impossible_dates_are_422_naming_the_field(
    casefile_service: CasefileService,
    amira: tuple[UUID, UUID],
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    child_id, period_id = amira
    response = casefile_service.post(
        f"/children/{child_id}" + path.format(period_id=period_id), body
    )
    assert response.status_code == 422, response.text
    assert fields(response) == [field]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"upn": "A" + "1" * 12}, "body.upn"),  # wrong check letter
        ({"upn": "H801200001"}, "body.upn"),  # too short
        ({"upn": "H8012000010!1"}, "body.upn"),  # not digits
        ({"nhs_number": "9434765918"}, "body.nhs_number"),  # wrong check digit
        ({"nhs_number": "943-476-5919"}, "body.nhs_number"),  # separators
        ({"sex": "X"}, "body.sex"),
        ({"local_child_id": "has space"}, "body.local_child_id"),
    ],
    ids=[
        "upn-check-letter",
        "upn-length",
        "upn-characters",
        "nhs-check-digit",
        "nhs-separators",
        "sex-code",
        "local-id",
    ],
)
def test_malformed_identifiers_are_refused(
    casefile_service: CasefileService, overrides: dict[str, Any], field: str
) -> None:
    body = registration(**overrides)
    response = casefile_service.post("/children", body)
    assert response.status_code == 422, response.text
    assert fields(response) == [field]


def test_a_well_formed_upn_is_accepted(casefile_service: CasefileService) -> None:
    digits = "801200001001"
    upn = upn_check_letter(digits) + digits
    response = casefile_service.post("/children", registration(upn=upn))
    assert response.status_code == 201, response.text


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"visit_date": "2024-02-01", "seen_alone": "yes"}, "body.seen_alone"),
        ({"visit_date": "2024-02-01", "seen_alone": 1}, "body.seen_alone"),
        ({"visit_date": "next tuesday", "seen_alone": True}, "body.visit_date"),
        ({"visit_date": "2024-02-01", "seen_alone": True, "visit_id": "v1"}, "body.visit_id"),
        ({"visit_date": "2024-02-01", "seen_alone": True, "mood": "ok"}, "body.mood"),
        ({"visit_date": "2024-02-01", "seen_alone": True, "note": 5}, "body.note"),
        ([], "body"),
    ],
    ids=[
        "bool-as-text",
        "bool-as-number",
        "not-a-date",
        "not-a-uuid",
        "unknown-field",
        "note-not-text",
        "not-an-object",
    ],
)
def test_wrong_types_are_422_naming_the_field(
    casefile_service: CasefileService, amira: tuple[UUID, UUID], body: Any, field: str
) -> None:
    child_id, _ = amira
    response = casefile_service.post(f"/children/{child_id}/visits", body)
    assert response.status_code == 422, response.text
    assert fields(response) == [field]


@pytest.mark.usefixtures("unchanged")
def test_missing_fields_are_each_named(
    casefile_service: CasefileService, amira: tuple[UUID, UUID]
) -> None:
    child_id, _ = amira
    response = casefile_service.post(f"/children/{child_id}/periods-of-care", {})
    assert response.status_code == 422
    assert sorted(fields(response)) == [
        "body.category_of_need",
        "body.legal_status",
        "body.start_date",
    ]


@pytest.mark.usefixtures("unchanged")
def test_an_oversized_body_is_413_before_it_is_read(
    casefile_service: CasefileService, amira: tuple[UUID, UUID]
) -> None:
    child_id, _ = amira
    body = {"visit_date": "2024-02-01", "seen_alone": True, "note": "x" * 70_000}
    response = casefile_service.post(f"/children/{child_id}/visits", body)
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.usefixtures("unchanged")
def test_malformed_json_is_400(casefile_service: CasefileService, amira: tuple[UUID, UUID]) -> None:
    child_id, _ = amira
    headers = casefile_service.headers("sw.jones", "social_worker")
    headers["Content-Type"] = "application/json"
    response = casefile_service.client.post(
        f"/v1/children/{child_id}/visits", content=b'{"visit_date": ', headers=headers
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.usefixtures("unchanged")
def test_bad_headers_are_400_naming_the_header(
    casefile_service: CasefileService, amira: tuple[UUID, UUID]
) -> None:
    child_id, _ = amira
    body = {"visit_date": "2024-02-01", "seen_alone": True}
    no_key = casefile_service.post(f"/children/{child_id}/visits", body, key=None)
    assert no_key.status_code == 400
    assert fields(no_key) == ["header.idempotency-key"]
    headers = casefile_service.headers("sw.jones", "social_worker", If_Match="version 3")
    bad_etag = casefile_service.client.post(
        f"/v1/children/{child_id}/visits", content=json.dumps(body), headers=headers
    )
    assert bad_etag.status_code == 400
    assert fields(bad_etag) == ["header.if-match"]


@pytest.mark.usefixtures("unchanged")
def test_an_unknown_child_is_404(casefile_service: CasefileService) -> None:
    unknown = uuid4()
    response = casefile_service.post(
        f"/children/{unknown}/visits",
        {"visit_date": "2024-02-01", "seen_alone": True},
        X_Break_Glass_Reason="checking a referral",
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


@pytest.mark.usefixtures("unchanged")
def test_a_rule_broken_names_a_path_field_as_such(
    casefile_service: CasefileService, amira: tuple[UUID, UUID]
) -> None:
    child_id, _ = amira
    response = casefile_service.post(
        f"/children/{child_id}/periods-of-care/{uuid4()}/end",
        {"end_date": "2024-02-01", "reason_ceased": "E8"},
    )
    assert response.status_code == 422
    assert fields(response) == ["path.period_id"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"as_of": "0001-01-01"}, "query.as_of"),
        ({"as_of": "0"}, "query.as_of"),
        ({"as_of_recorded": "0001-01-01T00:00:00Z"}, "query.as_of_recorded"),
        ({"as_of_recorded": "0"}, "query.as_of_recorded"),
    ],
)
def test_an_as_of_outside_the_calendar_is_422_naming_it(
    casefile_service: CasefileService, amira: tuple[UUID, UUID], params: dict[str, str], field: str
) -> None:
    child_id, _ = amira
    response = casefile_service.get(f"/children/{child_id}", params=params)
    assert response.status_code == 422, response.text
    assert field in fields(response)


def test_an_offset_past_any_register_is_422(casefile_service: CasefileService) -> None:
    response = casefile_service.get(
        "/children", params={"offset": "9223372036854775808"}, user="aud.khan", role="auditor"
    )
    assert response.status_code == 422
    assert fields(response) == ["query.offset"]


@pytest.mark.parametrize("born", ["0001-01-01", "9999-12-31", "20150301"])
def test_a_date_of_birth_outside_the_calendar_is_refused_and_the_register_still_lists(
    casefile_service: CasefileService, born: str
) -> None:
    body = {
        "local_child_id": f"C{uuid4().hex[:10].upper()}",
        "date_of_birth": born,
        "sex": "F",
        "ethnicity": "WBRI",
        "registration_date": "2024-01-02",
    }
    response = casefile_service.post("/children", body)
    assert response.status_code == 422
    assert fields(response) == ["body.date_of_birth"]
    listed = casefile_service.get("/children", user="aud.khan", role="auditor")
    assert listed.status_code == 200


def test_a_registration_without_its_date_is_refused_naming_it(
    casefile_service: CasefileService,
) -> None:
    """The day the record was opened is a fact to state, never silently today."""
    body = registration()
    del body["registration_date"]
    response = casefile_service.post("/children", body)
    assert response.status_code == 422, response.text
    assert fields(response) == ["body.registration_date"]
