"""Each service against its own OpenAPI document: schemathesis, every check, on real servers.

For every operation of casefile and of placements, schemathesis generates
requests from the service's published document (`GET /v1/openapi.json`): the
examples it gives, the coverage phase's boundary and missing-parameter cases
(including methods the path does not serve), and fuzzed valid and invalid
data. Every response is checked with all of schemathesis's checks (what
`--checks all` runs): no server errors; status codes, content types, headers
and bodies as documented; invalid data refused; valid data not refused for
its shape; required headers required; `Allow` naming what the path serves;
authentication enforced (each request is also probed without a token and
with a bad one).

The calls carry a valid token for a user in every role the operations
need, a fresh `Idempotency-Key` where the request has a well-formed one,
and a break-glass reason, so a write reaches the domain rather than stopping
at authorisation. Most requests for one child are aimed at children set up
first (registered, looked after, with a review, a missing episode, a
placement, a break-glass use to review), the rest at unknown children.
Requests go through the fixture's `TestClient`, so the service runs
exactly as its own API tests run it: real NATS JetStream and PostgreSQL.

Generation is derandomized: CI runs the same requests every time.
docs/contract-testing.md says what runs, how long it takes, and what it found.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import pytest
import schemathesis
from casefile.harness import CasefileService
from fastapi.testclient import TestClient
from placements.harness import Service as PlacementsService
from schemathesis import Case

from shared.api.concurrency import IF_MATCH_PATTERN

pytestmark = [pytest.mark.integration, pytest.mark.contract, pytest.mark.timeout(600)]

#: Requests per operation in the fuzzing phase (the coverage phase adds its own).
MAX_EXAMPLES = 25
SEED = 19

_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
BREAK_GLASS_REASON = "Contract test: schemathesis acting on every record"


#: Answers a schema-valid request may get, besides 2xx: positive_data_acceptance's
#: defaults (401, 403, 404, 409, 429; 5xx is not_a_server_error's to judge) and
#: two the document cannot rule out, whatever it says: 412, a well-formed
#: `If-Match` naming a version that is not the record's current one (RFC 9110
#: §13.1.1), and 422, a change that breaks a rule of the record (a placement
#: before the child came into care). `refused_only_by_rules` below holds the 422s
#: to that: never the server's own validation of the request's shape.
VALID_DATA_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429", "5xx"]
RULE_BROKEN = "urn:belonging:problem:rule-broken"


def config() -> schemathesis.Config:
    """Every check (what `--checks all` enables), every per-operation phase, reproducible."""
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
            },
            "checks": {
                "enabled": True,
                "positive_data_acceptance": {"expected-statuses": VALID_DATA_STATUSES},
            },
        }
    )


@schemathesis.check
def refused_only_by_rules(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Case
) -> bool | None:
    """A schema-valid request is refused with 422 only for a rule of the record.

    A 422 `validation` problem (or any other 422) for data the document calls
    valid means the document promises more than the server accepts.
    """
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    problem_type = json.loads(response.content or b"{}").get("type")
    if problem_type != RULE_BROKEN:
        raise AssertionError(
            f"Schema-valid request refused as {problem_type}, not for a rule of the record"
        )
    return None


# --------------------------------------------------------------------------- the transport


class ThroughTestClient:
    """A WSGI application that hands each request to the service's `TestClient`.

    The fixture's client runs the app, and its lifespan (projection runners,
    NATS and PostgreSQL connections), on the client's own event loop;
    schemathesis's own ASGI client would start a second lifespan on another.
    """

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers: list[tuple[bytes, bytes]] = [
            (name[5:].replace("_", "-").lower().encode(), str(value).encode("latin-1"))
            for name, value in environ.items()
            if name.startswith("HTTP_")
        ]
        if environ.get("CONTENT_TYPE"):
            headers.append((b"content-type", environ["CONTENT_TYPE"].encode("latin-1")))
        # Werkzeug's raw URI is the path as sent; the query string comes apart.
        uri = str(environ.get("RAW_URI") or environ["PATH_INFO"]).split("?", 1)[0]
        if environ.get("QUERY_STRING"):
            uri += "?" + environ["QUERY_STRING"]
        response = self.client.request(
            environ["REQUEST_METHOD"],
            uri,
            content=body,
            headers=headers,
            follow_redirects=False,
        )
        start_response(
            f"{response.status_code} {response.reason_phrase}",
            [
                (name.decode("latin-1"), value.decode("latin-1"))
                for name, value in response.headers.raw
            ],
        )
        return [response.content]


# --------------------------------------------------------------------------- aiming the requests


@dataclass
class Known:
    """A child set up before the run, and the ids of parts of its record."""

    child_id: UUID
    #: Path parameter name -> ids, newest last.
    ids: dict[str, list[str]] = field(default_factory=dict)

    def add(self, parameter: str, value: object) -> None:
        self.ids.setdefault(parameter, []).append(str(value))


@dataclass
class Contract:
    """How one service's calls are made and checked."""

    headers: dict[str, str]
    children: list[Known]
    #: Path parameters naming something other than a child -> ids known.
    others: dict[str, list[str]] = field(default_factory=dict)
    #: (method, path template) -> the path parameter its answer's `id` names.
    creates: dict[tuple[str, str], str] = field(default_factory=dict)
    calls: int = 0
    started: float = field(default_factory=time.monotonic)

    def aim(self, case: Case) -> Known | None:
        """Point a well-formed child id at a known child (most of the time) and its parts."""
        parameters = case.path_parameters or {}
        for name, known_ids in self.others.items():
            generated = _uuid(parameters.get(name))
            if generated is not None and known_ids:
                slot = generated.int % (len(known_ids) + 1)
                if slot < len(known_ids):
                    parameters[name] = known_ids[slot]
        generated = _uuid(parameters.get("child_id"))
        if generated is None or not self.children:
            return None
        slot = generated.int % (len(self.children) + 1)
        if slot == len(self.children):
            return None  # an unknown child: its answers are part of the contract too
        known = self.children[slot]
        parameters["child_id"] = str(known.child_id)
        for name, value in list(parameters.items()):
            ids = known.ids.get(name)
            if name != "child_id" and ids and _uuid(value) is not None:
                parameters[name] = ids[-1]
        return known

    def check(self, case: Case) -> None:
        known = self.aim(case)
        _without_placeholder_if_match(case)
        headers = dict(self.headers)
        key = (case.headers or {}).get("Idempotency-Key")
        if isinstance(key, str) and _IDEMPOTENCY_KEY.fullmatch(key):
            # A well-formed key, fresh for each request: a reused key replays the first
            # answer, which is right but not what this request asked for.
            headers["Idempotency-Key"] = str(uuid4())
        self.calls += 1
        import os

        if os.environ.get("CONTRACT_TRIAGE"):
            try:
                response = case.call_and_validate(headers=headers)
            except (Exception, BaseExceptionGroup) as error:
                with open(os.environ["CONTRACT_TRIAGE"], "a") as out:
                    out.write(f"=== {case.operation.label}\n{case.meta!r}\n{error}\n")
                return
        else:
            response = case.call_and_validate(headers=headers)
        made = self.creates.get((case.method.upper(), case.path))
        if known is not None and made is not None and 200 <= response.status_code < 300:
            created = response.json().get("id")
            if created is not None:
                known.add(made, created)


