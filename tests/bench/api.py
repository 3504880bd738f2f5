"""API benchmark: the casefile service over HTTP, measured with wrk.

    python tests/bench/api.py             # 12 s a wrk run (about 2 minutes in all)
    python tests/bench/api.py --quick     # 3 s a run, 12 children: a smoke test
    python tests/bench/api.py --strict    # exit 1 if a target is missed

Starts the stack as `belonging dev up` does (`shared.stack.supervisor.Stack`:
nats-server with fsync before every acknowledgement, PostgreSQL, every runnable
service) on free ports in a temporary directory, registers children through
the API as a social worker (register, allocate themselves, start a period of
care), then measures with wrk (a C load generator; `tests/bench/api.lua`
makes its requests):

- `GET /health` at 50 connections: the most this service answers at all
  (no auth, no store); every other figure is printed beside it as a ratio;
- `GET /v1/children/{id}` at 1 connection (latency) and at 50 connections over
  all the children (throughput), as the allocated social worker: token check,
  relationship check, aggregate from NATS, the audited read, case summary;
  and at 50 connections all on one child: every read is audited on that
  child's access log (a lane a process), and no reader may fail because another reads;
- `POST /v1/children/{id}/visits` at 1 connection, each with a new
  Idempotency-Key and If-Match set to the ETag of the answer before.
- `GET /v1/children/{id}` at 50 connections again, after each child gets
  `--history` more visits: a longer history must not make a read cost more.

Then it counts the reads the audit trail holds (`/history?include_reads=true`)
against the GETs answered: every read must be there.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from shared.dates import today
from shared.stack.nats_server import free_port
from shared.stack.supervisor import SERVICES, Stack, StackError, StackPorts, log_tail, port_is_free

LUA = Path(__file__).with_name("api.lua")
WORKER = "sw.bench"
TEAM = "bench-1"
INSTALL_WRK = (
    "wrk (the HTTP load generator) is not installed, so the API benchmark cannot run.\n"
    "Install it and run `make bench` again:\n"
    "  Debian/Ubuntu:  sudo apt-get install -y wrk\n"
    "  Fedora:         sudo dnf install -y wrk\n"
    "  macOS:          brew install wrk\n"
    "  from source:    https://github.com/wg/wrk (make; put wrk on PATH)"
)

# Targets (docs/bench-api.md).
ONE_CONNECTION_P99_MS = 20.0
MANY_CONNECTIONS_RPS = 400.0
MANY_CONNECTIONS_P99_MS = 150.0

console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def say(message: str) -> None:
    console.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {message}")


@dataclass(frozen=True)
class Run:
    """One wrk run's figures."""

    label: str
    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non2xx: int
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def _port_base() -> int:
    """A base whose service ports (base+1 … base+5) are free."""
    for _ in range(200):
        base = random.randrange(20000, 60000, 10)
        if all(port_is_free(base + n) for n in range(1, len(SERVICES) + 1)):
            return base
    raise RuntimeError("no free run of service ports")


def wrk_version(wrk: str) -> str:
    done = subprocess.run([wrk, "--version"], capture_output=True, text=True)
    first = (done.stdout + done.stderr).strip().splitlines()
    return first[0].split(" [")[0] if first else "wrk"


def run_wrk(
    wrk: str,
    label: str,
    url: str,
    mode: str,
    data: Path | None,
    connections: int,
    seconds: float,
) -> Run:
    threads = 1 if connections == 1 else min(2, os.cpu_count() or 1)
    command = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "-s",
        str(LUA),
        url,
        "--",
        mode,
        str(data or "-"),
        uuid.uuid4().hex[:8],
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    figures: dict[str, Any] = json.loads(line.removeprefix("BENCH "))
    return Run(
        label=label,
        connections=connections,
        requests=int(figures["requests"]),
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        non2xx=int(figures["non2xx"]),
        socket_errors=sum(int(figures[k]) for k in ("connect", "read", "write", "timeout")),
    )


# ---------------------------------------------------------------------- the children


class Client:
    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.http = httpx.Client(
            base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"}
        )

    def post(self, path: str, body: dict[str, Any], version: int | None = None) -> httpx.Response:
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        for attempt in range(5):
            response = self.http.post(path, json=body, headers=headers)
            if response.status_code not in (409, 503):
                break
            time.sleep(0.2 * (attempt + 1))
        if response.status_code >= 300:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text[:500]}")
        return response

    def get(self, path: str, **params: str) -> httpx.Response:
        response = self.http.get(path, params=params)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:500]}")
        return response


def _version(response: httpx.Response) -> int:
    return int(response.headers["ETag"].removeprefix("W/").strip('"'))


