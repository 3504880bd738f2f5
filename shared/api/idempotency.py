"""Writes that are safe to retry: the `Idempotency-Key` header.

The first request with a key does the work and its response is stored; a retry
with the same key and request gets that response and records nothing; the same
key with another request is refused (422). Keys are scoped per service and per
principal, kept in PostgreSQL, and released when the work fails.
See docs/adr/0011-idempotency-keys-and-domain-problems.md.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Header
from psycopg import Connection
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, JsonValue

from shared.api.problems import FieldError, ProblemError, problem_type

IDEMPOTENCY_HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # printable ASCII, as the IETF draft allows
#: The key as the OpenAPI document gives it: what `_KEY` accepts.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"

Work = Callable[[], tuple[int, JsonValue]]

#: How long a claim stays "in progress" before a retry may take it over. A
#: command's work is bounded (each NATS call by NATS_TIMEOUT + 0.5 s), so a
#: claim older than this was left by a crashed process; taking it over early
#: is safe anyway: the retry names the same ids and the domain records it once.
LEASE = timedelta(seconds=20)


@dataclass(frozen=True)
class IdempotencyRecord:
    """What a store holds for one key: `status_code` is None while the work is in progress."""

    request_hash: str
    status_code: int | None
    response_body: JsonValue


class IdempotencyStore(ABC):
    """Where keys and their responses are kept, for one service."""

    @abstractmethod
    def claim(self, key: str, principal: str, request_hash: str) -> IdempotencyRecord | None:
        """Take the key for this request (None), or return who has it.

        A claim left pending longer than the store's lease by a crashed process
        may be taken over by a request with the same hash.
        """

    @abstractmethod
    def complete(self, key: str, principal: str, status_code: int, body: JsonValue) -> None:
        """Store the response for a claimed key."""

    @abstractmethod
    def release(self, key: str, principal: str) -> None:
        """Forget a claimed key whose work failed, so a retry can run."""


def request_hash(
    method: str, path: str, body: BaseModel | Mapping[str, Any] | Sequence[Any] | None
) -> str:
    """A fingerprint of the request a key was first used for.

    Hashes the parsed body in canonical JSON, so a retry that serialises the
    same data differently (key order, spacing) still matches, and includes the
    method and path, so one key sent to two endpoints is caught as reuse.
    """
    data = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    canonical = json.dumps(
        [method.upper(), path, data], sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _documented_key(schema: dict[str, Any]) -> None:
    """A string of the key's form; the app factory marks the header required
    (declared optional here so a missing key gets the 400 problem below)."""
    schema.pop("anyOf", None)
    schema.update(type="string", minLength=1, maxLength=255, pattern=IDEMPOTENCY_KEY_PATTERN)


async def idempotency_key(
    key: Annotated[
        str | None,
        Header(
            alias=IDEMPOTENCY_HEADER,
            description="Required on writes: a unique value per intended change "
            "(a UUID); resend it unchanged when retrying.",
            json_schema_extra=_documented_key,
        ),
    ] = None,
) -> str:
    """Dependency for writes: the key, or a 400 problem if it is missing or malformed."""
    if key is None or not _KEY.fullmatch(key):
        message = (
            f"writes require an {IDEMPOTENCY_HEADER} header of 1-255 printable ASCII "
            "characters (a UUID is ideal)"
        )
        raise ProblemError(
            400,
            type=problem_type("idempotency-key-required"),
            detail=message,
            errors=[FieldError(field=f"header.{IDEMPOTENCY_HEADER.lower()}", message=message)],
        )
    return key


def idempotent(
    store: IdempotencyStore,
    key: str,
    principal: str,
    request_body_hash: str,
    work: Work,
    *,
    wait_seconds: float = 2.0,
    poll_seconds: float = 0.05,
) -> tuple[int, JsonValue]:
    """Run `work` once per (key, principal) and return its `(status, body)` every time.

    If an identical request is still in progress (a client that retried
    before the first attempt answered), wait up to `wait_seconds` for its
    response, then answer 409 so the client retries later.
    """
    deadline = time.monotonic() + wait_seconds
    while (existing := store.claim(key, principal, request_body_hash)) is not None:
        if existing.request_hash != request_body_hash:
            raise ProblemError(
                422,
                type=problem_type("idempotency-key-reused"),
                title="Idempotency-Key reused with a different request",
                detail="This key was first used for a different request. Use a new key "
                "for a new change.",
            )
        if existing.status_code is not None:
            return existing.status_code, existing.response_body
        if time.monotonic() >= deadline:
            raise ProblemError(
                409,
                type=problem_type("idempotency-key-in-progress"),
                title="A request with this key is in progress",
                detail="Retry shortly to get its response.",
                headers={"Retry-After": "1"},
            )
        time.sleep(poll_seconds)
    try:
        status_code, body = work()
    except BaseException:
        store.release(key, principal)
        raise
    store.complete(key, principal, status_code, body)
    return status_code, body


_CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS idempotency_keys (
    service text NOT NULL,
    key text NOT NULL,
    principal text NOT NULL,
    request_hash text NOT NULL,
    status_code integer,             -- NULL while the first request is in progress
    response_body jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service, key, principal)
)
"""


