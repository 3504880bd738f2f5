"""Each service against its own OpenAPI document: schemathesis, every check, on real servers.

For every operation of casefile, placements, health and education, schemathesis generates
requests from the document the service serves (`GET /v1/openapi.json`): the
examples it gives, the coverage phase's boundary, missing-parameter and
wrong-method cases, and fuzzed valid and invalid data. Every response goes
through every check schemathesis has (what `--checks all` enables): no server
errors; status codes, content types, headers and bodies as documented;
invalid data refused; valid data not refused for its shape; required headers
required; `Allow` naming what the path serves; authentication enforced (a
request that succeeds is sent again without its token and with a bad one).

Requests carry a valid token for a user in every role the operations need, a
fresh `Idempotency-Key` where the generated one is well formed, and a
break-glass reason, so that a write reaches the domain rather than stopping
at authorisation. Most requests about one child are aimed at children set up
first (registered, looked after, with an IRO, a review, a missing episode, a
placement, a break-glass use to review), the rest at unknown children. They
go through the fixture's `TestClient`: the service runs as its own API tests
run it, on the session's real NATS JetStream and PostgreSQL.

Generation is derandomized, so CI sends the same requests every run.
docs/contract-testing.md says what runs, how long it takes, and what it found.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import hypothesis
import pytest
import schemathesis
from casefile.harness import CasefileService
from education.conftest import known_child
from education.harness import Running as EducationService
from education.harness import make_upn
from fastapi.testclient import TestClient
from health.harness import Service as HealthService
from health.harness import new_nhs_number
from placements.harness import Service as PlacementsService
from schemathesis import Case
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import CoveragePhaseData

from shared.api.idempotency import IDEMPOTENCY_KEY_PATTERN

pytestmark = [pytest.mark.integration, pytest.mark.contract, pytest.mark.timeout(600)]

#: Cases per operation in the fuzzing phase; the examples and coverage phases add
#: their own (as many as the operation's parameters and constraints call for).
MAX_EXAMPLES = 25
#: The stateful phase: scenarios of linked calls (register a child, then use its
#: id), each of up to WORKFLOW_STEPS calls, along links schemathesis infers.
WORKFLOWS = 15
WORKFLOW_STEPS = 8
SEED = 19
BREAK_GLASS_REASON = "Contract test: schemathesis acting on every record"

#: What a schema-valid request may be answered with: positive_data_acceptance's
#: defaults (2xx, 3xx, 401, 403, 404, 409, 429; 5xx is not_a_server_error's to
#: judge) and two answers no document can rule out: 412, a well-formed `If-Match`
#: naming a version that is not the record's current one (RFC 9110 §13.1.1), and
#: 422, a change that breaks a rule of the record (a placement before the child
#: came into care). `refused_only_by_rules` holds those 422s to that: never the
#: server's own validation of the request's shape.
VALID_DATA_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429", "5xx"]
#: What an invalid request may be answered with: negative_data_rejection's
#: defaults and 413, the documented answer to a body over the service's size
#: limit, which is refused before anything reads it (and so before validation).
INVALID_DATA_STATUSES = [
    *("400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx")
]
RULE_BROKEN = "urn:belonging:problem:rule-broken"
FHIR_JSON = "application/fhir+json"


def config(token: str, max_examples: int = MAX_EXAMPLES) -> schemathesis.Config:
    """Every check, every phase run per operation, the caller's token, reproducible."""
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "mode": "all",  # valid and invalid data
                "max-examples": max_examples,
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
                "negative_data_rejection": {"expected-statuses": INVALID_DATA_STATUSES},
            },
            # The document's own security scheme: schemathesis leaves it out where it
            # tests a missing or invalid token, and probes each operation without it.
            "auth": {"openapi": {"bearer": {"bearer": token}}},
        }
    )


