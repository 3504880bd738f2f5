"""Streams are brought to the configuration at start-up, or start-up is refused clearly."""

from __future__ import annotations

from uuid import uuid4

import pytest
from eventsourcing.persistence import ProgrammingError
from nats.js.api import StorageType, StreamConfig

from shared.eventstore.connection import NatsConnection, stream_config
from shared.eventstore.settings import NatsSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def connection(nats_url: str) -> NatsConnection:
    return NatsConnection(NatsSettings.load(url=nats_url), name="reconcile-test")


def _info(connection: NatsConnection, name: str) -> StreamConfig:
    async def look() -> StreamConfig:
        return (await connection.jetstream().stream_info(name)).config

    return connection.run(look())


def _create(connection: NatsConnection, config: StreamConfig) -> None:
    async def add() -> None:
        await connection.jetstream().add_stream(config)

    connection.run(add())


def test_a_stream_that_differs_where_nats_allows_is_updated(connection: NatsConnection) -> None:
    name = f"REC{uuid4().hex[:8].upper()}"
    old = stream_config(name, [f"{name.lower()}.events.>"])
    old.allow_direct = False
    old.allow_atomic = False
    old.duplicate_window = 30.0
    _create(connection, old)
    try:
        connection.ensure_stream(name, [f"{name.lower()}.events.>", f"{name.lower()}.tracking.>"])
        now = _info(connection, name)
        assert now.allow_direct and now.allow_atomic
        assert now.duplicate_window == 120.0
        assert set(now.subjects or []) == {f"{name.lower()}.events.>", f"{name.lower()}.tracking.>"}
        assert now.deny_delete and now.deny_purge
    finally:
        connection.close()


def test_a_stream_nats_cannot_change_refuses_start_up_naming_the_difference(
    connection: NatsConnection,
) -> None:
    name = f"REC{uuid4().hex[:8].upper()}"
    memory = stream_config(name, [f"{name.lower()}.events.>"])
    memory.storage = StorageType.MEMORY
    _create(connection, memory)
    try:
        with pytest.raises(ProgrammingError, match="storage"):
            connection.ensure_stream(name, [f"{name.lower()}.events.>"])
    finally:
        connection.close()


def test_more_replicas_than_a_single_server_has_is_refused_clearly(
    connection: NatsConnection,
) -> None:
    name = f"REC{uuid4().hex[:8].upper()}"
    _create(connection, stream_config(name, [f"{name.lower()}.events.>"]))
    try:
        with pytest.raises(ProgrammingError, match="num_replicas"):
            connection.ensure_stream(name, [f"{name.lower()}.events.>"], replicas=3)
    finally:
        connection.close()
