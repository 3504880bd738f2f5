"""If-Match and ETag: optimistic concurrency over HTTP (RFC 9110 §13.1.1).

Unit tests: parsing, and an in-process endpoint through TestClient.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter, Depends, Response
from fastapi.testclient import TestClient

from shared.api.app_factory import create_app
from shared.api.concurrency import (
    check_version,
    etag,
    if_match_version,
    parse_if_match,
)
from shared.api.problems import ProblemError
from shared.auth.tokens import DevIssuer
from shared.settings import ServiceSettings

#: Children's ids are UUIDs, as the casefile service gives them.
C1, C2 = "00000000-0000-4000-8000-0000000000c1", "00000000-0000-4000-8000-0000000000c2"


@pytest.mark.parametrize(
    ("header", "version"),
    [(None, None), ('"0"', 0), ('"7"', 7), ('W/"7"', 7), (' "12" ', 12)],
)
def test_if_match_names_one_version(header: str | None, version: int | None) -> None:
    assert parse_if_match(header) == version


@pytest.mark.parametrize("header", ["7", '"seven"', '"-1"', "*", '"3", "4"', 'w/"3"', '""', ""])
def test_unreadable_if_match_is_400(header: str) -> None:
    with pytest.raises(ProblemError) as raised:
        parse_if_match(header)
    assert raised.value.problem.status == 400
    assert raised.value.problem.errors is not None
    assert raised.value.problem.errors[0].field == "header.if-match"


def test_etag_round_trips_through_if_match() -> None:
    assert etag(41) == '"41"'
    assert parse_if_match(etag(41)) == 41


def test_stale_version_is_412_naming_the_current_one() -> None:
    check_version(None, 5)  # no precondition: nothing to check
    check_version(5, 5)
    with pytest.raises(ProblemError) as raised:
        check_version(4, 5)
    assert raised.value.problem.status == 412
    assert raised.value.headers == {"ETag": '"5"'}


# --- through the API --------------------------------------------------------------

record = {"version": 3}
router = APIRouter()


@router.get("/children/{child_id}/plan")
def read_plan(child_id: str, response: Response) -> dict[str, Any]:
    response.headers["ETag"] = etag(record["version"])
    return {"version": record["version"]}


@router.put("/children/{child_id}/plan")
def update_plan(
    child_id: str, response: Response, expected: int | None = Depends(if_match_version)
) -> dict[str, Any]:
    check_version(expected, record["version"])
    record["version"] += 1
    response.headers["ETag"] = etag(record["version"])
    return {"version": record["version"]}


@router.patch("/children/{child_id}/plan")
def amend_plan(child_id: str, expected: int | None = Depends(if_match_version)) -> dict[str, Any]:
    return {"expected": expected}


class Everyone:
    def is_related(self, user_id: str, role: str, child_id: str) -> bool:
        return True


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    issuer = DevIssuer(tmp_path_factory.mktemp("dev-issuer"))
    settings = ServiceSettings(service_name="concurrency-test", jwks_path=str(issuer.jwks_path))
    token = issuer.mint("sw.jones", ["social_worker"])
    app = create_app(settings, [router], relationships=Everyone())
    with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
        yield client


def test_read_then_conditional_write(client: TestClient) -> None:
    read = client.get(f"/v1/children/{C1}/plan")
    assert read.headers["etag"] == '"3"'
    written = client.put(
        f"/v1/children/{C1}/plan",
        headers={"If-Match": read.headers["etag"]},
    )
    assert written.status_code == 200
    assert written.headers["etag"] == '"4"'

    stale = client.put(
        f"/v1/children/{C1}/plan",
        headers={"If-Match": read.headers["etag"]},
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.headers["etag"] == '"4"'
    assert client.get(f"/v1/children/{C1}/plan").json() == {"version": 4}  # nothing changed


def test_unparsable_if_match_is_400(client: TestClient) -> None:
    response = client.put(f"/v1/children/{C1}/plan", headers={"If-Match": "latest"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_optional_if_match(client: TestClient) -> None:
    assert client.patch(f"/v1/children/{C1}/plan").json() == {"expected": None}
    assert client.patch(f"/v1/children/{C1}/plan", headers={"If-Match": 'W/"9"'}).json() == {
        "expected": 9
    }
