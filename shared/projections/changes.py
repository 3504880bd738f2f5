"""Telling every process of a service that a read model changed.

A runner that applies events to a read model, and a replay that swaps one in,
notify `CHANNEL` with the projection's name in the same transaction, so the
notice is sent when the change becomes visible (PostgreSQL delivers a
notification at commit, never for a rolled-back transaction). `ReadModelChanges`
listens in each process and tells what remembers answers read from the read
models to forget them (`shared.auth.relationships.RememberedRelationships`,
docs/adr/0025-remembered-relationships.md).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import asyncpg

from shared.observability.logs import get_logger

log = get_logger(__name__)

#: The one channel every read model's changes are announced on.
CHANNEL = "belonging_read_models"
#: How the listening connection is named in `pg_stat_activity`.
APPLICATION_NAME = "belonging-read-model-changes"
#: How often the listening connection is asked whether it is still there: a
#: connection lost without a word (a half-open socket) hears no notices.
PROBE_EVERY = 5.0
#: How long the probe may take before the connection counts as lost.
PROBE_TIMEOUT = 2.0
#: How long to wait before connecting again after the connection was lost.
RECONNECT_AFTER = 1.0


async def announce(conn: asyncpg.Connection, projection: str) -> None:
    """Says, within the caller's transaction, that `projection` changed."""
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, projection)


#: Told of a change: the projection's name, or None for "anything may have changed"
#: (the listener connected, or lost its connection and so may have missed notices).
ChangeListener = Callable[[str | None], None]


class ReadModelChanges:
    """Listens on `CHANNEL` for a process, on a connection of its own.

    `listening` is True only while a notice sent now would be heard; whoever
    remembers answers must not remember one while it is False. Every listener
    is told None whenever the connection is made or lost, so nothing read
    before it listened, or while it was deaf, outlives that moment.
    """

    def __init__(self, dsn: str, *, probe_every: float = PROBE_EVERY) -> None:
        self.dsn = dsn
        self.probe_every = probe_every
        self.listening = False
        self._listeners: list[ChangeListener] = []
        self._connections = 0  # how many connections were made: which one is in use

    def subscribe(self, listener: ChangeListener) -> None:
        self._listeners.append(listener)

    def _tell(self, projection: str | None) -> None:
        for listener in self._listeners:
            listener(projection)

    def changed_here(self, projection: str) -> None:
        """This process committed a change: its own listeners are told now, not a
        moment later when the notice comes back (a read after a write sees it)."""
        self._tell(projection)

    def _deaf(self) -> None:
        self.listening = False
        self._tell(None)

    def _notice(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self._tell(payload)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Listens until `stop`; after a lost connection, connects again."""
        while not stop.is_set():
            conn: asyncpg.Connection | None = None
            lost = asyncio.Event()
            self._connections += 1
            number = self._connections

            def terminated(_conn: object, number: int = number, lost: asyncio.Event = lost) -> None:
                # asyncpg calls this soon after any close; only the connection
                # in use now going away makes the process deaf.
                if number == self._connections:
                    self._deaf()
                lost.set()

            try:
                conn = await asyncpg.connect(
                    self.dsn, server_settings={"application_name": APPLICATION_NAME}
                )
                conn.add_termination_listener(terminated)
                await conn.add_listener(CHANNEL, self._notice)
                self._tell(None)  # what was remembered before the LISTEN may be stale
                self.listening = True
                await self._probe_until_lost(conn, stop, lost)
            except Exception as e:  # never let the listener die: deaf, then try again
                log.warning("read_model_changes_lost", error=repr(e))
            finally:
                self._deaf()
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(conn.close(), PROBE_TIMEOUT)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RECONNECT_AFTER)

    async def _probe_until_lost(
        self, conn: asyncpg.Connection, stop: asyncio.Event, lost: asyncio.Event
    ) -> None:
        stopped = asyncio.ensure_future(stop.wait())
        gone = asyncio.ensure_future(lost.wait())
        try:
            while True:
                done, _ = await asyncio.wait(
                    {stopped, gone}, timeout=self.probe_every, return_when=asyncio.FIRST_COMPLETED
                )
                if done:
                    return
                await asyncio.wait_for(conn.fetchval("SELECT 1"), PROBE_TIMEOUT)
        finally:
            stopped.cancel()
            gone.cancel()
