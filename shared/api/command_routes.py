"""One route entry per command; every command endpoint is built here, the same way.

The endpoint authenticates and authorises (role and relationship), takes the
Idempotency-Key and If-Match, validates the body (the command) and runs the
command cycle once per key; a retry with the same key and body gets the first
answer. Every answer is `CommandResult` with the record's version as ETag.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, JsonValue

from shared.api.concurrency import etag, if_match_version
from shared.api.idempotency import idempotency_key, idempotent, request_hash
from shared.api.problems import Problem
from shared.api.runtime import ServiceRuntime, service_runtime
from shared.auth.dependencies import Policy, require
from shared.auth.tokens import Principal
from shared.commands import Command, CommandResult
from shared.domain_errors import NotFound, RuleBroken
from shared.read_your_writes import (
    POSITION_HEADER,
    POSITION_HEADER_DOC,
    collecting,
    learned_facts_checked,
    wait_for_positions,
)

_IDS = uuid5(NAMESPACE_URL, "https://belonging.example/command-ids")

#: Documented on every command route, beside the app factory's 400/401/403/413/422.
COMMAND_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such child, or no such part of the record"},
    409: {"model": Problem, "description": "Concurrent writes kept winning the race; retry"},
    412: {"model": Problem, "description": "If-Match names a version that is not current"},
    503: {
        "model": Problem,
        "description": "What another service wrote has not reached this one yet (the "
        "Belonging-Wait-For positions within a few seconds, or a rule about that service's "
        "facts failed while this service's view of them is behind), or a store is "
        "unreachable: nothing was done; retry after Retry-After",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}
#: Kept with an answer for its retries; never part of the body answered.
_POSITION_KEY = "belonging_position"


@dataclass(frozen=True)
class CommandRoute:
    """One command endpoint: `POST /v1{path}` carries out `command` for `action`."""

    path: str
    command: type[Command]
    action: str
    summary: str
    #: 201 for a command that creates something with its own id (`Location` names it).
    status_code: int = 200
    #: Template for `Location` on 201, with `{child_id}` and `{id}`.
    location: str | None = None
    #: The command field or path parameter the answer's `id` names (default: `command.creates`).
    result_id: str | None = None
    #: The OpenAPI tag (the part of the record the command is about).
    tag: str | None = None


def derived_id(child_id: UUID, user_id: str, key: str, field: str) -> UUID:
    """The id a command creates when the caller names none: the same on every retry."""
    return uuid5(_IDS, f"{child_id}/{field}/{user_id}/{key}")


def answer_once(
    runtime: ServiceRuntime[Any],
    request: Request,
    principal: Principal,
    key: str,
    body: BaseModel | None,
    work: Callable[[], CommandResult],
    *,
    status_code: int = 200,
    location: Callable[[CommandResult], str] | None = None,
) -> JSONResponse:
    """Run `work` once per (key, caller) and answer (and re-answer) with its result and ETag."""
    fingerprint = request_hash(request.method, request.url.path, body)

    def once() -> tuple[int, JsonValue]:
        with collecting() as written:
            payload: dict[str, JsonValue] = work().model_dump(mode="json")
        if written.position is not None:
            payload[_POSITION_KEY] = written.position
        return status_code, payload

    status, stored = idempotent(runtime.idempotency, key, principal.user_id, fingerprint, once)
    payload = dict(stored) if isinstance(stored, dict) else {}
    position = payload.pop(_POSITION_KEY, None)
    result = CommandResult.model_validate(payload)
    headers = {"ETag": etag(result.version)}
    if isinstance(position, str):
        headers[POSITION_HEADER] = position
    if location is not None and status == 201:
        headers["Location"] = location(result)
    return JSONResponse(payload, status_code=status, headers=headers)


@contextmanager
def request_locations(command: Command, path: Mapping[str, Any]) -> Iterator[None]:
    """Name a domain error's field by where it is in the request (`path.x`, `body.x`)."""
    try:
        yield
    except (RuleBroken, NotFound) as error:
        field = getattr(error, "field", None)
        if isinstance(field, str) and "." not in field:
            error.field = command.location_of(field, path)
        raise


def command_router(routes: Sequence[CommandRoute], policy: Policy, **router: Any) -> APIRouter:
    """An APIRouter with one endpoint per route entry."""
    api = APIRouter(responses=COMMAND_RESPONSES, **router)
    for route in routes:
        api.add_api_route(
            route.path,
            _endpoint(route, policy),
            methods=["POST"],
            status_code=route.status_code,
            response_model=CommandResult,
            responses={route.status_code: {"headers": {POSITION_HEADER: POSITION_HEADER_DOC}}},
            summary=route.summary,
            name=route.command.handler,
            tags=[route.tag] if route.tag else None,
        )
    return api


def _path_parameters(path: str) -> list[str]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    if names[:1] != ["child_id"]:
        raise ValueError(f"a command route starts at a child: {path}")
    return names[1:]


def _endpoint(route: CommandRoute, policy: Policy) -> Callable[..., JSONResponse]:
    command_type = route.command
    others = _path_parameters(route.path)
    result_field = route.result_id or command_type.creates

    def endpoint(
        child_id: UUID,
        body: Command,
        request: Request,
        principal: Principal,
        key: str,
        expected: int | None,
        runtime: ServiceRuntime[Any],
        waited: None = None,
        **path: UUID,
    ) -> JSONResponse:
        filled: dict[str, Any] = {}
        if command_type.creates and getattr(body, command_type.creates) is None:
            filled[command_type.creates] = derived_id(
                child_id, principal.user_id, key, command_type.creates
            )
        if command_type.caller and getattr(body, command_type.caller) is None:
            filled[command_type.caller] = principal.user_id
        command = body.model_copy(update=filled) if filled else body
        result_id = (
            path.get(result_field, getattr(command, result_field, None)) if result_field else None
        )

        def work() -> CommandResult:
            with learned_facts_checked(request), request_locations(command, path):
                version = runtime.application.execute(child_id, command, expected, path=path)
            return CommandResult(child_id=child_id, version=version, id=result_id)

        return answer_once(
            runtime,
            request,
            principal,
            key,
            body,
            work,
            status_code=route.status_code,
            location=_location(route.location),
        )

    parameters = [
        _parameter("child_id", Annotated[UUID, Path(description="The child's id")]),
        *(_parameter(name, Annotated[UUID, Path()]) for name in others),
        _parameter("body", command_type),
        _parameter("request", Request),
        # Before the relationship check, which may depend on what another service wrote.
        _parameter("waited", Annotated[None, Depends(wait_for_positions)]),
        _parameter("principal", Annotated[Principal, Depends(require(route.action, policy))]),
        _parameter("key", Annotated[str, Depends(idempotency_key)]),
        _parameter("expected", Annotated[int | None, Depends(if_match_version)]),
        _parameter("runtime", Annotated[ServiceRuntime[Any], Depends(service_runtime)]),
    ]

    def call(**values: Any) -> JSONResponse:
        path = {name: values.pop(name) for name in others}
        return endpoint(**values, **path)

    call.__signature__ = inspect.Signature(parameters, return_annotation=JSONResponse)  # type: ignore[attr-defined]
    call.__name__ = command_type.handler
    call.__doc__ = route.summary
    return call


def _parameter(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation)


def _location(template: str | None) -> Callable[[CommandResult], str] | None:
    if template is None:
        return None

    def location(result: CommandResult) -> str:
        return template.format(child_id=result.child_id, id=result.id)

    return location
