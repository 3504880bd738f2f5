"""Projections converge when PostgreSQL or NATS is killed under them.

DESIGN.md and non-negotiable 3: a fault loses no acknowledged event, and
projections converge, each event applied once.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from uuid import uuid4

import asyncpg
import pytest
from toy_app import CounterTotals, app_for

from shared.projections.runner import ProjectionRunner
from shared.stack.nats_server import NatsServer
from shared.stack.postgres_server import PostgresServer

pytestmark = [pytest.mark.integration, pytest.mark.fault]


def _fill(stream: str, prefix: str, nats_url: str) -> tuple[object, dict[str, int]]:
    os.environ["NATS_URL"] = nats_url
    app = app_for(stream, prefix)
    expected: dict[str, int] = {}
    for n in range(8):
        counter_id = app.open(f"c{n}")
        for _ in range(10):
            app.increment(counter_id, times=2)
        expected[str(counter_id)] = 20
    return app, expected


async def _totals(dsn: str) -> dict[str, tuple[int, int]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT counter_id, total, applied FROM counter_totals.totals")
    finally:
        await conn.close()
    return {r["counter_id"]: (r["total"], r["applied"]) for r in rows}


async def _follow_until(
    runner: ProjectionRunner, dsn: str, expected: dict[str, int], fault: object
) -> dict[str, tuple[int, int]]:
    """Runs the projection, injects the fault part way, waits for convergence."""
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run_forever(stop, idle=0.05))
    try:
        # Part way through the 170 events, then the fault.
        while runner.progress.applied < 40:  # noqa: ASYNC110 - polling another task's counter
            await asyncio.sleep(0.02)
        await asyncio.to_thread(fault)  # type: ignore[arg-type]
        deadline = asyncio.get_running_loop().time() + 60
        while asyncio.get_running_loop().time() < deadline:
            try:
                done = await _totals(dsn)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                done = {}
            if {k: v[0] for k, v in done.items()} == expected:
                await asyncio.sleep(0.5)  # and nothing more arrives after
                return await _totals(dsn)
            await asyncio.sleep(0.2)
        pytest.fail(f"projection did not converge: {await _totals(dsn)}")
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def _project_through(
    app: object,
    stream: str,
    prefix: str,
    dsn: str,
    nats_url: str,
    expected: dict[str, int],
    fault: object,
) -> dict[str, tuple[int, int]]:
    """The toy projection, followed live while `fault` strikes part way."""

    async def scenario() -> dict[str, tuple[int, int]]:
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
        os.environ["TOY_APPLY_DELAY"] = "0.005"
        projection = CounterTotals(app, stream, prefix)  # type: ignore[arg-type]
        runner = ProjectionRunner(projection, pool, nats_url, page=5)
        try:
            return await _follow_until(runner, dsn, expected, fault)
        finally:
            os.environ.pop("TOY_APPLY_DELAY", None)
            runner.close()
            await pool.close()

    return asyncio.run(scenario())


def _assert_converged(final: dict[str, tuple[int, int]], expected: dict[str, int]) -> None:
    assert {k: v[0] for k, v in final.items()} == expected
    assert all(total == applied for total, applied in final.values()), "an event applied twice"


def test_postgresql_killed_mid_projection_then_restarted_converges(
    tmp_path: Path, nats_url: str
) -> None:
    postgres = PostgresServer(tmp_path / "pg" / "data")
    postgres.start()
    unique = uuid4().hex[:8]
    stream, prefix = f"PGF{unique.upper()}", f"pgf{unique}"
    app, expected = _fill(stream, prefix, nats_url)

    def kill_and_restart() -> None:
        postgres.kill()
        postgres.start()

    try:
        final = _project_through(
            app, stream, prefix, postgres.url, nats_url, expected, kill_and_restart
        )
    finally:
        app.close()  # type: ignore[attr-defined]
        postgres.stop()
    _assert_converged(final, expected)


def test_nats_killed_mid_projection_then_restarted_converges(
    tmp_path: Path, database_url: str
) -> None:
    server = NatsServer(tmp_path / "nats")
    server.start()
    unique = uuid4().hex[:8]
    stream, prefix = f"NF{unique.upper()}", f"nf{unique}"
    saved_url = os.environ.get("NATS_URL")
    app, expected = _fill(stream, prefix, server.url)

    async def create_database() -> None:
        conn = await asyncpg.connect(database_url)
        await conn.execute(f'CREATE DATABASE "nf{unique}"')
        await conn.close()

    asyncio.run(create_database())
    dsn = database_url.rsplit("/", 1)[0] + f"/nf{unique}"

    def kill_and_restart() -> None:
        server.kill()
        server.start()

    try:
        final = _project_through(app, stream, prefix, dsn, server.url, expected, kill_and_restart)
    finally:
        app.close()  # type: ignore[attr-defined]
        server.stop()
        if saved_url is not None:
            os.environ["NATS_URL"] = saved_url
    _assert_converged(final, expected)
