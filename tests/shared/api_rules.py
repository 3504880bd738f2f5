"""The rules every write endpoint of every service keeps, stated once.

A service's test module subclasses `ApiRules` and provides the `under_test`
fixture: its client, how to mint a token, and a factory of `WriteCase`s (a
valid write on a fresh child, a different valid write on the same child, and
how to read the child's record version). Each rule is then checked against
that service's own endpoints, the way the event store subclasses the
library's conformance suites.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class WriteCase:
    """Writes to one fresh child, and how to read the child's record version."""

    path: str  # under /v1
    body: dict[str, Any]
    other_body: dict[str, Any]  # a different valid write to the same path
    version: Callable[[], int]
    date_field: str  # a date in `body`


@dataclass(frozen=True)
class ServiceUnderTest:
    client: TestClient
    mint: Callable[[str, tuple[str, ...]], str]
    writer: tuple[str, str]  # user, role: related to the children `fresh` makes
    reader_only: tuple[str, str]  # a role the policy lets read but not write
    unrelated: tuple[str, str]  # a permitted role with no relationship to the child
    fresh: Callable[[], WriteCase]


class ApiRules:
    """Subclass, and provide `under_test` (a `ServiceUnderTest`)."""

    @pytest.fixture
    def under_test(self) -> ServiceUnderTest:
        raise NotImplementedError("a service's test module provides its endpoints")

    # ------------------------------------------------------------ helpers

    @staticmethod
    def post(
        service: ServiceUnderTest,
        path: str,
        body: Any,
        *,
        who: tuple[str, str] | None = None,
        key: str | None = "new",
        if_match: str | None = None,
        token: str | None = "mint",
        content: bytes | None = None,
    ) -> httpx.Response:
        user, role = who or service.writer
        headers: dict[str, str] = {}
        if token == "mint":
            headers["Authorization"] = f"Bearer {service.mint(user, (role,))}"
        elif token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if key is not None:
            headers["Idempotency-Key"] = str(uuid4()) if key == "new" else key
        if if_match is not None:
            headers["If-Match"] = if_match
        if content is not None:
            headers["Content-Type"] = "application/json"
            return service.client.post(f"/v1{path}", content=content, headers=headers)
        return service.client.post(f"/v1{path}", json=body, headers=headers)

    @staticmethod
    def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        problem: dict[str, Any] = response.json()
        assert problem["status"] == status and problem["type"] and problem["title"]
        return problem

    # ------------------------------------------------------------ authentication

    def test_a_write_without_a_token_is_401_and_records_nothing(
        self, under_test: ServiceUnderTest
    ) -> None:
        case = under_test.fresh()
        before = case.version()
        response = self.post(under_test, case.path, case.body, token=None)
        self.assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert case.version() == before

    def test_a_forged_token_is_401(self, under_test: ServiceUnderTest) -> None:
        case = under_test.fresh()
        before = case.version()
        forged = under_test.mint(*under_test.writer[:1], (under_test.writer[1],))[:-4] + "AAAA"
        self.assert_problem(self.post(under_test, case.path, case.body, token=forged), 401)
        assert case.version() == before

    # ------------------------------------------------------------ authorisation

    def test_a_role_that_may_not_write_is_403_and_records_nothing(
        self, under_test: ServiceUnderTest
    ) -> None:
        case = under_test.fresh()
        before = case.version()
        response = self.post(under_test, case.path, case.body, who=under_test.reader_only)
        assert self.assert_problem(response, 403)["type"].endswith("role-not-permitted")
        assert case.version() == before

    def test_an_unrelated_worker_is_403_and_records_nothing(
        self, under_test: ServiceUnderTest
    ) -> None:
        case = under_test.fresh()
        before = case.version()
        response = self.post(under_test, case.path, case.body, who=under_test.unrelated)
        assert self.assert_problem(response, 403)["type"].endswith("not-related")
        assert case.version() == before

    # ------------------------------------------------------------ bad input

    def test_an_unknown_field_is_422_naming_it_and_records_nothing(
        self, under_test: ServiceUnderTest
    ) -> None:
        case = under_test.fresh()
        before = case.version()
        response = self.post(under_test, case.path, {**case.body, "favourite_colour": "blue"})
        problem = self.assert_problem(response, 422)
        assert "body.favourite_colour" in [e["field"] for e in problem["errors"]]
        assert case.version() == before

    def test_malformed_json_is_a_4xx_problem_and_records_nothing(
        self, under_test: ServiceUnderTest
    ) -> None:
        case = under_test.fresh()
        before = case.version()
        response = self.post(under_test, case.path, None, content=b'{"effective_date": ')
        assert 400 <= response.status_code < 500
        assert response.headers["content-type"].startswith(PROBLEM)
        assert case.version() == before

    @pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", 0, "2024-1-2", "yesterday"])
    def test_a_date_outside_the_calendar_or_not_yyyy_mm_dd_is_422_naming_it(
        self, under_test: ServiceUnderTest, day: object
    ) -> None:
        case = under_test.fresh()
        before = case.version()
        response = self.post(under_test, case.path, {**case.body, case.date_field: day})
        problem = self.assert_problem(response, 422)
        assert f"body.{case.date_field}" in [e["field"] for e in problem["errors"]]
        assert case.version() == before

    @pytest.mark.parametrize("child", ["not-a-child", "C1", "%00"])
    def test_a_malformed_child_id_is_422_naming_it(
        self, under_test: ServiceUnderTest, child: str
    ) -> None:
        case = under_test.fresh()
        before = case.version()
        path = re.sub(r"^/children/[^/]+", f"/children/{child}", case.path)
        problem = self.assert_problem(self.post(under_test, path, case.body), 422)
        assert [e["field"] for e in problem["errors"]] == ["path.child_id"]
        assert case.version() == before

    # ------------------------------------------------------------ idempotency

    def test_a_write_without_an_idempotency_key_is_400(self, under_test: ServiceUnderTest) -> None:
        case = under_test.fresh()
        before = case.version()
        problem = self.assert_problem(self.post(under_test, case.path, case.body, key=None), 400)
        assert problem["errors"][0]["field"] == "header.idempotency-key"
        assert case.version() == before

    def test_a_retry_with_the_same_key_gets_the_first_answer_and_records_once(
        self, under_test: ServiceUnderTest
    ) -> None:
        case = under_test.fresh()
        before = case.version()
        key = str(uuid4())
        first = self.post(under_test, case.path, case.body, key=key)
        assert first.status_code in (200, 201), first.text
        after = case.version()
        assert after > before
        retry = self.post(under_test, case.path, case.body, key=key)
        assert (retry.status_code, retry.json(), retry.headers["ETag"]) == (
            first.status_code,
            first.json(),
            first.headers["ETag"],
        )
        assert case.version() == after

    def test_the_same_key_with_another_body_is_refused(self, under_test: ServiceUnderTest) -> None:
        case = under_test.fresh()
        key = str(uuid4())
        first = self.post(under_test, case.path, case.body, key=key)
        assert first.status_code in (200, 201), first.text
        after = case.version()
        reused = self.post(under_test, case.path, case.other_body, key=key)
        problem = self.assert_problem(reused, 422)
        assert problem["type"].endswith("idempotency-key-reused")
        assert case.version() == after

    def test_a_refused_write_does_not_use_up_its_key(self, under_test: ServiceUnderTest) -> None:
        case = under_test.fresh()
        key = str(uuid4())
        bad = self.post(under_test, case.path, {**case.body, "favourite_colour": "blue"}, key=key)
        assert bad.status_code == 422
        good = self.post(under_test, case.path, case.body, key=key)
        assert good.status_code in (200, 201), good.text

    # ------------------------------------------------------------ If-Match

    def test_the_answer_carries_the_new_version_as_etag(self, under_test: ServiceUnderTest) -> None:
        case = under_test.fresh()
        response = self.post(under_test, case.path, case.body)
        assert response.status_code in (200, 201), response.text
        assert (
            response.headers["ETag"] == f'"{case.version()}"' == f'"{response.json()["version"]}"'
        )

    def test_a_current_if_match_is_accepted(self, under_test: ServiceUnderTest) -> None:
        case = under_test.fresh()
        current = case.version()
        response = self.post(under_test, case.path, case.body, if_match=f'"{current}"')
        assert response.status_code in (200, 201), response.text
        assert case.version() > current

    def test_a_stale_if_match_is_412_with_the_current_etag_and_records_nothing(
        self, under_test: ServiceUnderTest
    ) -> None:
        case = under_test.fresh()
        stale = case.version()
        first = self.post(under_test, case.path, case.body, if_match=f'"{stale}"')
        assert first.status_code in (200, 201), first.text
        current = case.version()
        # A second client, still at the old version, sends another change.
        response = self.post(under_test, case.path, case.other_body, if_match=f'"{stale}"')
        self.assert_problem(response, 412)
        assert response.headers["ETag"] == f'"{current}"'
        assert case.version() == current

    def test_an_unreadable_if_match_is_400(self, under_test: ServiceUnderTest) -> None:
        case = under_test.fresh()
        before = case.version()
        response = self.post(under_test, case.path, case.body, if_match="three")
        assert self.assert_problem(response, 400)["errors"][0]["field"] == "header.if-match"
        assert case.version() == before

    def test_without_if_match_the_write_applies_to_the_record_as_it_stands(
        self, under_test: ServiceUnderTest
    ) -> None:
        case = under_test.fresh()
        first = self.post(under_test, case.path, case.body)
        assert first.status_code in (200, 201), first.text
        second = self.post(under_test, case.path, case.other_body)
        assert second.status_code in (200, 201, 422), second.text
        if second.status_code == 422:  # refused by a rule of the record as it now stands
            assert second.json()["type"].endswith("rule-broken")
        else:
            assert case.version() == second.json()["version"]

    # ------------------------------------------------------------ the contract

    def test_the_openapi_document_says_what_a_write_requires(
        self, under_test: ServiceUnderTest
    ) -> None:
        case = under_test.fresh()
        schema = under_test.client.get("/v1/openapi.json").json()
        template = re.sub(r"^/children/[^/]+", "/children/{child_id}", case.path)
        operation = schema["paths"][f"/v1{template}"]["post"]
        headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
        assert headers["Idempotency-Key"]["required"] is True
        assert headers["If-Match"].get("required", False) is False  # one rule: optional
        assert {"400", "401", "403", "404", "409", "412", "422"} <= set(operation["responses"])

    def test_options_and_405_name_every_method_the_path_serves(
        self, under_test: ServiceUnderTest
    ) -> None:
        case = under_test.fresh()
        documented = under_test.client.get("/v1/openapi.json").json()["paths"]
        template = re.sub(r"^/children/[^/]+", "/children/{child_id}", case.path)
        served = {m.upper() for m in documented[f"/v1{template}"]}
        options = under_test.client.options(f"/v1{case.path}")
        assert options.status_code == 204
        allow = {m.strip() for m in options.headers["Allow"].split(",")}
        assert served | {"OPTIONS"} <= allow
        wrong = under_test.client.request("PATCH", f"/v1{case.path}")
        assert wrong.status_code == 405
        assert served <= {m.strip() for m in wrong.headers["Allow"].split(",")}
