"""Authentication and authorisation at the API edge (DESIGN.md, "Security").

Unit tests: tokens are minted by a DevIssuer in a temporary directory and the
app runs in-process through TestClient; no server is needed.
"""

from __future__ import annotations

import base64
import hmac as hmac_module
import json
import threading
import time
from collections.abc import Collection, Iterator
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from shared.api.app_factory import create_app
from shared.auth.break_glass import BreakGlassGrants, CannotOpenHere, Grant
from shared.auth.dependencies import authenticated, require
from shared.auth.roles import Role
from shared.auth.tokens import DevIssuer, InvalidToken, JwksUrl, Principal, TokenVerifier
from shared.cli import app as cli_app
from shared.request_context import current
from shared.settings import ServiceSettings

#: Children's ids are UUIDs, as the casefile service gives them.
C1, C2 = "00000000-0000-4000-8000-0000000000c1", "00000000-0000-4000-8000-0000000000c2"

POLICY = {
    "case.read": frozenset({Role.SOCIAL_WORKER, Role.IRO}),
    "stats.read": frozenset({Role.PERFORMANCE}),
}


class Allocations:
    """A RelationshipChecker as a service would build it from its read model."""

    def __init__(self, *related: tuple[str, str, str]) -> None:
        self.related = set(related)

    def is_related(
        self, user_id: str, role: str, child_id: str, teams: Collection[str] = ()
    ) -> bool:
        return (user_id, role, child_id) in self.related


class Grants:
    """A BreakGlassGrants as a service that records grants would keep them (here, in memory)."""

    def __init__(self, lasting: timedelta = timedelta(hours=4)) -> None:
        self.lasting = lasting
        self.recorded: list[Grant] = []

    def latest(self, user_id: str, child_id: str) -> Grant | None:
        mine = [g for g in self.recorded if (g.user_id, g.child_id) == (user_id, child_id)]
        return mine[-1] if mine else None

    def open(self, user_id: str, role: str, child_id: str, reason: str) -> Grant:
        now = datetime.now(UTC)
        latest = self.latest(user_id, child_id)
        if latest is not None and latest.open_at(now):
            return latest
        grant = Grant(
            f"g{len(self.recorded) + 1}", user_id, role, child_id, now, now + self.lasting, reason
        )
        self.recorded.append(grant)
        return grant

    def run_out(self, user_id: str, child_id: str) -> None:
        """The user's latest grant to the child ends now (instead of waiting hours)."""
        latest = self.latest(user_id, child_id)
        assert latest is not None
        ended = replace(latest, expires_at=datetime.now(UTC) - timedelta(seconds=1))
        self.recorded[self.recorded.index(latest)] = ended


class HonoursOnly(Grants):
    """A service that honours grants recorded elsewhere and opens none."""

    def open(self, user_id: str, role: str, child_id: str, reason: str) -> Grant:
        raise CannotOpenHere("ask the casefile service")


router = APIRouter()


@router.get("/children/{child_id}/summary")
def child_summary(
    child_id: str, principal: Principal = Depends(require("case.read", POLICY))
) -> dict[str, Any]:
    # A sync endpoint: runs in a worker thread, which must still see the context.
    return {"principal_role": principal.role, "context": asdict(current())}


@router.get("/stats")
def stats(principal: Principal = Depends(require("stats.read", POLICY))) -> dict[str, str]:
    return {"user": principal.user_id}


@router.get("/whoami")
async def whoami(principal: Principal = Depends(authenticated)) -> dict[str, Any]:
    return {"user": principal.user_id, "name": principal.name, "roles": list(principal.roles)}


@router.get("/unguarded")
def unguarded() -> dict[str, str]:
    """Declares no auth itself: the app factory must still demand a token."""
    return {"context_actor": current().actor}


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> DevIssuer:
    return DevIssuer(tmp_path_factory.mktemp("dev-issuer"))


ALLOCATIONS = Allocations(
    ("sw.jones", "social_worker", C1),
    ("iro.patel", "iro", C2),
)


@pytest.fixture(scope="module")
def grants() -> Grants:
    return Grants()