def _without_placeholder_if_match(case: Case) -> None:
    """Leave out an `If-Match` the coverage phase could not make valid.

    An ETag is quoted (RFC 9110 §8.8.3), and the document's pattern says so;
    schemathesis 4.32's coverage phase makes valid header values of letters and
    digits only, and sends `If-Match: 0` as valid where the pattern needs a
    quote. The header is optional, so a request without it is the valid
    request that case meant to send. Invalid cases keep what they generated.
    """
    headers = case.headers or {}
    value = headers.get("If-Match")
    meta = case.meta
    if (
        value is not None
        and meta is not None
        and meta.generation.mode.is_positive
        and not (isinstance(value, str) and re.fullmatch(IF_MATCH_PATTERN, value))
    ):
        del headers["If-Match"]


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _schema(client: TestClient) -> Any:
    schema = schemathesis.openapi.from_wsgi(
        "/v1/openapi.json", ThroughTestClient(client), config=config()
    )
    return schema


# --------------------------------------------------------------------------- casefile

CASEFILE_USER = "tm.okafor"  # manages team north-1 (casefile.harness.TEAM_MANAGERS)
CASEFILE_ROLES = ("team_manager", "social_worker", "iro", "personal_adviser", "records_manager")


def _casefile_child(service: CasefileService) -> Known:
    """Looked after, allocated in north-1, with an IRO, a review, a missing episode, an alert."""
    child_id, period_id = service.looked_after()
    known = Known(child_id)
    known.add("period_id", period_id)
    iro = service.post(
        f"/children/{child_id}/iro", {"effective_date": "2024-01-08", "iro_id": CASEFILE_USER}
    )
    assert iro.status_code == 200, iro.text
    review = service.post(f"/children/{child_id}/reviews", {"scheduled_date": "2024-02-05"})
    assert review.status_code == 201, review.text
    known.add("review_id", review.json()["id"])
    episode = service.post(
        f"/children/{child_id}/missing-episodes", {"start_date": "2024-02-10", "missing_type": "M"}
    )
    assert episode.status_code == 201, episode.text
    known.add("episode_id", episode.json()["id"])
    # Someone with no relationship breaks glass: an alert for north-1's manager to review.
    duty = service.get(
        f"/children/{child_id}", user="sw.duty", X_Break_Glass_Reason="Out of hours: missing"
    )
    assert duty.status_code == 200, duty.text
    return known