@schemathesis.check
def refused_only_by_rules(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Case
) -> bool | None:
    """A schema-valid request is refused with 422 only for a rule of the record.

    A `validation` 422 for data the document calls valid would mean the
    document promises more than the server accepts.
    """
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    if response.headers.get("content-type", [""])[0].startswith(FHIR_JSON):
        # `POST /v1/fhir`: a Bundle the document calls valid whose every entry was
        # refused (an unknown child, an unsupported resource), each entry's reason in
        # the OperationOutcome, as documented. The FHIR resources' own rules are
        # FHIR's, not in the document; a Bundle the server cannot take is a 400.
        return None
    problem_type = json.loads(response.content or b"{}").get("type")
    if problem_type != RULE_BROKEN:
        raise AssertionError(
            f"Schema-valid request refused as {problem_type}, not for a rule of the record"
        )
    return None


# --------------------------------------------------------------------------- the transport


class ThroughTestClient:
    """A WSGI application that hands each request, as sent, to the service's `TestClient`.

    The fixture's client runs the app and its lifespan (projection runners,
    NATS and PostgreSQL connections) on the client's own event loop;
    schemathesis's ASGI client would start a second lifespan on another loop.
    """

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.requests = 0

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        # WSGI gives header values as Latin-1 text: the bytes as sent.
        headers = [
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
        self.requests += 1
        response = self.client.request(
            environ["REQUEST_METHOD"], uri, content=body, headers=headers, follow_redirects=False
        )
        headers_sent = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in response.headers.raw]
        start_response(f"{response.status_code} {response.reason_phrase}", headers_sent)
        return [response.content]


# --------------------------------------------------------------------------- aiming the requests


@dataclass
class Known:
    """A child set up before the run, and the ids of parts of its record."""

    child_id: UUID
    #: Path parameter -> ids, newest last.
    ids: dict[str, list[str]] = field(default_factory=dict)

    def add(self, parameter: str, value: object) -> None:
        self.ids.setdefault(parameter, []).append(str(value))