@pytest.fixture(scope="module")
def app(issuer: DevIssuer, grants: Grants) -> FastAPI:
    settings = ServiceSettings(service_name="auth-test", jwks_path=str(issuer.jwks_path))
    return create_app(settings, [router], relationships=ALLOCATIONS, break_glass=grants)


@pytest.fixture(scope="module")
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def bearer(issuer: DevIssuer, user: str, *roles: str, **kwargs: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {issuer.mint(user, roles, **kwargs)}"}


# --- tokens -----------------------------------------------------------------------


def test_minted_token_verifies_to_its_claims(issuer: DevIssuer) -> None:
    token = issuer.mint(
        "sw.jones", [Role.SOCIAL_WORKER, Role.TEAM_MANAGER], name="Sam Jones", on_behalf_of="tm.ali"
    )
    principal = issuer.verifier().verify(token)
    assert principal == Principal(
        user_id="sw.jones",
        name="Sam Jones",
        roles=("social_worker", "team_manager"),
        on_behalf_of="tm.ali",
    )


def test_dev_issuer_keeps_its_key_pair(issuer: DevIssuer) -> None:
    again = DevIssuer(issuer.directory)
    assert again.kid == issuer.kid
    assert issuer.verifier().verify(again.mint("u", ["iro"])).user_id == "u"
    assert issuer.private_key_path.stat().st_mode & 0o077 == 0  # private to its owner
    assert json.loads(issuer.jwks_path.read_text())["keys"][0]["kid"] == issuer.kid


def test_expired_token_is_refused(issuer: DevIssuer) -> None:
    token = issuer.mint("sw.jones", ["social_worker"], ttl=-120)  # beyond the 30 s leeway
    with pytest.raises(InvalidToken, match="expired"):
        issuer.verifier().verify(token)


def test_token_for_another_audience_is_refused(issuer: DevIssuer) -> None:
    token = issuer.mint("sw.jones", ["social_worker"], audience="payroll")
    with pytest.raises(InvalidToken, match="audience"):
        issuer.verifier().verify(token)


def test_token_from_another_issuer_name_is_refused(issuer: DevIssuer) -> None:
    verifier = TokenVerifier(
        issuer.verifier().keys, issuer="https://idp.example", audience="belonging"
    )
    with pytest.raises(InvalidToken, match="issuer"):
        verifier.verify(issuer.mint("sw.jones", ["social_worker"]))


def test_token_signed_with_another_key_is_refused(issuer: DevIssuer, tmp_path: Path) -> None:
    impostor = DevIssuer(tmp_path / "impostor")
    with pytest.raises(InvalidToken, match="unknown key"):
        issuer.verifier().verify(impostor.mint("sw.jones", ["admin"]))
    # Same kid as the real key, wrong signature.
    forged = jwt.encode(
        jwt.decode(impostor.mint("sw.jones", ["admin"]), options={"verify_signature": False}),
        impostor._private_key,
        algorithm="RS256",
        headers={"kid": issuer.kid},
    )
    with pytest.raises(InvalidToken, match="signature"):
        issuer.verifier().verify(forged)


def test_unsigned_and_symmetric_tokens_are_refused(issuer: DevIssuer) -> None:
    claims = jwt.decode(issuer.mint("sw.jones", ["admin"]), options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": issuer.kid})
    # The classic confusion attack: HS256 keyed with the (public) key material.
    # PyJWT refuses to make one, so sign it by hand.
    public_pem = issuer._private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = b".".join(
        _b64(json.dumps(part).encode()) for part in ({"alg": "HS256", "kid": issuer.kid}, claims)
    )
    hmac = (
        signing_input + b"." + _b64(hmac_module.new(public_pem, signing_input, "sha256").digest())
    ).decode()
    for token in (unsigned, hmac, "not-a-jwt"):
        with pytest.raises(InvalidToken):
            issuer.verifier().verify(token)


def test_keys_can_come_from_a_jwks_url(issuer: DevIssuer) -> None:
    document = issuer.jwks_path.read_bytes()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/jwks.json"
        verifier = TokenVerifier(JwksUrl(url), issuer=issuer.issuer, audience="belonging")
        assert verifier.verify(issuer.mint("iro.patel", ["iro"])).roles == ("iro",)
    finally:
        server.shutdown()


# --- the API edge -----------------------------------------------------------------


def test_missing_token_is_401_problem_with_challenge(client: TestClient) -> None:
    response = client.get("/v1/whoami")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == 'Bearer realm="belonging"'
    body = response.json()
    assert body["status"] == 401 and body["title"] == "Unauthorized"


def test_invalid_token_is_401_naming_the_reason(client: TestClient, issuer: DevIssuer) -> None:
    response = client.get(
        "/v1/whoami", headers=bearer(issuer, "sw.jones", "social_worker", ttl=-120)
    )
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert response.json()["detail"] == "token has expired"


def test_every_v1_route_needs_a_token(client: TestClient, issuer: DevIssuer) -> None:
    assert client.get("/v1/unguarded").status_code == 401
    response = client.get("/v1/unguarded", headers=bearer(issuer, "sw.jones", "social_worker"))
    assert response.json() == {"context_actor": "sw.jones"}


def test_valid_token_reaches_the_endpoint(client: TestClient, issuer: DevIssuer) -> None:
    response = client.get(
        "/v1/whoami", headers=bearer(issuer, "sw.jones", "social_worker", name="Sam")
    )
    assert response.status_code == 200
    assert response.json() == {"user": "sw.jones", "name": "Sam", "roles": ["social_worker"]}


def test_role_not_in_policy_is_403_problem(client: TestClient, issuer: DevIssuer) -> None:
    response = client.get("/v1/stats", headers=bearer(issuer, "sw.jones", "social_worker"))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:belonging:problem:role-not-permitted"
    allowed = client.get("/v1/stats", headers=bearer(issuer, "perf.lee", "performance"))
    assert allowed.status_code == 200


def test_related_worker_reads_child_and_context_is_recorded(
    client: TestClient, issuer: DevIssuer
) -> None:
    response = client.get(
        f"/v1/children/{C1}/summary",
        headers={
            **bearer(issuer, "sw.jones", "team_manager", "social_worker", on_behalf_of="tm.ali"),
            "X-Correlation-Id": "corr-123",
        },
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-correlation-id"] == "corr-123"
    assert response.json() == {
        "principal_role": "social_worker",
        "context": {
            "actor": "sw.jones",
            "role": "social_worker",
            "on_behalf_of": "tm.ali",
            "purpose": "direct-care",
            "child_id": C1,
            "break_glass_reason": None,
            "correlation_id": "corr-123",
        },
    }


def test_permitted_role_unrelated_to_child_is_403(client: TestClient, issuer: DevIssuer) -> None:
    response = client.get(
        f"/v1/children/{C2}/summary",
        headers=bearer(issuer, "sw.jones", "social_worker"),
    )
    assert response.status_code == 403
    assert response.json()["type"] == "urn:belonging:problem:not-related"
    assert "X-Break-Glass-Reason" in response.json()["detail"]


def test_break_glass_lets_permitted_role_through_and_is_recorded(
    client: TestClient, issuer: DevIssuer
) -> None:
    reason = "Out-of-hours placement breakdown; allocated worker unreachable"
    response = client.get(
        f"/v1/children/{C2}/summary",
        headers={
            **bearer(issuer, "sw.jones", "social_worker"),
            "X-Break-Glass-Reason": reason,
            "X-Purpose": "safeguarding",
        },
    )
    assert response.status_code == 200, response.text
    context = response.json()["context"]
    assert context["break_glass_reason"] == reason
    assert context["purpose"] == "safeguarding"
    assert context["child_id"] == C2
    assert context["role"] == "social_worker"
    assert context["correlation_id"] == response.headers["x-correlation-id"]


def test_break_glass_does_not_widen_roles(client: TestClient, issuer: DevIssuer) -> None:
    response = client.get(
        f"/v1/children/{C1}/summary",
        headers={**bearer(issuer, "perf.lee", "performance"), "X-Break-Glass-Reason": "curious"},
    )
    assert response.status_code == 403
    assert response.json()["type"] == "urn:belonging:problem:role-not-permitted"


def test_related_access_is_not_flagged_as_break_glass(
    client: TestClient, issuer: DevIssuer
) -> None:
    response = client.get(
        f"/v1/children/{C2}/summary",
        headers={**bearer(issuer, "iro.patel", "iro"), "X-Break-Glass-Reason": "just in case"},
    )
    assert response.json()["context"]["break_glass_reason"] is None


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Break-Glass-Reason", "   "),
        ("X-Break-Glass-Reason", "x" * 501),
        ("X-Purpose", "Direct Care!"),
    ],
)
def test_malformed_audit_headers_are_400(
    client: TestClient, issuer: DevIssuer, header: str, value: str
) -> None:
    response = client.get(
        f"/v1/children/{C2}/summary",
        headers={**bearer(issuer, "sw.jones", "social_worker"), header: value},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == f"header.{header.lower()}"


def test_route_with_child_but_no_relationship_checker_fails_closed(issuer: DevIssuer) -> None:
    settings = ServiceSettings(service_name="no-checker", jwks_path=str(issuer.jwks_path))
    with TestClient(create_app(settings, [router])) as client:
        response = client.get(
            f"/v1/children/{C1}/summary",
            headers=bearer(issuer, "sw.jones", "social_worker"),
        )
    assert response.status_code == 500


def test_unknown_action_is_refused_when_the_route_is_declared() -> None:
    with pytest.raises(KeyError):
        require("case.delete", POLICY)


def test_cli_prints_a_token_the_verifier_accepts(issuer: DevIssuer) -> None:
    result = CliRunner().invoke(
        cli_app,
        [
            "token",
            "--role",
            "social_worker",
            "--role",
            "iro",
            "--user",
            "sw.jones",
            "--name",
            "Sam Jones",
            "--ttl",
            "60",
            "--issuer-dir",
            str(issuer.directory),
        ],
    )
    assert result.exit_code == 0, result.output
    principal = issuer.verifier().verify(result.stdout.strip())
    assert (principal.user_id, principal.name, principal.roles) == (
        "sw.jones",
        "Sam Jones",
        ("social_worker", "iro"),
    )
    claims = jwt.decode(result.stdout.strip(), options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 60
    assert claims["iat"] <= time.time()


def test_a_verified_token_is_remembered_until_it_expires(issuer: DevIssuer) -> None:
    verifier = issuer.verifier()
    token = issuer.mint("sw.jones", ["social_worker"], ttl=1)
    assert verifier.already_verified(token) is None  # never seen: verify it first
    principal = verifier.verify(token)
    assert verifier.already_verified(token) == principal
    time.sleep(1.1)
    assert verifier.already_verified(token) is None  # expired: not honoured from memory


def test_a_remembered_token_is_checked_again_after_a_minute(
    issuer: DevIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = issuer.verifier()
    token = issuer.mint("sw.jones", ["social_worker"])
    monkeypatch.setattr(TokenVerifier, "RECHECK", 0.0)
    verifier.verify(token)
    assert verifier.already_verified(token) is None


def test_a_forged_token_is_never_remembered(issuer: DevIssuer) -> None:
    verifier = issuer.verifier()
    forged = issuer.mint("sw.jones", ["social_worker"])[:-4] + "AAAA"
    with pytest.raises(InvalidToken):
        verifier.verify(forged)
    assert verifier.already_verified(forged) is None


def test_a_malformed_child_id_is_422_naming_it_not_403(
    client: TestClient, issuer: DevIssuer
) -> None:
    for bad in ("C1", "not-a-uuid", "%00", "00000000-0000-4000-8000-0000000000c1%00"):
        response = client.get(
            f"/v1/children/{bad}/summary", headers=bearer(issuer, "sw.jones", "social_worker")
        )
        assert response.status_code == 422, (bad, response.text)
        assert [e["field"] for e in response.json()["errors"]] == ["path.child_id"]
    # Authentication still comes first.
    assert client.get("/v1/children/C1/summary").status_code == 401


def test_a_break_glass_reason_in_any_language_is_recorded_as_written(
    client: TestClient, issuer: DevIssuer
) -> None:
    reason = "Child at A&E — café staff called; ysbyty Gwynedd"
    response = client.get(
        f"/v1/children/{C2}/summary",
        headers={
            **bearer(issuer, "sw.jones", "social_worker"),
            "X-Break-Glass-Reason": reason.encode("utf-8"),  # as a client sends it
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["context"]["break_glass_reason"] == reason


# --- break-glass: grants, their end, asking again (docs/adr/0015-break-glass.md) ------------

C3 = "00000000-0000-4000-8000-0000000000c3"


def _summary(client: TestClient, issuer: DevIssuer, user: str, reason: str | None = None) -> Any:
    headers = bearer(issuer, user, "social_worker")
    if reason is not None:
        headers["X-Break-Glass-Reason"] = reason
    return client.get(f"/v1/children/{C3}/summary", headers=headers)


def test_a_grant_admits_the_user_without_the_header_until_it_expires(
    client: TestClient, issuer: DevIssuer, grants: Grants
) -> None:
    opened = _summary(client, issuer, "sw.cover", "Carer rang: child taken to A&E")
    assert opened.status_code == 200, opened.text
    [grant] = [g for g in grants.recorded if (g.user_id, g.child_id) == ("sw.cover", C3)]
    assert grant.expires_at - grant.granted_at == timedelta(hours=4)

    # Within the grant: no header needed, and still flagged with the grant's reason.
    again = _summary(client, issuer, "sw.cover")
    assert again.status_code == 200, again.text
    assert again.json()["context"]["break_glass_reason"] == "Carer rang: child taken to A&E"

    grants.run_out("sw.cover", C3)
    expired = _summary(client, issuer, "sw.cover")
    assert expired.status_code == 403
    problem = expired.json()
    assert problem["type"] == "urn:belonging:problem:break-glass-expired"
    assert "X-Break-Glass-Reason" in problem["detail"]
    assert problem["grant_id"] == grant.grant_id
    assert datetime.fromisoformat(problem["expired_at"]) < datetime.now(UTC)


def test_asking_again_after_expiry_records_a_new_grant_and_never_extends_one(
    client: TestClient, issuer: DevIssuer, grants: Grants
) -> None:
    def mine() -> list[Grant]:
        return [g for g in grants.recorded if (g.user_id, g.child_id) == ("sw.night", C3)]

    assert _summary(client, issuer, "sw.night", "Police request, 02:00").status_code == 200
    first = mine()[-1]
    # The header again while the grant is open: the same grant, the same end.
    assert _summary(client, issuer, "sw.night", "still the same emergency").status_code == 200
    assert mine() == [first]

    grants.run_out("sw.night", C3)
    renewed = _summary(client, issuer, "sw.night", "Police request continues, 06:00")
    assert renewed.status_code == 200, renewed.text
    assert len(mine()) == 2
    assert mine()[-1].grant_id != first.grant_id
    assert mine()[-1].reason == "Police request continues, 06:00"


def test_a_service_that_only_honours_grants_says_where_to_ask(issuer: DevIssuer) -> None:
    honours = HonoursOnly()
    settings = ServiceSettings(service_name="honours", jwks_path=str(issuer.jwks_path))
    app = create_app(settings, [router], relationships=ALLOCATIONS, break_glass=honours)
    assert isinstance(honours, BreakGlassGrants)
    with TestClient(app) as client:
        refused = _summary(client, issuer, "sw.cover", "emergency")
        assert refused.status_code == 403
        assert refused.json()["type"] == "urn:belonging:problem:break-glass-not-open"
        assert refused.json()["detail"] == "ask the casefile service"

        now = datetime.now(UTC)
        honours.recorded.append(
            Grant("g1", "sw.cover", "social_worker", C3, now, now + timedelta(minutes=5))
        )
        honoured = _summary(client, issuer, "sw.cover")
        assert honoured.status_code == 200, honoured.text
        # Without the reason (it stays where it was recorded), the grant is named.
        assert honoured.json()["context"]["break_glass_reason"] == "break-glass grant g1"


def test_break_glass_without_anywhere_to_record_it_fails_closed(issuer: DevIssuer) -> None:
    settings = ServiceSettings(service_name="no-grants", jwks_path=str(issuer.jwks_path))
    with TestClient(create_app(settings, [router], relationships=ALLOCATIONS)) as client:
        assert _summary(client, issuer, "sw.cover").status_code == 403  # not related
        assert _summary(client, issuer, "sw.cover", "emergency").status_code == 500
