"""Every error is an RFC 9457 problem, and none leaks internals (DESIGN.md, "Integration").

Unit tests: the app runs in-process through TestClient.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from shared.api.app_factory import create_app
from shared.api.problems import FieldError, ProblemError, problem_type
from shared.auth.tokens import DevIssuer
from shared.settings import ServiceSettings

LIMIT = 1024


class VisitIn(BaseModel):
    visited_on: date
    seen_alone: bool
    notes: str = Field(default="", max_length=200)


router = APIRouter()


@router.post("/visits", status_code=201)
def record_visit(visit: VisitIn) -> dict[str, Any]:
    return {"visited_on": visit.visited_on.isoformat()}


@router.get("/boom")
def boom() -> None:
    raise RuntimeError("password=hunter2 at /srv/casefile/secret.py line 42")


@router.get("/conflict")
def conflict() -> None:
    raise ProblemError(
        409,
        type=problem_type("placement-overlaps"),
        title="Placement overlaps another",
        detail="A placement already covers 2024-04-01.",
        errors=[FieldError(field="body.start_date", message="overlaps placement P1")],
    )


ready_state = {"database": True}


def database() -> bool:
    return ready_state["database"]


async def nats() -> None:
    return None


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> DevIssuer:
    return DevIssuer(tmp_path_factory.mktemp("dev-issuer"))


@pytest.fixture(scope="module")
def app(issuer: DevIssuer) -> FastAPI:
    settings = ServiceSettings(
        service_name="problems-test", jwks_path=str(issuer.jwks_path), max_body_bytes=LIMIT
    )
    return create_app(settings, [router], readiness_checks=[database, nats])


@pytest.fixture(scope="module")
def client(app: FastAPI, issuer: DevIssuer) -> Iterator[TestClient]:
    token = issuer.mint("sw.jones", ["social_worker"])
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"]
    assert body["correlation_id"] == response.headers["x-correlation-id"]
    return body


def test_validation_error_names_each_field(client: TestClient) -> None:
    response = client.post("/v1/visits", json={"visited_on": "2024-02-30", "notes": "x" * 201})
    body = assert_problem(response, 422)
    assert body["type"] == "urn:belonging:problem:validation"
    fields = {error["field"]: error["message"] for error in body["errors"]}
    assert set(fields) == {"body.visited_on", "body.seen_alone", "body.notes"}
    assert "date" in fields["body.visited_on"]
    assert fields["body.seen_alone"] == "Field required"


def test_valid_body_passes(client: TestClient) -> None:
    response = client.post("/v1/visits", json={"visited_on": "2024-02-29", "seen_alone": True})
    assert response.status_code == 201
    assert response.json() == {"visited_on": "2024-02-29"}


def test_json_syntax_error_is_400(client: TestClient) -> None:
    response = client.post(
        "/v1/visits",
        content=b'{"visited_on": "2024-02-29",',
        headers={"Content-Type": "application/json"},
    )
    body = assert_problem(response, 400)
    assert body["type"] == "urn:belonging:problem:malformed-json"


def test_declared_oversized_body_is_413_before_parsing(client: TestClient) -> None:
    payload = json.dumps({"visited_on": "2024-02-29", "seen_alone": True, "notes": "x" * LIMIT})
    body = assert_problem(
        client.post("/v1/visits", content=payload, headers={"Content-Type": "application/json"}),
        413,
    )
    assert body["type"] == "urn:belonging:problem:body-too-large"
    assert str(LIMIT) in body["detail"]


def test_chunked_oversized_body_is_413(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"visited_on": "2024-02-29", "seen_alone": true, "notes": "'
        for _ in range(4):
            yield b"x" * 512
        yield b'"}'

    response = client.post(
        "/v1/visits", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)


def test_unexpected_exception_is_a_bare_500(client: TestClient) -> None:
    response = client.get("/v1/boom")
    body = assert_problem(response, 500)
    assert body["title"] == "Internal Server Error"
    for leak in ("Traceback", "RuntimeError", "hunter2", "secret.py", "/srv"):
        assert leak not in response.text


def test_problem_error_is_returned_as_raised(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/conflict"), 409)
    assert body["type"] == "urn:belonging:problem:placement-overlaps"
    assert body["title"] == "Placement overlaps another"
    assert body["errors"] == [{"field": "body.start_date", "message": "overlaps placement P1"}]


def test_unknown_route_and_method_are_problems(client: TestClient) -> None:
    assert_problem(client.get("/v1/nothing-here"), 404)
    response = client.delete("/v1/visits")
    assert_problem(response, 405)
    assert response.headers["allow"] == "POST"


def test_health_and_ready_need_no_token(app: FastAPI) -> None:
    with TestClient(app) as anonymous:
        assert anonymous.get("/health").json() == {"status": "ok"}
        ready = anonymous.get("/ready")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ready", "checks": {"database": "ok", "nats": "ok"}}
        ready_state["database"] = False
        try:
            body = assert_problem(anonymous.get("/ready"), 503)
        finally:
            ready_state["database"] = True
        assert body["detail"] == "Not ready: database."


def test_openapi_documents_bearer_auth_and_problem_responses(client: TestClient) -> None:
    schema = client.get("/v1/openapi.json").json()
    assert schema["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schema["components"]["securitySchemes"]["bearer"]["description"],
    }
    operation = schema["paths"]["/v1/visits"]["post"]
    assert operation["security"] == [{"bearer": []}]
    invalid = operation["responses"]["422"]["content"]
    assert invalid == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert "security" not in schema["paths"]["/health"]["get"]