def register_child(client: Client, number: int, day: date) -> tuple[str, str]:
    """A child looked after for a year, allocated to the bench's social worker."""
    registered = day - timedelta(days=400)
    response = client.post(
        "/v1/children",
        {
            "local_child_id": f"BENCH{number:04d}",
            "date_of_birth": (day - timedelta(days=365 * 9 + number)).isoformat(),
            "sex": "MF"[number % 2],
            "ethnicity": "WBRI",
            "registration_date": registered.isoformat(),
        },
    )
    child_id = str(response.json()["child_id"])
    version = _version(response)
    response = client.post(
        f"/v1/children/{child_id}/social-worker",
        {"effective_date": registered.isoformat(), "social_worker_id": WORKER, "team": TEAM},
        version,
    )
    response = client.post(
        f"/v1/children/{child_id}/periods-of-care",
        {
            "start_date": (day - timedelta(days=365)).isoformat(),
            "legal_status": "C2",
            "category_of_need": "N1",
        },
        _version(response),
    )
    case = client.get(f"/v1/children/{child_id}")
    return child_id, case.headers["ETag"]


def add_visits(client: Client, child_id: str, visits: int, day: date) -> None:
    """Gives the child `visits` more visits, one after another (If-Match each time)."""
    version = _version(client.get(f"/v1/children/{child_id}"))
    for _ in range(visits):
        response = client.post(
            f"/v1/children/{child_id}/visits",
            {"visit_date": day.isoformat(), "seen_alone": True},
            version,
        )
        version = _version(response)


def audited_reads(client: Client, child_ids: Sequence[str]) -> int:
    def reads(child_id: str) -> int:
        history = client.get(f"/v1/children/{child_id}/history", include_reads="true").json()
        return sum(
            1
            for entry in history["entries"]
            if entry["record"] == "access" and entry["event_type"] == "RecordRead"
        )

    with ThreadPoolExecutor(8) as pool:
        return sum(pool.map(reads, child_ids))


# ---------------------------------------------------------------------- the report


def report(runs: dict[str, Run], seconds: float, wrk: str) -> list[str]:
    """Prints the table; returns the targets missed."""
    ceiling = runs["health"]
    table = Table(
        title=f"API phase: casefile over HTTP ({wrk}, {os.cpu_count()} cores, "
        f"{seconds:g} s a run; ratio = req/s over GET /health at 50 connections)",
        title_justify="left",
    )
    for column in ("what", "conns", "req/s", "p50 ms", "p99 ms", "non-2xx", "of /health", "target"):
        table.add_column(column, justify="left" if column in ("what", "target") else "right")
    missed: list[str] = []

    def target(ok: bool, text: str) -> str:
        if not ok:
            missed.append(text)
        return f"{text} [green]met[/]" if ok else f"{text} [bold red]missed[/]"

    for key, run in runs.items():
        goals: list[str] = []
        if key in ("case1", "visit1"):
            goals.append(
                target(run.p99_ms <= ONE_CONNECTION_P99_MS, f"p99 ≤ {ONE_CONNECTION_P99_MS:g} ms")
            )
        if key in ("case50", "long50"):
            goals.append(
                target(run.rps >= MANY_CONNECTIONS_RPS, f"≥ {MANY_CONNECTIONS_RPS:g} req/s")
            )
            goals.append(
                target(
                    run.p99_ms <= MANY_CONNECTIONS_P99_MS, f"p99 ≤ {MANY_CONNECTIONS_P99_MS:g} ms"
                )
            )
            goals.append(target(run.non2xx == 0, "0 non-2xx"))
        if key == "one50":
            goals.append(target(run.non2xx == 0, "0 non-2xx (readers never conflict)"))
        non2xx = f"{run.non2xx}" + (f" (+{run.socket_errors} socket)" if run.socket_errors else "")
        table.add_row(
            run.label,
            str(run.connections),
            f"{run.rps:,.0f}",
            f"{run.p50_ms:.2f}",
            f"{run.p99_ms:.2f}",
            non2xx,
            f"{run.rps / ceiling.rps:.3f}" if ceiling.rps else "-",
            ", ".join(goals),
        )
    console.print(table)
    return missed


