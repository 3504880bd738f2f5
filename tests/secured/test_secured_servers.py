"""The secured servers and credentials of `secure_nats`, proven with plain nats-py.

Independent of our event store: each mode's settings get a client in (with a
JetStream account), and each refused client is refused for the right reason,
at once.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Callable

import nats
import pytest
from nats.aio.client import Client

from secured.conftest import SecuredServers
from secured.secure_nats import (
    REFUSALS,
    Failure,
    Mode,
    Refusal,
    SecurityKit,
    decode_jwt_claims,
    nats_py_connect_options,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

# (mode, JetStream domain) of every server the store tests use.
SERVERS = [(mode, None) for mode in Mode] + [(Mode.USER_PASSWORD, "council")]


def _server_id(case: tuple[Mode, str | None]) -> str:
    mode, domain = case
    return mode.value + (f"-domain-{domain}" if domain else "")


@pytest.mark.parametrize("case", SERVERS, ids=_server_id)
async def test_secured_servers_accept_nats_py(
    secured_servers: SecuredServers, case: tuple[Mode, str | None]
) -> None:
    mode, domain = case
    server = secured_servers.get(mode, js_domain=domain)
    settings = server.store_settings()
    nc: Client = await nats.connect(**nats_py_connect_options(settings))
    try:
        info = await nc.jetstream(domain=settings.get("NATS_JS_DOMAIN")).account_info()
        assert info.domain == domain
        assert info.limits.max_storage == -1  # JetStream is on, file storage unlimited
        url = nc.connected_url
        assert url is not None and url.port == server.port
    finally:
        await nc.close()
    varz = server.varz()
    assert varz["jetstream"]["config"]["sync_always"] is True
    assert varz.get("tls_required", False) is mode.uses_tls
    assert varz.get("auth_required", False) is (mode is not Mode.MUTUAL_TLS)
    if mode is Mode.MUTUAL_TLS:
        assert varz["tls_verify"] is True


TLS_HANDSHAKE_ERROR = "TLS handshake error"


async def _waits_for(condition: Callable[[], bool], seconds: float = 2.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


def _refusal_id(refusal: Refusal) -> str:
    return refusal.id


async def _failure_of(settings: dict[str, str]) -> tuple[BaseException, list[Exception]]:
    """What nats.connect raises for these settings, and the errors it reported on the way."""
    reported: list[Exception] = []

    async def error_cb(e: Exception) -> None:
        reported.append(e)

    try:
        nc = await nats.connect(error_cb=error_cb, **nats_py_connect_options(settings))
    except Exception as e:
        return e, reported
    await nc.close()
    raise AssertionError(f"nats-py got in with {settings}")


@pytest.mark.parametrize("refusal", REFUSALS, ids=_refusal_id)
async def test_secured_servers_refuse_nats_py(
    secured_servers: SecuredServers, security_kit: SecurityKit, refusal: Refusal
) -> None:
    server = secured_servers.get(refusal.mode) if refusal.mode else None
    settings = refusal.change(security_kit, server.store_settings() if server else {})
    handshake_errors = server.log_text().count(TLS_HANDSHAKE_ERROR) if server else 0
    started = time.monotonic()
    raised, reported = await _failure_of(settings)
    elapsed = time.monotonic() - started
    assert elapsed < 2.0
    expected = refusal.failures[0]
    if expected is Failure.AUTHORIZATION:
        assert isinstance(raised, nats.errors.Error)
        assert "Authorization Violation" in str(raised)
    elif expected is Failure.TLS and refusal.mode is Mode.MUTUAL_TLS:
        # The server refuses a client certificate after TLS 1.3's handshake has
        # finished on the client's side: its alert reaches nats-py as an SSLError,
        # or (in a quarter to a third of tries here) CONNECT meets a connection
        # already closed: BrokenPipeError or ConnectionResetError. The server's
        # log records the refusal every time.
        assert isinstance(raised, ssl.SSLError | ConnectionError), repr(raised)
        assert server is not None
        assert await _waits_for(
            lambda: server.log_text().count(TLS_HANDSHAKE_ERROR) > handshake_errors
        )
    elif expected is Failure.TLS:
        assert isinstance(raised, ssl.SSLCertVerificationError), repr(raised)
    else:
        assert isinstance(raised, nats.errors.NoServersError), repr(raised)
        assert reported and all(isinstance(e, ConnectionRefusedError) for e in reported)


def test_generated_credentials_have_the_standard_layout(security_kit: SecurityKit) -> None:
    op = security_kit.operator
    lines = op.creds_path.read_text().splitlines()
    assert lines[0] == "-----BEGIN NATS USER JWT-----"
    assert lines[1] == op.user_jwt
    assert lines[2] == "------END NATS USER JWT------"
    assert "************************* IMPORTANT *************************" in lines
    seed_at = lines.index("-----BEGIN USER NKEY SEED-----") + 1
    assert (
        lines[seed_at].startswith("SU") and lines[seed_at + 1] == "------END USER NKEY SEED------"
    )
    assert oct(op.creds_path.stat().st_mode & 0o777) == "0o600"

    operator = decode_jwt_claims(op.operator_jwt_path.read_text())
    account = decode_jwt_claims(op.account_jwts[op.account_public_key])
    system = decode_jwt_claims(op.account_jwts[op.system_account_public_key])
    user = decode_jwt_claims(op.user_jwt)
    assert operator["iss"] == operator["sub"] == op.operator_public_key
    assert operator["nats"]["system_account"] == op.system_account_public_key
    assert account["iss"] == system["iss"] == op.operator_public_key
    assert account["nats"]["limits"]["disk_storage"] == -1
    assert "disk_storage" not in system["nats"]["limits"]  # no JetStream in the system account
    assert user["iss"] == op.account_public_key and user["sub"] == op.user_public_key
    assert security_kit.nkey_seed_path.read_text().strip().startswith("SU")
