"""`belonging dev up` end to end: real nats-server, real PostgreSQL, real child processes.

Each test runs the command as a subprocess on free ports and its own data
directory, the way `make run` does, then stops it the way a person does (Ctrl-C)
or watches it react to a child dying. The services come from this checkout
(whichever have a `__main__.py`) or, to exercise the service paths before the
real ones can run, from a sandbox checkout: a copy of `shared/` with stand-in
services that answer `/health` and report the environment they were given.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from devstack import CLI, READY, REPO_ROOT, DevUp

from shared.auth.tokens import TokenVerifier
from shared.settings import ServiceSettings
from shared.stack.nats_accounts import load_or_create_seed
from shared.stack.supervisor import (
    SERVICES,
    load_or_create_cipher_key,
    runnable_services,
)

pytestmark = pytest.mark.integration


FAKE_SERVICE = """
import json, os, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEYS = ("SERVICE_NAME", "PORT", "NATS_URL", "DATABASE_URL", "CIPHER_KEY",
        "PERSISTENCE_MODULE", "COMPRESSOR_TOPIC", "JWT_JWKS_FILE",
        "CASEFILE_NATS_NKEY_SEED", "PLACEMENTS_NATS_NKEY_SEED")
name, port = os.environ["SERVICE_NAME"], int(os.environ["PORT"])
print(f"fake {name} booting", flush=True)
if os.environ.get("FAKE_NEVER_LISTENS") == name:
    time.sleep(3600)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            body = b'{"status": "ok"}'
        elif self.path == "/env":
            body = json.dumps({key: os.environ.get(key) for key in KEYS}).encode()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
print(f"fake {name} listening on {port}", flush=True)
server.serve_forever()
"""

FAKE_DEMO = """
def seed(base_urls, token_for):
    token = token_for("social_worker", "sw.demo")
    return f"demo cohort loaded into {','.join(sorted(base_urls))}; token={token}"
