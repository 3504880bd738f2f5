"""Errors as RFC 9457 problem details, and only ever as problem details.

Every error a service returns has the same shape (`application/problem+json`)
so that clients handle errors once (DESIGN.md, "Integration"). Validation
errors name each offending field in an `errors` extension, so bad input gets a
clear 4xx (DESIGN.md, "Security"). A 500 says nothing about the failure beyond
a correlation id: tracebacks and exception messages can carry case data and
internals, so they go to the log, never to the client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from shared import request_context
from shared.observability.logs import get_logger

PROBLEM_MEDIA_TYPE = "application/problem+json"
#: Problem types name a kind of problem a client may handle specially; other
#: problems use "about:blank", whose title is the HTTP status phrase (RFC 9457 §4.2.1).
PROBLEM_TYPE_BASE = "urn:belonging:problem:"

log = get_logger(__name__)


def problem_type(name: str) -> str:
    return f"{PROBLEM_TYPE_BASE}{name}"


class FieldError(BaseModel):
    """One invalid input: where it was (`body.start_date`, `header.if-match`) and why."""

    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem details document."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="URI identifying the problem type")
    title: str = Field(description="Short summary of the problem type")
    status: int = Field(description="The HTTP status code")
    detail: str | None = Field(default=None, description="This occurrence, for people")
    instance: str | None = Field(default=None, description="URI of this occurrence")
    errors: list[FieldError] | None = Field(
        default=None, description="Each invalid field, for validation problems"
    )
    correlation_id: str | None = Field(
        default=None, description="Quote this when reporting a problem: it finds the logs"
    )


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


class ProblemError(StarletteHTTPException):
    """Raise from an endpoint or dependency to answer with a problem.

    A subclass of Starlette's HTTPException (and so of Exception) because
    FastAPI lets HTTPExceptions raised while it reads the body pass through
    untouched, where any other exception there becomes a bare 400.
    """

    def __init__(
        self,
        status: int,
        title: str | None = None,
        detail: str | None = None,
        *,
        type: str = "about:blank",  # the RFC 9457 member name
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
        instance: str | None = None,
    ) -> None:
        self.problem = Problem(
            type=type,
            title=title or HTTPStatus(status).phrase,
            status=status,
            detail=detail,
            instance=instance,
            errors=list(errors) if errors is not None else None,
        )
        super().__init__(status_code=status, detail=detail, headers=dict(headers or {}))


def problem_response(problem: Problem, headers: Mapping[str, str] | None = None) -> Response:
    if problem.correlation_id is None:
        problem.correlation_id = request_context.current().correlation_id
    return ProblemResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=problem.status,
        headers=dict(headers or {}),
    )


def internal_error_response() -> Response:
    """The one 500 body: nothing about the failure itself."""
    return problem_response(
        Problem(
            title=HTTPStatus.INTERNAL_SERVER_ERROR.phrase,
            status=500,
            detail="The service could not complete the request. Nothing was changed "
            "unless a retry shows otherwise; quote the correlation id when reporting it.",
        )
    )


def _field_path(location: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in location)


async def _on_problem(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(exc.problem.model_copy(), exc.headers)


async def _on_validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return _malformed_json()
    return problem_response(
        Problem(
            type=problem_type("validation"),
            title="Invalid request",
            status=422,
            detail=f"{len(errors)} field(s) failed validation.",
            errors=[
                FieldError(field=_field_path(error["loc"]), message=str(error["msg"]))
                for error in errors
            ],
        )
    )


def _malformed_json() -> Response:
    return problem_response(
        Problem(
            type=problem_type("malformed-json"),
            title="Malformed JSON",
            status=400,
            detail="The request body is not valid JSON.",
        )
    )


async def _on_json_error(_: Request, exc: Exception) -> Response:
    return _malformed_json()


async def _on_http_exception(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    return problem_response(
        Problem(title=phrase, status=exc.status_code, detail=detail), exc.headers
    )


async def _on_unhandled(request: Request, exc: Exception) -> Response:
    log.error(
        "unhandled_exception",
        method=request.method,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return internal_error_response()


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error the app can produce a problem document."""
    handlers: dict[Any, Any] = {
        ProblemError: _on_problem,
        RequestValidationError: _on_validation_error,
        json.JSONDecodeError: _on_json_error,
        StarletteHTTPException: _on_http_exception,
        Exception: _on_unhandled,
    }
    for exc_class, handler in handlers.items():
        app.add_exception_handler(exc_class, handler)


def body_too_large(limit: int) -> ProblemError:
    return ProblemError(
        413,
        type=problem_type("body-too-large"),
        detail=f"The request body is larger than this service accepts ({limit} bytes).",
    )
