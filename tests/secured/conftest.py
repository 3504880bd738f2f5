"""Secured nats-servers, started once per test session and only when a test asks for one."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from secured.secure_nats import Mode, SecuredNatsServer, SecurityKit, make_security_kit

# Settings our event store reads from os.environ when the application's env
# lacks them: none may leak into these tests from the shell or other tests.
STORE_SETTINGS = (
    "NATS_URL",
    "NATS_CREDS",
    "NATS_NKEY_SEED",
    "NATS_USER",
    "NATS_PASSWORD",
    "NATS_TOKEN",
    "NATS_TLS_CA",
    "NATS_TLS_CERT",
    "NATS_TLS_KEY",
    "NATS_JS_DOMAIN",
    "NATS_JS_API_PREFIX",
    "NATS_TIMEOUT",
    "NATS_CONNECT_TIMEOUT",
)


class SecuredServers:
    """One running server for each (mode, JetStream domain) asked for."""

    def __init__(self, kit: SecurityKit, directory: Path) -> None:
        self.kit = kit
        self.directory = directory
        self._servers: dict[tuple[Mode, str | None], SecuredNatsServer] = {}

    def get(self, mode: Mode, js_domain: str | None = None) -> SecuredNatsServer:
        key = (mode, js_domain)
        if key not in self._servers:
            name = mode.value + (f"-{js_domain}" if js_domain else "")
            server = SecuredNatsServer(self.kit, mode, self.directory / name, js_domain=js_domain)
            server.start()
            self._servers[key] = server
        return self._servers[key]

    def stop_all(self) -> None:
        for server in self._servers.values():
            server.stop()


@pytest.fixture(scope="session")
def secured_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="belonging-secured-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def security_kit(secured_dir: Path) -> SecurityKit:
    return make_security_kit(secured_dir / "kit")


@pytest.fixture(scope="session")
def secured_servers(security_kit: SecurityKit, secured_dir: Path) -> Iterator[SecuredServers]:
    servers = SecuredServers(security_kit, secured_dir / "servers")
    try:
        yield servers
    finally:
        # Clients still open at the end would log each reconnect attempt.
        logging.getLogger("nats").setLevel(logging.CRITICAL)
        servers.stop_all()


@pytest.fixture(autouse=True)
def _no_store_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in STORE_SETTINGS:
        if name in os.environ:
            monkeypatch.delenv(name)
