"""Remembered relationships, and the notices that make a process forget them (ADR 0025).

The checker's rules are tested without servers; the notices on a real
PostgreSQL, sent by a real projection runner and a real replay.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from datetime import date

import asyncpg
import pytest
from toy_app import Counters, CounterTotals

from shared.auth import relationships as rel
from shared.auth.relationships import RememberedRelationships
from shared.projections.changes import APPLICATION_NAME, ReadModelChanges, announce
from shared.projections.runner import ProjectionRunner, rebuild


class Allocations:
    """A checker over a set of (user, role, child), counting how often it is asked."""

    def __init__(self, related: set[tuple[str, str, str]]) -> None:
        self.related = related
        self.asked = 0
        self.while_asked: list[object] = []  # things to do mid-question (a change heard)

    def is_related(
        self, user_id: str, role: str, child_id: str, teams: Collection[str] = ()
    ) -> bool:
        self.asked += 1
        for happen in self.while_asked:
            happen()  # type: ignore[operator]
        return (user_id, role, child_id) in self.related


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


JONES = ("sw.jones", "social_worker", "child-1")


def remembered(
    allocations: Allocations, listening: bool = True, clock: Clock | None = None
) -> RememberedRelationships:
    return RememberedRelationships(
        allocations, lambda: listening, max_age=60.0, clock=clock or Clock()
    )


def test_a_relationship_found_is_answered_again_without_asking() -> None:
    allocations = Allocations({JONES})
    checker = remembered(allocations)
    assert not checker.remembers(*JONES)
    assert checker.is_related(*JONES)
    assert checker.remembers(*JONES)
    assert checker.is_related(*JONES)
    assert allocations.asked == 1


def test_not_related_is_never_remembered() -> None:
    """A miss is asked again each time: the read model may have caught up since."""
    allocations = Allocations(set())
    checker = remembered(allocations)
    assert not checker.is_related(*JONES)
    allocations.related.add(JONES)
    assert checker.is_related(*JONES)
    assert allocations.asked == 2


def test_a_change_to_any_read_model_forgets_every_relationship() -> None:
    allocations = Allocations({JONES, ("sw.new", "social_worker", "child-2")})
    checker = remembered(allocations)
    checker.is_related(*JONES)
    checker.is_related("sw.new", "social_worker", "child-2")
    allocations.related.discard(JONES)  # reallocated...
    assert checker.is_related(*JONES)  # ...but the read model has not said so yet
    checker.forget("casefile_case_team")  # now it has
    assert not checker.remembers("sw.new", "social_worker", "child-2")
    assert not checker.is_related(*JONES)


def test_an_answer_is_not_remembered_if_a_change_came_while_it_was_asked() -> None:
    """The answer may predate the change; remembering it would outlive the notice."""
    allocations = Allocations({JONES})
    checker = remembered(allocations)
    allocations.while_asked.append(lambda: checker.forget("casefile_case_team"))
    assert checker.is_related(*JONES)
    assert not checker.remembers(*JONES)


def test_nothing_is_remembered_while_no_change_could_be_heard() -> None:
    allocations = Allocations({JONES})
    checker = remembered(allocations, listening=False)
    assert checker.is_related(*JONES)
    assert checker.is_related(*JONES)
    assert allocations.asked == 2
    assert not checker.remembers(*JONES)


def test_a_relationship_is_remembered_for_max_age_at_most() -> None:
    clock = Clock()
    allocations = Allocations({JONES})
    checker = remembered(allocations, clock=clock)
    checker.is_related(*JONES)
    clock.now += 59.9
    assert checker.remembers(*JONES)
    clock.now += 0.2
    assert not checker.remembers(*JONES)
    assert checker.is_related(*JONES)
    assert allocations.asked == 2


def test_an_answer_holds_for_the_day_it_was_given_and_for_that_role_and_teams(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Allocations are whole days: what held on Monday is asked again on Tuesday."""
    allocations = Allocations({JONES})
    checker = remembered(allocations)
    monkeypatch.setattr(rel, "today", lambda: date(2026, 11, 30))
    checker.is_related(*JONES)
    assert not checker.remembers("sw.jones", "team_manager", "child-1")
    assert not checker.remembers(*JONES, teams=["north-1"])
    monkeypatch.setattr(rel, "today", lambda: date(2026, 12, 1))
    assert not checker.remembers(*JONES)