@pytest.fixture(scope="module")
def casefile_contract(casefile_service: CasefileService) -> Contract:
    children = [_casefile_child(casefile_service) for _ in range(3)]
    alerts = casefile_service.get("/break-glass-alerts", user=CASEFILE_USER, role="team_manager")
    assert alerts.status_code == 200, alerts.text
    token = casefile_service.issuer.mint(CASEFILE_USER, CASEFILE_ROLES, ttl=3 * 3600)
    child = "/v1/children/{child_id}"
    return Contract(
        headers={"Authorization": f"Bearer {token}", "X-Break-Glass-Reason": BREAK_GLASS_REASON},
        children=children,
        others={"alert_id": [item["alert_id"] for item in alerts.json()["items"]]},
        creates={
            ("POST", f"{child}/periods-of-care"): "period_id",
            ("POST", f"{child}/reviews"): "review_id",
            ("POST", f"{child}/missing-episodes"): "episode_id",
        },
    )


@pytest.fixture(scope="module")
def casefile_schema(casefile_service: CasefileService) -> Any:
    return _schema(casefile_service.client)


# --------------------------------------------------------------------------- placements

PLACEMENTS_USER = "tm.contract"
PLACEMENTS_ROLES = ("team_manager", "social_worker", "iro")


def _placed_child(service: PlacementsService) -> Known:
    """A child in care (allocated to the caller, who is also the IRO), in a placement."""
    child_id = service.child_in_care(social_worker=PLACEMENTS_USER, iro=PLACEMENTS_USER)
    started = service.start(child_id, PLACEMENTS_USER, placement_provider="PR1")
    assert started.status_code == 201, started.text
    known = Known(child_id)
    known.add("placement_id", started.json()["id"])
    return known


@pytest.fixture(scope="module")
def placements_contract(service: PlacementsService) -> Contract:
    children = [_placed_child(service) for _ in range(3)]
    token = service.issuer.mint(PLACEMENTS_USER, PLACEMENTS_ROLES, ttl=3 * 3600)
    placement = "/v1/children/{child_id}/placements"
    return Contract(
        headers={"Authorization": f"Bearer {token}"},
        children=children,
        creates={
            ("POST", placement): "placement_id",
            ("POST", f"{placement}/{{placement_id}}/move"): "placement_id",
            ("POST", f"{placement}/{{placement_id}}/placed-for-adoption"): "placement_id",
        },
    )


@pytest.fixture(scope="module")
def placements_schema(service: PlacementsService) -> Any:
    return _schema(service.client)


# --------------------------------------------------------------------------- the runs

casefile_document = schemathesis.pytest.from_fixture("casefile_schema")
placements_document = schemathesis.pytest.from_fixture("placements_schema")


@casefile_document.parametrize()
def test_casefile_keeps_its_documented_contract(case: Case, casefile_contract: Contract) -> None:
    casefile_contract.check(case)


@placements_document.parametrize()
def test_placements_keeps_its_documented_contract(
    case: Case, placements_contract: Contract
) -> None:
    placements_contract.check(case)


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """Schemathesis 4.32 renames the test per operation through `Node._nodeid`,
    which pytest 9.2 no longer has; give it the attribute back to write to."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
