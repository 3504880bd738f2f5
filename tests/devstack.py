"""`belonging dev up` as a subprocess on free ports, for the tests that need the whole stack.

Used by `tests/shared/test_dev_stack.py` (the command itself) and
`tests/e2e/` (the demo cohort on the real services).
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from shared.stack.nats_server import free_port
from shared.stack.supervisor import SERVICES, StackPorts, port_is_free

REPO_ROOT = Path(__file__).resolve().parents[1]
READY = "Ready. Ctrl-C stops everything."
CLI = [sys.executable, "-c", "from shared.cli import app; app()"]
#: A service's row in the ready table: "│ casefile      │ http://127.0.0.1:8001 │ ...".
SERVICE_ROW = re.compile(
    r"^\W*(casefile|placements|health|education|notifications)\s+\W\s*(http://\S+)", re.M
)


class DevUp:
    """A `belonging dev up` subprocess whose output a thread collects."""

    def __init__(self, checkout: Path, data_dir: Path, *options: str) -> None:
        self.data_dir = data_dir
        self.ports = StackPorts(
            nats=free_port(), nats_monitor=free_port(), postgres=free_port(), port_base=_port_base()
        )
        command = [
            *CLI,
            "dev",
            "up",
            "--nats-port",
            str(self.ports.nats),
            "--nats-monitor-port",
            str(self.ports.nats_monitor),
            "--pg-port",
            str(self.ports.postgres),
            "--port-base",
            str(self.ports.port_base),
            "--data-dir",
            str(data_dir),
            *options,
        ]
        # `-c` puts the working directory first on sys.path: the checkout's code runs.
        self.process = subprocess.Popen(
            command,
            cwd=checkout,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return
            if self.process.poll() is not None:
                self._reader.join(5)
                if any(text in line for line in self.lines):
                    return
                pytest.fail(f"dev up exited ({self.process.returncode}) first:\n{self.output}")
            time.sleep(0.1)
        pytest.fail(f"no {text!r} within {timeout}s:\n{self.output}")

    def pids(self) -> dict[str, int]:
        line = next(line for line in self.lines if line.startswith("pids:"))
        return {name: int(pid) for name, pid in re.findall(r"(\S+)=(\d+)", line)}

    def wait(self, timeout: float) -> int:
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"dev up did not exit within {timeout}s:\n{self.output}")
        self._reader.join(5)
        return code

    def base_urls(self) -> dict[str, str]:
        """The services' URLs as the ready table prints them."""
        return dict(SERVICE_ROW.findall(self.output))

    def stop(self, timeout: float = 60.0) -> int:
        """Ctrl-C, as a person stops it; returns the exit code."""
        self.process.send_signal(signal.SIGINT)
        return self.wait(timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _port_base() -> int:
    """A base whose five service ports (base+1 … base+5) are free."""
    for _ in range(200):
        base = random.randrange(20000, 60000, 10)
        if all(port_is_free(base + n) for n in range(1, len(SERVICES) + 1)):
            return base
    raise RuntimeError("no free run of five ports")
