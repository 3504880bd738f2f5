"""Who is acting, for whom and why: the facts of the audit envelope.

The API's auth dependency sets this once per request; the event store reads it
when it writes each event's NATS headers, so no command passes actor, role or
purpose by hand (DESIGN.md, "Audit envelope"). A contextvar is used because
FastAPI runs sync endpoints in a threadpool with the request's context copied
into the worker thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class RequestContext:
    """The audit facts of one request (or of one system process)."""

    actor: str = "system"
    role: str = "system"
    on_behalf_of: str | None = None
    purpose: str = "system"
    child_id: str | None = None
    break_glass_reason: str | None = None
    correlation_id: str | None = None


SYSTEM = RequestContext()

_current: ContextVar[RequestContext] = ContextVar("belonging_request_context", default=SYSTEM)


def current() -> RequestContext:
    return _current.get()


def set_current(context: RequestContext) -> None:
    _current.set(context)


@contextmanager
def acting_as(
    context: RequestContext | None = None, **changes: str | None
) -> Iterator[RequestContext]:
    """Run a block as someone (tests, CLI, background processes)."""
    base = context or _current.get()
    new = replace(base, **changes) if changes else base  # type: ignore[arg-type]
    token = _current.set(new)
    try:
        yield new
    finally:
        _current.reset(token)