@dataclass
class Contract:
    """One service's run: who calls, at what, and what came of it."""

    transport: ThroughTestClient
    token: str
    #: Sent with every request that does not carry the header itself.
    headers: dict[str, str]
    children: list[Known]
    #: Path parameters naming something other than a child -> ids known.
    others: dict[str, list[str]] = field(default_factory=dict)
    #: (method, path template) -> the path parameter its answer's `id` (or the
    #: field of that name) names.
    creates: dict[tuple[str, str], str] = field(default_factory=dict)
    max_examples: int = MAX_EXAMPLES
    #: Children the workflows registered: their calls keep the id they were given.
    registered: set[UUID] = field(default_factory=set)
    cases: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    workflow_statuses: Counter[int] = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)

    def check(self, case: Case) -> None:
        known = self.aim(case)
        _fresh_idempotency_key(case)
        _without_placeholders(case)
        self.with_headers(case)
        self.cases[case.operation.label] += 1
        response = case.call_and_validate()
        self.statuses[response.status_code] += 1
        made = self.creates.get((case.method.upper(), case.path))
        if made is not None and 200 <= response.status_code < 300:
            answer = response.json()
            created = answer.get("id") or answer.get(made)
            if created is None:
                pass
            elif known is not None:
                known.add(made, created)
            elif "{child_id}" not in case.path:
                self.others.setdefault(made, []).append(str(created))

    def with_headers(self, case: Case) -> None:
        """Our headers, where the case does not send its own (valid or not) of that name.

        An invalid case about the headers together (an unexpected header beside
        the documented ones) is sent as generated: what it is about is which
        headers it sends.
        """
        if case.headers is None:
            case.headers = {}
        meta = case.meta
        data = meta.phase.data if meta is not None else None
        if (
            isinstance(data, CoveragePhaseData)
            and data.parameter is None
            and data.parameter_location == ParameterLocation.HEADER
            and meta is not None
            and not meta.generation.mode.is_positive
        ):
            return
        sent = {name.lower() for name in case.headers}
        for name, value in self.headers.items():
            if name.lower() not in sent:
                case.headers[name] = value

    def aim(self, case: Case) -> Known | None:
        """Point a well-formed id at something that exists, most of the time.

        Which known child (or none: an unknown child's answers are part of the
        contract too) follows from the generated id, so the run stays
        reproducible. Malformed ids are left as generated.
        """
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
            return None
        known = self.children[slot]
        parameters["child_id"] = str(known.child_id)
        for name, value in list(parameters.items()):
            ids = known.ids.get(name)
            if name != "child_id" and ids and _uuid(value) is not None:
                parameters[name] = ids[-1]
        return known

    def aim_child(self, case: Case) -> None:
        """Aim a workflow's call about an unknown child at a known one (or none).

        An unknown child ends a workflow at its first call; one the workflow
        registered, or a known child a link carried on, stays as it is.
        """
        parameters = case.path_parameters or {}
        generated = _uuid(parameters.get("child_id"))
        if (
            generated is None
            or generated in self.registered
            or any(known.child_id == generated for known in self.children)
        ):
            return
        slot = generated.int % (len(self.children) + 1)
        if slot < len(self.children):
            parameters["child_id"] = str(self.children[slot].child_id)

    def run_workflows(self, schema: Any) -> None:
        """The stateful phase: linked calls, each answer checked as above."""
        contract = self
        failed: list[Exception] = []

        class Workflows(schema.as_state_machine()):  # type: ignore[misc]
            def before_call(self, case: Case) -> None:
                contract.aim_child(case)
                _fresh_idempotency_key(case)
                contract.with_headers(case)

            def after_call(self, response: schemathesis.Response, case: Case) -> None:
                super().after_call(response, case)
                contract.workflow_statuses[response.status_code] += 1
                if case.path == "/v1/children" and response.status_code == 201:
                    contract.registered.add(UUID(response.json()["child_id"]))

            def validate_response(
                self, response: schemathesis.Response, case: Case, **kwargs: Any
            ) -> None:
                try:
                    super().validate_response(response, case, **kwargs)
                except Exception as failure:
                    failed.append(failure)
                    raise

        try:
            Workflows.run(
                settings=hypothesis.settings(
                    max_examples=WORKFLOWS,
                    stateful_step_count=WORKFLOW_STEPS,
                    derandomize=True,
                    database=None,
                    deadline=None,
                    # Rules wait for what earlier calls produced: Hypothesis counts the
                    # steps it cannot take yet as filtered inputs, and the calls as slow.
                    suppress_health_check=[
                        hypothesis.HealthCheck.filter_too_much,
                        hypothesis.HealthCheck.too_slow,
                    ],
                )
            )
        except hypothesis.errors.FlakyStrategyDefinition:
            # The services keep what every workflow recorded, so a workflow Hypothesis
            # replays may be answered otherwise the second time and draw otherwise:
            # schemathesis' own runner counts that as no failure. A check that failed
            # first still fails the test, and the workflows must have got going.
            if failed:
                raise failed[0] from None
            assert sum(self.workflow_statuses.values()) >= WORKFLOWS * 2, self.workflow_statuses

    def summary(self, service: str) -> str:
        fewest, most = min(self.cases.values(), default=0), max(self.cases.values(), default=0)
        return (
            f"{service}: {len(self.cases)} operations, {sum(self.cases.values())} cases "
            f"({fewest}-{most} per operation, {_successes(self.statuses)} answered 2xx); "
            f"{WORKFLOWS} workflows of {sum(self.workflow_statuses.values())} calls "
            f"({_successes(self.workflow_statuses)} answered 2xx); "
            f"{self.transport.requests} requests with the checks' own, "
            f"{time.monotonic() - self.started:.0f} s"
        )


def _successes(statuses: Counter[int]) -> int:
    return sum(n for status, n in statuses.items() if 200 <= status < 300)


def _fresh_idempotency_key(case: Case) -> None:
    """A well-formed key, fresh for each request.

    Generated keys repeat (the shortest valid key is `!`), and a repeated key
    gets the first request's answer or a 422 for reuse: right, but not what
    the case meant to test. A malformed or missing key is left as generated.
    """
    headers = case.headers or {}
    key = headers.get("Idempotency-Key")
    if isinstance(key, str) and re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
        headers["Idempotency-Key"] = str(uuid4())


