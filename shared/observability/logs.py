"""Structured JSON logs, one line per event, with the correlation id on every line.

JSON because the lines are read by machines (log shipping, search) before
people; the correlation id and trace id on every line join one request's lines
across services. Children's case data must not reach logs (DESIGN.md,
"Security"): log identifiers and outcomes, never request or response bodies.
"""

from __future__ import annotations

import logging
import re
import sys
import uuid
from typing import Any

import structlog
from opentelemetry import trace
from structlog.typing import EventDict, Processor, WrappedLogger

from shared import request_context

_configured = False
# Callers may pass their own correlation id, but only a plain token: anything
# else is replaced, so a header cannot inject text into log lines.
_CORRELATION_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _add_request_context(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Who is acting and which request this is, from the audit context."""
    context = request_context.current()
    if context.correlation_id is not None:
        event.setdefault("correlation_id", context.correlation_id)
    if context.actor != request_context.SYSTEM.actor:
        event.setdefault("actor", context.actor)
        event.setdefault("role", context.role)
    return event


def _add_trace_ids(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """Trace and span ids, so a log line leads to its trace."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event.setdefault("trace_id", format(span_context.trace_id, "032x"))
        event.setdefault("span_id", format(span_context.span_id, "016x"))
    return event


def configure_logging(
    level: str = "INFO", *, service: str | None = None, force: bool = False
) -> None:
    """Send structlog and standard-library logs (uvicorn's too) out as JSON.

    Idempotent: the app factory calls it for every app it builds (tests build
    many), and reconfiguring mid-run would lose cached loggers. `force=True`
    is for tests that need to change the level.
    """
    global _configured
    if _configured and not force:
        return
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_request_context,
        _add_trace_ids,
    ]
    if service is not None:
        shared.insert(0, _static("service", service))
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                # Tracebacks as JSON, but without local variables: locals hold
                # request bodies and so case data.
                structlog.processors.ExceptionRenderer(
                    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
                ),
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    # uvicorn installs its own handlers; route its records through ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    # The app's own request line replaces uvicorn's access line: it logs the
    # route template, where uvicorn logs the raw path, which carries child ids.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    _configured = True


def _static(key: str, value: str) -> Processor:
    def add(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
        event.setdefault(key, value)
        return event

    return add


def get_logger(name: str | None = None, **initial: Any) -> structlog.stdlib.BoundLogger:
    """A logger; works before `configure_logging` too (structlog's defaults)."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name, **initial)
    return logger


def bind_correlation_id(correlation_id: str) -> None:
    """Put the correlation id on every line logged in this context (request or task)."""
    structlog.contextvars.bind_contextvars(correlation_id=correlation_id)


def clear_bound() -> None:
    """Forget per-request bindings at the end of a request."""
    structlog.contextvars.clear_contextvars()


def correlation_id_from(header_value: str | None) -> str:
    """The caller's `X-Correlation-Id` if it is a plain token, else a new one."""
    if header_value is not None and _CORRELATION_ID.fullmatch(header_value):
        return header_value
    return str(uuid.uuid4())