# ---- notices on a real PostgreSQL -------------------------------------------------------


async def until(condition: Callable[[], object], seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


@asynccontextmanager
async def listening_to(
    database: str, probe_every: float = 5.0
) -> AsyncIterator[tuple[ReadModelChanges, list[str | None]]]:
    """A process's listener, listening; and what it told, in order."""
    heard: list[str | None] = []
    changes = ReadModelChanges(database, probe_every=probe_every)
    changes.subscribe(heard.append)
    stop = asyncio.Event()
    listening = asyncio.create_task(changes.run_forever(stop))
    try:
        await until(lambda: changes.listening)
        yield changes, heard
    finally:
        stop.set()
        await listening


@pytest.mark.integration
def test_a_change_is_heard_at_commit_and_a_rolled_back_one_never(database: str) -> None:
    async def scenario() -> None:
        async with listening_to(database) as (changes, heard):
            assert heard == [None]  # connected: anything remembered before may be stale
            conn = await asyncpg.connect(database)
            try:
                with pytest.raises(RuntimeError):
                    async with conn.transaction():
                        await announce(conn, "rolled_back")
                        raise RuntimeError("the transaction fails")
                async with conn.transaction():
                    await announce(conn, "casefile_case_team")
                    await asyncio.sleep(0.2)
                    assert heard == [None]  # not before the commit
                await until(lambda: len(heard) == 2)
                assert heard == [None, "casefile_case_team"]
            finally:
                await conn.close()
        assert not changes.listening

    asyncio.run(scenario())


@pytest.mark.integration
def test_a_lost_connection_is_deaf_until_it_listens_again(database: str) -> None:
    """While the listener cannot hear, nothing may be remembered, and what was is forgotten."""

    async def scenario() -> None:
        async with listening_to(database, probe_every=0.2) as (changes, heard):
            conn = await asyncpg.connect(database)
            try:
                ended = await conn.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = $1 AND datname = current_database()",
                    APPLICATION_NAME,
                )
                assert ended == 1
                await until(lambda: not changes.listening)
                assert heard[1:] and set(heard) == {None}  # deaf: forget everything
                await until(lambda: changes.listening)  # connected again, and told so
                assert len(heard) >= 3 and set(heard) == {None}
                await announce(conn, "casefile_children")
                await until(lambda: heard[-1] == "casefile_children")
            finally:
                await conn.close()

    asyncio.run(scenario())


@pytest.mark.integration
def test_a_runner_and_a_replay_announce_what_they_commit(
    toy: tuple[Counters, str, str], database: str, nats_url: str
) -> None:
    """Other processes hear by NOTIFY; the runner's own process is told at once."""
    app, stream, prefix = toy
    for name in ("a", "b"):
        app.increment(app.open(name))

    async def scenario() -> None:
        async with listening_to(database) as (_, heard):
            here: list[str | None] = []
            told_here = ReadModelChanges(database)  # the runner's process's, never connected
            told_here.subscribe(here.append)
            pool = await asyncpg.create_pool(database, min_size=1, max_size=3)
            projection = CounterTotals(app, stream, prefix)
            runner = ProjectionRunner(projection, pool, nats_url, changes=told_here)
            try:
                await runner.setup()
                assert await runner.catch_up() == 4
                assert here and set(here) == {projection.name}  # told before catch_up returned
                await until(lambda: projection.name in heard)
                heard.clear()
                here.clear()
                assert await runner.catch_up() == 0  # nothing new: nothing said
                report = await rebuild(projection, pool, nats_url)
                assert report.swapped
                await until(lambda: heard and heard[-1] == projection.name)
                assert here == []
                assert heard == [projection.name]  # the swap; the replay's pages said nothing
            finally:
                runner.close()
                await pool.close()

    asyncio.run(scenario())