def _without_placeholders(case: Case) -> None:
    """Leave out the optional headers the coverage phase fills in on cases about something else.

    Schemathesis 4.32's coverage phase makes header values of letters and
    digits only, and puts one in every optional header beside the parameter a
    case is about, whatever the header's pattern: `If-Match: 0` (an ETag is
    quoted, RFC 9110 §8.8.3, and the document's pattern says so), `X-Purpose: 0`
    (a purpose starts with a letter). Every such case, even one meant to be
    valid, becomes a case about a malformed header and never reaches what it
    was about. The headers are optional, so the case without them is the one
    meant. Cases about the header itself, invalid cases about the headers
    together, and every fuzzed case, are sent as generated.
    """
    headers = case.headers or {}
    meta = case.meta
    data = meta.phase.data if meta is not None else None
    if not isinstance(data, CoveragePhaseData):
        return
    if data.parameter is None and meta is not None and not meta.generation.mode.is_positive:
        # A case about the headers together (an unexpected one, the optional ones
        # all sent): its invalid value may be the one it is about.
        return
    for parameter in case.operation.headers:
        name, value = parameter.name, headers.get(parameter.name)
        if value is None or parameter.is_required or data.parameter == name:
            continue
        pattern = _pattern(parameter.definition.get("schema", {}))
        if pattern is not None and not (isinstance(value, str) and re.search(pattern, value)):
            del headers[name]


def _pattern(schema: dict[str, Any]) -> str | None:
    if "pattern" in schema:
        return str(schema["pattern"])
    for option in schema.get("anyOf", []):
        if "pattern" in option:
            return str(option["pattern"])
    return None


def _uuid(value: object) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


def _schema(contract: Contract) -> Any:
    """The document the running service serves, with requests going to that service."""
    return schemathesis.openapi.from_wsgi(
        "/v1/openapi.json",
        contract.transport,
        config=config(contract.token, contract.max_examples),
    )