class PostgresIdempotencyStore(IdempotencyStore):
    """Keys in PostgreSQL, so every replica of a service sees every key.

    Each statement runs in its own short transaction: the pending row must be
    visible to a concurrent retry before the work starts, which is what makes
    the primary key the arbiter of who does the work.
    """

    def __init__(
        self,
        pool: ConnectionPool[Connection[Any]],
        service: str,
        *,
        lease: timedelta = LEASE,
    ) -> None:
        self.pool = pool
        self.service = service
        self.lease = lease

    @classmethod
    def connect(cls, url: str, service: str, *, max_size: int = 10) -> PostgresIdempotencyStore:
        """A store with its own small pool; prefer sharing the service's pool."""
        pool: ConnectionPool[Connection[Any]] = ConnectionPool(
            url, min_size=1, max_size=max_size, open=True
        )
        return cls(pool, service)

    def close(self) -> None:
        self.pool.close()

    def create_table(self) -> None:
        with self.pool.connection() as conn, conn.transaction():
            # Concurrent CREATE TABLE IF NOT EXISTS can still collide in the
            # catalogue when replicas start together; serialise them.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('idempotency_keys'))")
            conn.execute(_CREATE_TABLE)

    def claim(self, key: str, principal: str, request_hash: str) -> IdempotencyRecord | None:
        pk = (self.service, key, principal)
        for _ in range(3):  # the row may vanish (released) between statements
            with self.pool.connection() as conn:
                inserted = conn.execute(
                    "INSERT INTO idempotency_keys (service, key, principal, request_hash) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
                    (*pk, request_hash),
                ).fetchone()
            if inserted:
                return None
            with self.pool.connection() as conn:
                taken_over = conn.execute(
                    "UPDATE idempotency_keys SET created_at = now() "
                    "WHERE service = %s AND key = %s AND principal = %s AND request_hash = %s "
                    "AND status_code IS NULL AND created_at < now() - %s RETURNING 1",
                    (*pk, request_hash, self.lease),
                ).fetchone()
            if taken_over:
                return None
            with self.pool.connection() as conn:
                row = conn.execute(
                    "SELECT request_hash, status_code, response_body FROM idempotency_keys "
                    "WHERE service = %s AND key = %s AND principal = %s",
                    pk,
                ).fetchone()
            if row is not None:
                return IdempotencyRecord(
                    request_hash=row[0], status_code=row[1], response_body=row[2]
                )
        raise RuntimeError("idempotency key claim kept changing under us")

    def complete(self, key: str, principal: str, status_code: int, body: JsonValue) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE idempotency_keys SET status_code = %s, response_body = %s "
                "WHERE service = %s AND key = %s AND principal = %s AND status_code IS NULL",
                (status_code, Jsonb(body), self.service, key, principal),
            )

    def release(self, key: str, principal: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "DELETE FROM idempotency_keys "
                "WHERE service = %s AND key = %s AND principal = %s AND status_code IS NULL",
                (self.service, key, principal),
            )

    def purge(self, older_than: timedelta = timedelta(days=7)) -> int:
        """Forget completed keys past the retry window; returns how many."""
        with self.pool.connection() as conn:
            cursor = conn.execute(
                "DELETE FROM idempotency_keys WHERE service = %s AND status_code IS NOT NULL "
                "AND created_at < now() - %s",
                (self.service, older_than),
            )
            return cursor.rowcount