# ---------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="3 s a run, 12 children")
    parser.add_argument("--seconds", type=float, help="seconds a wrk run (default 12)")
    parser.add_argument("--children", type=int, help="children registered (default 60)")
    parser.add_argument("--connections", type=int, default=50, help="the many-connection runs")
    parser.add_argument(
        "--history", type=int, help="visits added to each child for the last run (default 50)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--keep", action="store_true", help="keep the stack's data directory")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes per service (WEB_CONCURRENCY; default: one per core)",
    )
    args = parser.parse_args(argv)
    seconds = args.seconds or (3.0 if args.quick else 12.0)
    children = args.children or (12 if args.quick else 60)
    history = args.history if args.history is not None else (10 if args.quick else 50)

    wrk = shutil.which("wrk")
    if wrk is None:
        print(INSTALL_WRK, file=sys.stderr)
        return 2
    version = wrk_version(wrk)
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")

    # Our own scratch directory: PostgreSQL run as root drops to a user that
    # must traverse every folder above its data.
    work = Path(tempfile.mkdtemp(prefix="belonging-bench-api-"))
    # The services as deployed: one process per core (one of them runs the background).
    os.environ["WEB_CONCURRENCY"] = str(args.workers)
    stack = Stack(
        work / "data",
        StackPorts(
            nats=free_port(), nats_monitor=free_port(), postgres=free_port(), port_base=_port_base()
        ),
    )
    try:
        say(
            f"{platform.python_implementation()} {platform.python_version()}, "
            f"{os.cpu_count()} cores, {args.workers} processes a service, {version}; "
            f"data in {work}"
        )
        try:
            stack.prepare()
            say("starting nats-server and PostgreSQL")
            stack.start_nats()
            stack.start_postgres()
            # Only what is measured: in a council each service has its own pods, and on
            # this machine's 2 cores the others' processes would be measured too.
            say("starting the casefile service")
            stack.start_services([stack.service_spec("casefile")])
            stack.wait_healthy()
        except StackError as error:
            print(f"the stack did not start: {error.message}", file=sys.stderr)
            print(log_tail(error.log_path), file=sys.stderr)
            return 1
        casefile = next(s for s in stack.services if s.name == "casefile").spec.url

        from shared.auth.tokens import DevIssuer

        token = DevIssuer(stack.issuer_dir).mint(WORKER, ["social_worker"], ttl=3600)
        client = Client(casefile, token)
        day = today()
        say(f"registering {children} children as {WORKER}")
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            registered = list(pool.map(lambda n: register_child(client, n, day), range(children)))
        say(f"registered in {time.perf_counter() - started:.1f} s")
        child_ids = [child_id for child_id, _ in registered]

        data = work / "children.txt"
        data.write_text(
            "\n".join([token, day.isoformat(), *(f"{c} {etag}" for c, etag in registered)]) + "\n"
        )
        one = work / "one-child.txt"
        first_child, first_etag = registered[0]
        one.write_text("\n".join([token, day.isoformat(), f"{first_child} {first_etag}"]) + "\n")
        gets_answered = children  # the GET of each child after registering it
        runs: dict[str, Run] = {}
        say("warming up (GET case, 50 connections)")
        warm = run_wrk(wrk, "warm-up", casefile, "get", data, args.connections, min(3.0, seconds))
        gets_answered += warm.requests - warm.non2xx
        plan = [
            ("health", "GET /health (the ceiling)", "health", data, args.connections),
            ("health1", "GET /health", "health", data, 1),
            ("case1", "GET case", "get", data, 1),
            ("case50", f"GET case, {children} children", "get", data, args.connections),
            ("one50", "GET case, all of one child", "get", one, args.connections),
            ("visit1", "POST visit (If-Match)", "visit", data, 1),
        ]
        for key, label, mode, children_file, connections in plan:
            say(f"{label}, {connections} connection{'s' if connections > 1 else ''}")
            run = run_wrk(wrk, label, casefile, mode, children_file, connections, seconds)
            runs[key] = run
            if mode == "get":
                gets_answered += run.requests - run.non2xx
        # A child in care for years has hundreds of events: a read must not cost more for that.
        say(f"giving each child {history} more visits (a longer history)")
        started = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda child_id: add_visits(client, child_id, history, day), child_ids))
        gets_answered += children  # add_visits reads each child's ETag first
        say(f"recorded in {time.perf_counter() - started:.1f} s; warming up again")
        # As before the first runs: each process brings its kept aggregate of each child up
        # to date once (50 events to apply), and then measures the reads that follow.
        warm = run_wrk(wrk, "warm-up", casefile, "get", data, args.connections, min(3.0, seconds))
        gets_answered += warm.requests - warm.non2xx
        label = f"GET case, {children} children, {history} more visits each"
        say(f"{label}, {args.connections} connections")
        long50 = run_wrk(wrk, label, casefile, "get", data, args.connections, seconds)
        runs["long50"] = long50
        gets_answered += long50.requests - long50.non2xx
        console.print()
        missed = report(runs, seconds, version)

        audited = audited_reads(client, child_ids)
        # wrk stops counting at its deadline; a request then in flight may
        # still be answered (and audited) without being counted.
        slack = 2 * warm.connections + sum(
            run.connections
            for key, run in runs.items()
            if key in ("case1", "case50", "one50", "long50")
        )
        verdict = (
            "every read is in the audit trail" if audited >= gets_answered else "READS MISSING"
        )
        console.print(
            f"audited reads: {audited:,} for {gets_answered:,} GETs of a case answered 2xx "
            f"(and up to {slack} in flight when wrk stopped counting): {verdict}"
        )
        if audited < gets_answered:
            missed.append("every read audited")
        if missed:
            console.print(f"targets missed: {', '.join(missed)}")
        return 1 if (missed and args.strict) else 0
    except KeyboardInterrupt:
        return 130
    finally:
        say("stopping the stack")
        stack.stop()
        if args.keep:
            console.print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