"""


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        state = next(
            line
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("State:")
        )
    except (OSError, StopIteration):
        return False
    return "Z" in state.split()[1]


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{proc.name}: {cmdline}")
    return found


def _assert_nothing_left(dev: DevUp, pids: dict[str, int]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(_gone(pid) for pid in pids.values()):
        time.sleep(0.1)
    assert [name for name, pid in pids.items() if not _gone(pid)] == [], dev.output
    if Path("/proc").exists():
        assert _processes_mentioning(str(dev.data_dir)) == []


def _connect_anonymously(port: int) -> str:
    """What nats-py is told when it connects with no credentials."""
    import asyncio

    import nats

    async def connect() -> str:
        try:
            client = await nats.connect(
                f"nats://127.0.0.1:{port}", allow_reconnect=False, max_reconnect_attempts=1
            )
        except Exception as error:
            return str(error)
        await client.close()
        return "connected"

    return asyncio.run(connect())


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200
        return json.load(response)


@pytest.fixture
def work() -> Iterator[Path]:
    """A scratch directory of our own, not pytest's `tmp_path`.

    Run as root, PostgreSQL runs as the `embedded_postgres` user, which must be
    able to traverse every folder above its data; a pytest session starting
    elsewhere on the machine chmods /tmp/pytest-of-<user> back to 0700.
    """
    path = Path(tempfile.mkdtemp(prefix="belonging-dev-stack-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def sandbox(work: Path) -> Path:
    """A checkout with this `shared/` and stand-ins for the four runnable services."""
    root = work / "checkout"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO_ROOT / "shared", root / "shared", ignore=ignore)
    shutil.copytree(REPO_ROOT / "deploy" / "nats", root / "deploy" / "nats", ignore=ignore)
    services = root / "services"
    services.mkdir()
    (services / "__init__.py").write_text("")
    for offset, name in enumerate(("casefile", "placements", "health", "education"), start=1):
        (services / name).mkdir()
        (services / name / "__init__.py").write_text(f"PORT_OFFSET = {offset}\n")
        (services / name / "__main__.py").write_text(FAKE_SERVICE)
    (root / "shared" / "demo" / "__init__.py").write_text(FAKE_DEMO)
    return root


@pytest.fixture
def running(work: Path) -> Iterator[list[DevUp]]:
    """Every DevUp a test starts is stopped at the end (before `work` goes), whatever happened."""
    started: list[DevUp] = []
    yield started
    for dev in started:
        dev.kill()


def test_dev_up_runs_the_stack_and_ctrl_c_stops_it_cleanly(
    work: Path, running: list[DevUp]
) -> None:
    dev = DevUp(REPO_ROOT, work / "data", "--no-seed")
    running.append(dev)
    dev.wait_for(READY)
    pids = dev.pids()
    assert {"nats-server", "postgres"} <= set(pids)

    # NATS: up, JetStream on, fsync before every acknowledgement.
    varz = _get_json(f"http://127.0.0.1:{dev.ports.nats_monitor}/varz")
    assert varz["jetstream"]["config"]["sync_always"] is True
    assert varz["port"] == dev.ports.nats

    # PostgreSQL: one database per service, accepting connections.
    for name in SERVICES:
        dsn = f"postgresql://postgres@127.0.0.1:{dev.ports.postgres}/{name}"
        with psycopg.connect(dsn, connect_timeout=5) as connection:
            assert connection.execute("SELECT current_database()").fetchone() == (name,)

    # Whichever services this checkout can run answer /health on base+N.
    for name in runnable_services():
        assert name in pids
        port = dev.ports.service_port(name)
        assert _get_json(f"http://127.0.0.1:{port}/health")
        assert f"http://127.0.0.1:{port}/v1/docs" in dev.output

    assert f"nats://127.0.0.1:{dev.ports.nats}" in dev.output
    assert f"http://127.0.0.1:{dev.ports.nats_monitor}" in dev.output
    assert "belonging token --role social_worker --user sw.demo" in dev.output
    data = dev.data_dir
    assert (data / "cipher.key").stat().st_mode & 0o777 == 0o600
    assert (data / "dev-issuer" / "jwks.json").exists()
    assert (data / "logs" / "nats.log").exists()

    # NATS lets in only its users: no anonymous client, each service as its own.
    assert "authorization violation" in _connect_anonymously(dev.ports.nats).lower()
    seeds = {name: data / "nats-keys" / f"{name}.nk" for name in ("admin", *runnable_services())}
    for seed in seeds.values():
        assert seed.stat().st_mode & 0o777 == 0o600
    public = {
        name: bytes(load_or_create_seed(seed).public_key).decode() for name, seed in seeds.items()
    }
    connz = _get_json(f"http://127.0.0.1:{dev.ports.nats_monitor}/connz?auth=true&limit=1024")
    users = {connection.get("authorized_user") for connection in connz["connections"]}
    assert users == {public[name] for name in runnable_services()}, connz

    dev.process.send_signal(signal.SIGINT)
    assert dev.wait(30) == 0, dev.output
    assert "Stopped" in dev.output
    _assert_nothing_left(dev, pids)
    assert not (data / "run" / "pids.json").exists()


def test_dev_up_starts_services_seeds_and_stops_all_when_one_dies(
    sandbox: Path, work: Path, running: list[DevUp]
) -> None:
    data = work / "data"
    dev = DevUp(sandbox, data, "--seed")
    running.append(dev)
    dev.wait_for(READY)
    pids = dev.pids()
    assert {"nats-server", "postgres", "casefile", "placements"} <= set(pids)

    cipher_key = (data / "cipher.key").read_text().strip()
    for number, name in enumerate(("casefile", "placements"), start=1):
        port = dev.ports.port_base + number
        assert _get_json(f"http://127.0.0.1:{port}/health") == {"status": "ok"}
        env = _get_json(f"http://127.0.0.1:{port}/env")
        assert env == {
            "SERVICE_NAME": name,
            "PORT": str(port),
            "NATS_URL": f"nats://127.0.0.1:{dev.ports.nats}",
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{dev.ports.postgres}/{name}",
            "CIPHER_KEY": cipher_key,
            "PERSISTENCE_MODULE": "shared.eventstore",
            "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
            "JWT_JWKS_FILE": str(data / "dev-issuer" / "jwks.json"),
            # Its own NATS user, and not the other's.
            "CASEFILE_NATS_NKEY_SEED": None,
            "PLACEMENTS_NATS_NKEY_SEED": None,
            f"{name.upper()}_NATS_NKEY_SEED": str(data / "nats-keys" / f"{name}.nk"),
        }
        assert f"http://127.0.0.1:{port}/v1/docs" in dev.output
    assert "not runnable yet" in dev.output  # notifications

    # The demo loader got the running services and a token the services will trust.
    seeded = re.search(r"demo cohort loaded into (\S+); token=(\S+)", dev.output)
    assert seeded, dev.output
    assert seeded.group(1) == ",".join(sorted(runnable_services()))
    assert {"casefile", "placements", "health", "education"} <= set(runnable_services())
    # Verified the way a service started with that JWT_JWKS_FILE verifies it.
    settings = ServiceSettings(jwks_path=env["JWT_JWKS_FILE"])
    verifier = TokenVerifier.from_settings(settings)
    principal = verifier.verify(seeded.group(2))
    assert (principal.user_id, principal.roles) == ("sw.demo", ("social_worker",))

    # A child dying on its own takes the stack down, with its log shown.
    os.kill(pids["placements"], signal.SIGKILL)
    assert dev.wait(30) != 0
    assert "placements" in dev.output and "exited unexpectedly" in dev.output
    assert "fake placements listening" in dev.output  # the tail of its log
    _assert_nothing_left(dev, pids)

    # The cipher key is made once: a second run on the same data keeps it.
    assert load_or_create_cipher_key(data / "cipher.key") == cipher_key


def test_a_service_that_never_gets_healthy_fails_with_its_log(
    sandbox: Path, work: Path, running: list[DevUp], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NEVER_LISTENS", "placements")
    dev = DevUp(sandbox, work / "data", "--no-seed", "--health-timeout", "3")
    running.append(dev)
    assert dev.wait(120) == 1
    assert "placements did not answer GET" in dev.output
    assert "fake placements booting" in dev.output
    assert READY not in dev.output
    assert _processes_mentioning(str(dev.data_dir)) == []


def test_leftovers_of_a_killed_dev_up_are_named_not_trampled(
    work: Path, running: list[DevUp]
) -> None:
    data = work / "data"
    first = DevUp(REPO_ROOT, data, "--no-seed")
    running.append(first)
    first.wait_for(READY)
    pids = first.pids()
    first.process.kill()  # SIGKILL: no chance to stop its children
    first.wait(10)
    try:
        again = DevUp(REPO_ROOT, data, "--no-seed")
        running.append(again)
        assert again.wait(60) == 1
        for name in ("nats-server", "postgres"):
            assert f"{name} (pid {pids[name]})" in again.output
        assert f"kill {pids['nats-server']} {pids['postgres']}" in again.output
        reset = subprocess.run(
            [*CLI, "dev", "reset", "--yes", "--data-dir", str(data)],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
        )
        assert reset.returncode == 1 and (data / "postgres").exists(), reset.stdout
    finally:
        os.kill(pids["postgres"], signal.SIGINT)
        os.kill(pids["nats-server"], signal.SIGTERM)
        _assert_nothing_left(first, pids)


def test_a_taken_port_is_named_with_the_option_that_moves_it(work: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        taken = holder.getsockname()[1]
        command = [
            *CLI,
            "dev",
            "up",
            "--no-seed",
            "--nats-port",
            str(taken),
            "--data-dir",
            str(work / "data"),
        ]
        result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert f"Port {taken} (NATS) is already in use" in result.stdout
    assert "--nats-port" in result.stdout
    assert not (work / "data" / "nats").exists()  # nothing was started


def test_reset_deletes_the_data_directory_only_when_it_is_ours(work: Path) -> None:
    data = work / "data"
    (data / "logs").mkdir(parents=True)
    load_or_create_cipher_key(data / "cipher.key")
    command = [*CLI, "dev", "reset"]

    declined = subprocess.run(
        [*command, "--data-dir", str(data)], input="n\n", capture_output=True, text=True
    )
    assert declined.returncode != 0 and data.exists()

    strange = work / "strange"
    strange.mkdir()
    (strange / "thesis.tex").write_text("keep me")
    refused = subprocess.run(
        [*command, "--yes", "--data-dir", str(strange)], capture_output=True, text=True
    )
    assert refused.returncode == 1 and (strange / "thesis.tex").exists()

    done = subprocess.run(
        [*command, "--yes", "--data-dir", str(data)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not data.exists()
