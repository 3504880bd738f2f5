"""The casefile service under test: real servers, one app per module, and helpers.

Imported by the API tests as `casefile.harness` (the tests directory is on the
path, as for `tests/placements`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import psycopg
from fastapi.testclient import TestClient

from services.casefile.bootstrap import replayable_projections
from services.casefile.settings import CasefileSettings
from shared.auth.tokens import DevIssuer
from shared.eventstore import envelope as env
from shared.eventstore.reader import StoredMessage, StreamReader
from shared.projections.runner import RebuildReport, rebuild

READ_MODELS = ("casefile_case_team", "casefile_children")
TEAM_MANAGERS = {"tm.okafor": ["north-1"], "tm.reid": ["south-2"]}


@dataclass
class CasefileService:
    client: TestClient
    issuer: DevIssuer
    nats_url: str
    database_url: str
    stream: str
    prefix: str

    def headers(
        self,
        user: str,
        *roles: str,
        key: str | None = "new",
        if_match: int | None = None,
        **extra: str,
    ) -> dict[str, str]:
        teams = TEAM_MANAGERS.get(user, []) if "team_manager" in roles else []
        headers = {"Authorization": f"Bearer {self.issuer.mint(user, roles, teams=teams)}"}
        if key is not None:
            headers["Idempotency-Key"] = str(uuid4()) if key == "new" else key
        if if_match is not None:
            headers["If-Match"] = f'"{if_match}"'
        headers.update({name.replace("_", "-"): value for name, value in extra.items()})
        return headers

    def post(
        self,
        path: str,
        body: Any,
        user: str = "sw.jones",
        role: str = "social_worker",
        **options: Any,
    ) -> httpx.Response:
        response: httpx.Response = self.client.post(
            f"/v1{path}", json=body, headers=self.headers(user, role, **options)
        )
        return response

    def get(
        self, path: str, user: str = "sw.jones", role: str = "social_worker", **options: Any
    ) -> httpx.Response:
        params = options.pop("params", None)
        headers = self.headers(user, role, key=None, **options)
        response: httpx.Response = self.client.get(f"/v1{path}", headers=headers, params=params)
        return response

    def last_sequence(self) -> int:
        """The stream's last sequence: anything recorded, a read included, moves it."""
        reader = StreamReader.connect(self.nats_url)
        try:
            last = reader.last(self.stream, f"{self.prefix}.events.>")
        finally:
            reader.close()
        return 0 if last is None else last.seq

    def settle(self, timeout: float = 10.0) -> None:
        """Waits until every read model has applied everything in the stream so far."""
        last = self.last_sequence()

        def caught_up() -> bool:
            with psycopg.connect(self.database_url) as conn:
                positions = [
                    conn.execute(
                        f'SELECT coalesce(max(position), 0) FROM "{schema}".projection_position'
                    ).fetchone()
                    for schema in READ_MODELS
                ]
            return all(row is not None and row[0] >= last for row in positions)

        wait_for(caught_up, timeout)

    def messages(self, subject: str) -> list[StoredMessage]:
        reader = StreamReader.connect(self.nats_url)
        try:
            return reader.all_on_subject(self.stream, f"{self.prefix}.events.{subject}")
        finally:
            reader.close()

    def register(self, local_child_id: str | None = None, **overrides: Any) -> UUID:
        """Registers a child as sw.jones and allocates sw.jones in team north-1."""
        local = local_child_id or f"C{uuid4().hex[:10].upper()}"
        body = {
            "local_child_id": local,
            "date_of_birth": "2015-03-01",
            "sex": "F",
            "ethnicity": "BAFR",
            "registration_date": "2024-01-02",
            **overrides,
        }
        registered = self.post("/children", body)
        assert registered.status_code == 201, registered.text
        child_id = UUID(registered.json()["child_id"])
        allocated = self.post(
            f"/children/{child_id}/social-worker",
            {"effective_date": "2024-01-02", "social_worker_id": "sw.jones", "team": "north-1"},
        )
        assert allocated.status_code == 200, allocated.text
        return child_id

    def looked_after(self, local_child_id: str | None = None) -> tuple[UUID, UUID]:
        """A registered child, looked after from 8 January 2024 (C1, N1)."""
        child_id = self.register(local_child_id)
        started = self.post(
            f"/children/{child_id}/periods-of-care",
            {"start_date": "2024-01-08", "legal_status": "C1", "category_of_need": "N1"},
        )
        assert started.status_code == 201, started.text
        return child_id, UUID(started.json()["id"])

    def rebuild_read_models(self) -> list[RebuildReport]:
        """`belonging replay` of every catalogued read model, compared with the live one."""

        async def rebuild_all() -> list[RebuildReport]:
            pool = await asyncpg.create_pool(self.database_url, min_size=1, max_size=2)
            try:
                return [
                    await rebuild(projection, pool, self.nats_url, swap=False)
                    for projection in replayable_projections(CasefileSettings())
                ]
            finally:
                await pool.close()

        return asyncio.run(rebuild_all())

    def case_events(self, child_id: UUID) -> list[str]:
        """Event types in the child's record, read from the stream (records no access)."""
        return [m.headers[env.EVENT_TYPE] for m in self.messages(str(child_id))]


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Polls until `condition()` is truthy (read models follow the stream)."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