def _report(request: pytest.FixtureRequest, line: str) -> None:
    """One line in the run's output (CI's log), past pytest's capture."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)


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
def casefile_contract(
    request: pytest.FixtureRequest, casefile_service: CasefileService
) -> Iterator[Contract]:
    children = [_casefile_child(casefile_service) for _ in range(3)]
    alerts = casefile_service.get("/break-glass-alerts", user=CASEFILE_USER, role="team_manager")
    assert alerts.status_code == 200, alerts.text
    child = "/v1/children/{child_id}"
    contract = Contract(
        transport=ThroughTestClient(casefile_service.client),
        token=casefile_service.issuer.mint(CASEFILE_USER, CASEFILE_ROLES, ttl=3 * 3600),
        # Unrelated to a child (a reallocation in the run, an unknown child), the
        # caller breaks glass, as the policy lets every permitted role do.
        headers={"X-Break-Glass-Reason": BREAK_GLASS_REASON},
        children=children,
        others={"alert_id": [item["alert_id"] for item in alerts.json()["items"]]},
        creates={
            ("POST", f"{child}/periods-of-care"): "period_id",
            ("POST", f"{child}/reviews"): "review_id",
            ("POST", f"{child}/missing-episodes"): "episode_id",
        },
    )
    yield contract
    if contract.cases or contract.workflow_statuses:
        _report(request, contract.summary("casefile"))


@pytest.fixture(scope="module")
def casefile_schema(casefile_contract: Contract) -> Any:
    return _schema(casefile_contract)


# --------------------------------------------------------------------------- placements

PLACEMENTS_USER = "tm.contract"
PLACEMENTS_ROLES = ("team_manager", "social_worker", "iro")


def _placed_child(service: PlacementsService) -> Known:
    """In care (allocated to the caller, who is also the IRO), in a placement."""
    child_id = service.child_in_care(social_worker=PLACEMENTS_USER, iro=PLACEMENTS_USER)
    started = service.start(child_id, PLACEMENTS_USER, placement_provider="PR1")
    assert started.status_code == 201, started.text
    known = Known(child_id)
    known.add("placement_id", started.json()["id"])
    return known


@pytest.fixture(scope="module")
def placements_contract(
    request: pytest.FixtureRequest, service: PlacementsService
) -> Iterator[Contract]:
    children = [_placed_child(service) for _ in range(3)]
    placement = "/v1/children/{child_id}/placements"
    contract = Contract(
        transport=ThroughTestClient(service.client),
        # The known children's social worker and IRO; placements opens no
        # break-glass (casefile does), so other children's answers are 403s.
        token=service.issuer.mint(PLACEMENTS_USER, PLACEMENTS_ROLES, ttl=3 * 3600),
        headers={},
        children=children,
        creates={
            ("POST", placement): "placement_id",
            ("POST", f"{placement}/{{placement_id}}/move"): "placement_id",
            ("POST", f"{placement}/{{placement_id}}/placed-for-adoption"): "placement_id",
        },
    )
    yield contract
    if contract.cases or contract.workflow_statuses:
        _report(request, contract.summary("placements"))


@pytest.fixture(scope="module")
def placements_schema(placements_contract: Contract) -> Any:
    return _schema(placements_contract)


# --------------------------------------------------------------------------- health

HEALTH_USER = "nurse.contract"
#: The LAC nurse writes and reads for every child casefile told health of; `health`
#: (a practitioner) is what the FHIR feed's callers may also be.
HEALTH_ROLES = ("lac_nurse", "health")
#: Health has 19 operations and education 25: fewer fuzzed cases each than casefile's
#: and placements', so that the four services fit CI's time (docs/contract-testing.md).
HEALTH_MAX_EXAMPLES = 15
#: The writes whose answer's `id` is a new entry of the record.
HEALTH_ENTRIES = (
    *("initial-assessment-requests", "initial-assessments", "review-assessments"),
    *("dental-checks", "development-checks", "immunisations", "sdqs", "substance-misuse"),
    *("lead-professional", "plan/agreements", "plan/reviews"),
)
EDUCATION_MAX_EXAMPLES = 12


def _health_child(service: HealthService) -> Known:
    """In care, with an NHS number (FHIR Bundles name it), and an entry in the record."""
    child_id = service.child_in_care(nhs_number=new_nhs_number())
    known = Known(child_id)
    dental = service.client.post(
        f"/v1/children/{child_id}/health/dental-checks",
        json={"check_date": "2024-03-01"},
        headers=service.write_headers(HEALTH_USER),
    )
    assert dental.status_code == 201, dental.text
    known.add("entry_id", dental.json()["id"])
    return known


@pytest.fixture(scope="module")
def health_contract(
    request: pytest.FixtureRequest, health_service: HealthService
) -> Iterator[Contract]:
    children = [_health_child(health_service) for _ in range(3)]
    record = "/v1/children/{child_id}/health"
    contract = Contract(
        transport=ThroughTestClient(health_service.client),
        token=health_service.issuer.mint(HEALTH_USER, HEALTH_ROLES, ttl=3 * 3600),
        # Health opens no break-glass (casefile does): other children's answers are 403s.
        headers={},
        children=children,
        creates={("POST", f"{record}/{path}"): "entry_id" for path in HEALTH_ENTRIES},
        max_examples=HEALTH_MAX_EXAMPLES,
    )
    yield contract
    if contract.cases or contract.workflow_statuses:
        _report(request, contract.summary("health"))


@pytest.fixture(scope="module")
def health_schema(health_contract: Contract) -> Any:
    return _schema(health_contract)


# --------------------------------------------------------------------------- education

EDUCATION_USER = "vs.contract"
#: The Virtual School records and reads for every child looked after, reads the
#: council's figures and uploads feeds; a designated teacher also records.
EDUCATION_ROLES = ("virtual_school", "designated_teacher")
ATTENDANCE_HEADER = (
    "upn,urn,period_start,period_end,sessions_possible,sessions_attended,authorised_absence"
)


def _education_child(service: EducationService, serial: int) -> tuple[Known, str]:
    """Looked after, at school, with a PEP, a PEP review and an exclusion; and their UPN."""
    upn = make_upn(serial)
    child_id = known_child(service, upn=upn)
    known = Known(child_id)
    child = f"/v1/children/{child_id}"

    def post(path: str, body: dict[str, object]) -> dict[str, Any]:
        response = service.client.post(
            f"{child}/{path}", json=body, headers=service.write(EDUCATION_USER)
        )
        assert response.status_code in (200, 201), response.text
        answer: dict[str, Any] = response.json()
        return answer

    enrolment = post("enrolments", {"urn": "100001", "phase": "primary",
                                    "effective_date": "2023-09-04"})  # fmt: skip
    known.add("enrolment_id", enrolment["id"])
    pep = post("peps", {"effective_date": "2023-09-20", "targets_set": 3})
    known.add("pep_id", pep["id"])
    review = post(f"peps/{pep['id']}/reviews",
                  {"effective_date": "2023-12-01", "targets_set": 2, "targets_met": 2})  # fmt: skip
    known.add("review_id", review["id"])
    post("exclusions", {"urn": "100001", "kind": "suspension", "effective_date": "2023-10-02",
                        "reason": "DB", "days": 1})  # fmt: skip
    record = service.client.get(f"{child}/education", headers=service.write(EDUCATION_USER))
    assert record.status_code == 200, record.text
    known.add("exclusion_id", record.json()["exclusions"][0]["exclusion_id"])
    return known, upn


@pytest.fixture(scope="module")
def education_contract(
    request: pytest.FixtureRequest, education_service: EducationService
) -> Iterator[Contract]:
    made = [_education_child(education_service, 7100 + n) for n in range(3)]
    children = [known for known, _ in made]
    rows = "".join(f"\r\n{upn},100001,2023-09-04,2023-10-20,70,66,2" for _, upn in made)
    feed = education_service.client.post(
        "/v1/feeds/attendance",
        content=(ATTENDANCE_HEADER + rows).encode(),
        headers={**education_service.write(EDUCATION_USER), "Content-Type": "text/csv"},
    )
    assert feed.status_code == 202, feed.text
    child = "/v1/children/{child_id}"
    contract = Contract(
        transport=ThroughTestClient(education_service.client),
        token=education_service.issuer.mint(EDUCATION_USER, EDUCATION_ROLES, ttl=3 * 3600),
        # Education opens no break-glass (casefile does): other children's answers are 403s.
        headers={},
        children=children,
        others={"feed_id": [feed.json()["feed_id"]]},
        creates={
            ("POST", f"{child}/enrolments"): "enrolment_id",
            ("POST", f"{child}/school-moves"): "enrolment_id",
            ("POST", f"{child}/peps"): "pep_id",
            ("POST", f"{child}/peps/{{pep_id}}/reviews"): "review_id",
            ("POST", "/v1/feeds/attendance"): "feed_id",
            ("POST", "/v1/feeds/exclusions"): "feed_id",
        },
        max_examples=EDUCATION_MAX_EXAMPLES,
    )
    yield contract
    if contract.cases or contract.workflow_statuses:
        _report(request, contract.summary("education"))


@pytest.fixture(scope="module")
def education_schema(education_contract: Contract) -> Any:
    return _schema(education_contract)


# --------------------------------------------------------------------------- the runs

casefile_document = schemathesis.pytest.from_fixture("casefile_schema")
placements_document = schemathesis.pytest.from_fixture("placements_schema")
health_document = schemathesis.pytest.from_fixture("health_schema")
education_document = schemathesis.pytest.from_fixture("education_schema")


@casefile_document.parametrize()
def test_casefile_keeps_its_documented_contract(case: Case, casefile_contract: Contract) -> None:
    casefile_contract.check(case)


@placements_document.parametrize()
def test_placements_keeps_its_documented_contract(
    case: Case, placements_contract: Contract
) -> None:
    placements_contract.check(case)


def test_casefile_workflows_keep_the_contract(
    casefile_schema: Any, casefile_contract: Contract
) -> None:
    casefile_contract.run_workflows(casefile_schema)


def test_placements_workflows_keep_the_contract(
    placements_schema: Any, placements_contract: Contract
) -> None:
    placements_contract.run_workflows(placements_schema)


@health_document.parametrize()
def test_health_keeps_its_documented_contract(case: Case, health_contract: Contract) -> None:
    health_contract.check(case)


@education_document.parametrize()
def test_education_keeps_its_documented_contract(case: Case, education_contract: Contract) -> None:
    education_contract.check(case)


def test_health_workflows_keep_the_contract(health_schema: Any, health_contract: Contract) -> None:
    health_contract.run_workflows(health_schema)


def test_education_workflows_keep_the_contract(
    education_schema: Any, education_contract: Contract
) -> None:
    education_contract.run_workflows(education_schema)


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request: pytest.FixtureRequest) -> None:
    """Schemathesis 4.32 names each operation's subtest by rewriting `Node._nodeid`,
    which pytest 9.2 no longer has; give it the attribute to rewrite."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid
