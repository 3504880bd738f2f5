"""Domain errors as problem details, the same way in every service.

The app factory installs these handlers: `RuleBroken` is 422 naming the request
field, `NotFound` 404, an erased record 410, `VersionConflict` (a stale `If-Match`) 412 with the
current ETag, the event store's `IntegrityError` (a lost race) 409: retry.
Nothing was recorded in any of these cases. NATS or PostgreSQL down is an
outage, 503 with `Retry-After`, never a 500.
See docs/adr/0011-idempotency-keys-and-domain-problems.md.
"""

from __future__ import annotations

import asyncpg
import psycopg
import psycopg_pool
from eventsourcing.persistence import IntegrityError, OperationalError
from fastapi import FastAPI, Request
from starlette.responses import Response

from shared.api.concurrency import precondition_failed
from shared.api.problems import FieldError, Problem, problem_response, problem_type
from shared.domain_errors import NotFound, RuleBroken, VersionConflict
from shared.eventstore.keyring import KeyDestroyed

#: Failures that mean a server is down or unreachable (NATS, PostgreSQL).
OUTAGES: tuple[type[Exception], ...] = (
    OperationalError,  # the event store: shared.eventstore raises its subclasses
    psycopg.OperationalError,
    psycopg_pool.PoolTimeout,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    ConnectionError,
)
#: Seconds a client waits before retrying after an outage.
RETRY_AFTER_OUTAGE = 5


def _field(request: Request, name: str | None) -> str | None:
    if name is None:
        return None
    if "." in name:  # already a request location (shared.api.command_routes)
        return name
    return f"path.{name}" if name in request.path_params else f"body.{name}"


async def _rule_broken(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RuleBroken)
    field = _field(request, exc.field)
    # `rule` is an extension member (RFC 9457 §3.2) naming the rule, for clients
    # that handle some rules specially.
    problem = Problem.model_validate(
        {
            "type": problem_type("rule-broken"),
            "title": "The change breaks a rule of the record",
            "status": 422,
            "detail": exc.message,
            "errors": [FieldError(field=field, message=exc.message)] if field else None,
            "rule": type(exc).__name__,
        }
    )
    return problem_response(problem)


async def _not_found(request: Request, exc: Exception) -> Response:
    field = _field(request, getattr(exc, "field", None))
    return problem_response(
        Problem(
            type=problem_type("not-found"),
            title="Not found",
            status=404,
            detail=str(exc),
            errors=[FieldError(field=field, message=str(exc))] if field else None,
        )
    )


async def _version_conflict(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, VersionConflict)
    error = precondition_failed(exc.actual)
    return problem_response(error.problem.model_copy(), error.headers)


def _retry_later(kind: str, title: str, status: int, detail: str, seconds: int) -> Response:
    """A problem the client cures by retrying after `seconds`: nothing was recorded."""
    problem = Problem(type=problem_type(kind), title=title, status=status, detail=detail)
    return problem_response(problem, {"Retry-After": str(seconds)})


async def _integrity_error(request: Request, exc: Exception) -> Response:
    return _retry_later(
        "concurrent-write",
        "Conflict",
        409,
        "Someone else changed this record at the same moment; nothing was recorded. "
        "Fetch it again and retry.",
        1,
    )


async def _unavailable(request: Request, exc: Exception) -> Response:
    """The event store or the database cannot be reached: an outage, not a bug (503)."""
    return _retry_later(
        "unavailable",
        "Service Unavailable",
        503,
        "The record store cannot be reached just now. Retry with the same "
        "Idempotency-Key: a change already made is never made twice.",
        RETRY_AFTER_OUTAGE,
    )


async def _erased(request: Request, exc: Exception) -> Response:
    """The record was erased at the end of its retention: gone for good (410)."""
    return problem_response(
        Problem(
            type=problem_type("record-erased"),
            title="Record erased",
            status=410,
            detail="This child's record reached the end of its retention and was erased; "
            "only the fact of the erasure is kept.",
        )
    )


def install_domain_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(KeyDestroyed, _erased)
    app.add_exception_handler(RuleBroken, _rule_broken)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(VersionConflict, _version_conflict)
    app.add_exception_handler(IntegrityError, _integrity_error)
    for outage in OUTAGES:
        app.add_exception_handler(outage, _unavailable)
