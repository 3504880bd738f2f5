"""Smoke test of the event store benchmark: it runs to the end and prints every row.

It never asserts on a speed: figures from `--quick` counts on a shared machine
mean nothing. `make bench` is where the figures are read.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

ROW_LABELS = [
    "one-event saves, 1 thread",
    "four-event saves, 1 thread",
    "one-event saves, 16 threads",
    "four-event saves, 16 threads",
    "gets of 5-event aggregates",
    "gets of aggregates read before",
    "notification log reads, pages of 1000",
    "projection replay into PostgreSQL",
    "one-event save latency p50",
    "one-event save latency p99",
]

COLUMNS = [
    "ours (NATS R1)",
    "ours (NATS R3)",
    "PostgreSQL module",
    "SQLite module",
    "raw ceiling",
    "ours/PG",
]


@pytest.mark.integration
@pytest.mark.timeout(240)
def test_quick_benchmark_runs_and_prints_every_row() -> None:
    env = dict(os.environ, COLUMNS="240", PYTHONUNBUFFERED="1")
    # The benchmark starts its own servers; it must not be pointed at others.
    for name in ("NATS_URL", "DATABASE_URL", "PERSISTENCE_MODULE"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("eventstore.py")), "--quick"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=230,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for label in ROW_LABELS + COLUMNS:
        assert label in done.stdout, f"{label!r} missing from:\n{done.stdout}"
    for fact in ("cores", "nats-server", "PostgreSQL"):
        assert fact in done.stdout
