"""Fixtures the tests of `shared` have in common: a fresh database, the toy application."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from uuid import uuid4

import asyncpg
import pytest
from toy_app import Counters, app_for


@pytest.fixture
def database(database_url: str) -> str:
    """A database of the test's own on the session's PostgreSQL."""
    name = f"t{uuid4().hex[:10]}"

    async def create() -> None:
        conn = await asyncpg.connect(database_url)
        await conn.execute(f'CREATE DATABASE "{name}"')
        await conn.close()

    asyncio.run(create())
    return database_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def toy(nats_url: str) -> Iterator[tuple[Counters, str, str]]:
    """The toy application on a stream and subject prefix of the test's own."""
    unique = uuid4().hex[:8]
    stream, prefix = f"TOY{unique.upper()}", f"toy{unique}"
    app = app_for(stream, prefix)
    yield app, stream, prefix
    app.close()
