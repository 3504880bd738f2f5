"""One way to build a service's FastAPI app, so every service behaves alike at the edge.

Wiring happens once, here (STYLE.md rule 5): problem details for every error,
a body-size limit enforced before anything parses the body, one JSON log line
per request with its correlation id, a server span per request, bearer auth on
every `/v1` route (attached to the routers, so no endpoint can forget it), and
unauthenticated `/health` and `/ready` for the orchestrator's probes.
"""

from __future__ import annotations

import asyncio
import copy
import inspect
import re
import time
import weakref
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI
from pydantic import BaseModel
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import request_context
from shared.api.domain_problems import install_domain_error_handlers
from shared.api.problems import (
    PROBLEM_MEDIA_TYPE,
    Problem,
    ProblemError,
    body_too_large,
    install_problem_handlers,
    internal_error_response,
    problem_response,
    problem_type,
)
from shared.auth.break_glass import BreakGlassGrants
from shared.auth.dependencies import (
    BREAK_GLASS_HEADER,
    CONTEXT_HEADER_PARAMETERS,
    CORRELATION_HEADER,
    PURPOSE_HEADER,
    authenticated,
)
from shared.auth.relationships import RelationshipChecker
from shared.auth.tokens import TokenVerifier
from shared.observability.logs import configure_logging, correlation_id_from, get_logger
from shared.observability.tracing import TracingMiddleware, configure_tracing, route_template
from shared.settings import ServiceSettings

API_PREFIX = "/v1"
#: A readiness check passes by returning anything but False; it fails by
#: returning False, raising or taking longer than READINESS_TIMEOUT seconds.
#: A check that passes may say more by returning a string ("degraded: ..."):
#: `/ready` shows it beside the check and says "degraded", still with 200.
ReadinessCheck = Callable[[], Any]
READINESS_TIMEOUT = 2.0

log = get_logger(__name__)

#: Documented on every /v1 operation, so generated clients know the error shape.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": description}
    for status, description in {
        400: "Malformed request (body, header or Idempotency-Key)",
        401: "Missing or invalid bearer token",
        403: "Role or relationship does not permit this action",
        413: "Request body too large",
        422: "Validation failed; `errors` names each field",
        500: "Unexpected failure; nothing about it is disclosed",
    }.items()
}


class AllowedMethodsMiddleware:
    """`Allow` names every method a path serves, whichever router serves it.

    A path served by two routers (commands, reads) would otherwise answer
    `OPTIONS`, or a 405, with the methods of the first route only. `OPTIONS`
    is answered here: 204 and `Allow`, no authentication needed to ask.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # The path's methods are looked up only when the answer needs them.
        if scope["method"] == "OPTIONS" and (allowed := _methods_of_path(scope)):
            headers = [(b"allow", ", ".join(sorted(allowed | {"OPTIONS"})).encode())]
            await send({"type": "http.response.start", "status": 204, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if (literal := _methods_of_literal_path(scope)) and scope["method"] not in literal:
            # A path the document names as it is (`/v1/feeds/attendance`) is that
            # path's only, though a template beside it (`/v1/feeds/{feed_id}`) would
            # match it too: OpenAPI matches concrete paths before templated ones.
            error = ProblemError(405, detail=f"{scope['method']} is not served at this path")
            allow = {"Allow": ", ".join(sorted(literal))}
            await problem_response(error.problem, allow)(scope, receive, send)
            return

        async def send_with_allow(message: Message) -> None:
            if (
                message["type"] == "http.response.start"
                and message["status"] == 405
                and (allowed := _methods_of_path(scope))
            ):
                MutableHeaders(scope=message)["Allow"] = ", ".join(sorted(allowed))
            await send(message)

        await self.app(scope, receive, send_with_allow)


def _methods_of_path(scope: Scope) -> set[str]:
    """The methods the app's OpenAPI document gives the request's path (its public contract).

    A path the document names as it is has that path item's methods only; others
    have those of every template matching them.
    """
    literal = _methods_of_literal_path(scope)
    if literal:
        return literal
    table = _method_table(scope)
    path = scope.get("path", "")
    return set().union(*(methods for pattern, methods in table if pattern.fullmatch(path)))


def _methods_of_literal_path(scope: Scope) -> set[str]:
    """The methods of the document's path item named exactly the request's path, if any."""
    _method_table(scope)
    app = scope.get("app")
    literal: dict[str, set[str]] = getattr(getattr(app, "state", None), "literal_paths", {})
    return literal.get(scope.get("path", ""), set())


def _method_table(scope: Scope) -> list[tuple[re.Pattern[str], set[str]]]:
    app = scope.get("app")
    if not isinstance(app, FastAPI):
        return []
    table: list[tuple[re.Pattern[str], set[str]]] | None = getattr(
        app.state, "allowed_methods", None
    )
    if table is None:
        table, literal = [], {}
        for template, item in app.openapi().get("paths", {}).items():
            pattern = re.compile(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)))
            methods = {m.upper() for m in item if m in _HTTP_METHODS}
            methods |= {"HEAD"} if "GET" in methods else set()
            table.append((pattern, methods))
            if "{" not in template:
                literal[template] = methods
        app.state.literal_paths = literal
        app.state.allowed_methods = table
    return table


_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


class BodySizeLimitMiddleware:
    """Refuse bodies over the limit with 413 before any of it is parsed.

    A declared Content-Length over the limit is refused at once; a chunked body
    is counted as it arrives and refused as soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, streamed: Sequence[str] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        #: Path prefixes whose endpoints stream and bound the body themselves (uploads).
        self.streamed = tuple(streamed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith(self.streamed or "\0"):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await problem_response(body_too_large(self.max_bytes).problem)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # An HTTPException, so FastAPI lets it through its body reader
                    # to the problem handlers.
                    raise body_too_large(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)


class RequestLoggingMiddleware:
    """One log line per request, and the correlation id on every line in between.

    Also the last line of defence: an exception nothing else handled is logged
    here, with the correlation id, and answered with a bare 500 problem.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        correlation_id = correlation_id_from(Headers(scope=scope).get(CORRELATION_HEADER))
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        status_code = 500
        response_started = False
        started = time.perf_counter()

        async def send_with_correlation(message: Message) -> None:
            nonlocal status_code, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status_code = message["status"]
                MutableHeaders(scope=message)[CORRELATION_HEADER] = correlation_id
            await send(message)

        # Anonymous until the auth dependency says otherwise: nothing done
        # before authentication may be attributed to the system.
        anonymous = request_context.RequestContext(
            actor="anonymous", role="anonymous", purpose="none", correlation_id=correlation_id
        )
        with request_context.acting_as(anonymous):
            try:
                await self.app(scope, receive, send_with_correlation)
            except Exception:
                log.exception(
                    "unhandled_exception", method=scope["method"], route=route_template(scope)
                )
                if response_started:
                    raise
                await internal_error_response()(scope, receive, send_with_correlation)
            finally:
                log.log(
                    40 if status_code >= 500 else 20,
                    "request",
                    method=scope["method"],
                    route=route_template(scope),
                    status=status_code,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                )


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


_READINESS_THREADS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _readiness_threads() -> anyio.CapacityLimiter:
    """The readiness checks' own threads, one set per event loop (made on first use)."""
    loop = asyncio.get_running_loop()
    limiter = _READINESS_THREADS.get(loop)
    if limiter is None:
        limiter = _READINESS_THREADS[loop] = anyio.CapacityLimiter(4)
    return limiter


def _check_name(check: ReadinessCheck) -> str:
    return str(getattr(check, "__name__", None) or repr(check))


async def _outcome(check: ReadinessCheck) -> str | None:
    """What a check says when it passes ("ok", or its own words); None when it fails."""
    try:
        with anyio.fail_after(READINESS_TIMEOUT):
            if inspect.iscoroutinefunction(check):
                result = await check()
            else:
                # Threads of their own: a probe must not queue behind busy requests.
                result = await anyio.to_thread.run_sync(
                    check, abandon_on_cancel=True, limiter=_readiness_threads()
                )
                if inspect.isawaitable(result):
                    result = await result
    except Exception:
        log.warning("readiness_check_failed", check=_check_name(check), exc_info=True)
        return None
    if result is False:
        return None
    return result if isinstance(result, str) and result else "ok"


def _probes(readiness_checks: Sequence[ReadinessCheck]) -> APIRouter:
    router = APIRouter(tags=["probes"])

    @router.get("/health", response_model=Health, summary="Liveness: the process is serving")
    async def health() -> Health:
        return Health(status="ok")

    @router.get(
        "/ready",
        response_model=Readiness,
        summary="Readiness: every dependency check passes",
        responses={503: {"model": Problem, "description": "A dependency is not ready"}},
    )
    async def ready() -> Readiness:
        results = {_check_name(check): await _outcome(check) for check in readiness_checks}
        failed = sorted(name for name, outcome in results.items() if outcome is None)
        if failed:
            raise ProblemError(
                503,
                type=problem_type("not-ready"),
                detail=f"Not ready: {', '.join(failed)}.",
                headers={"Retry-After": "5"},
            )
        checks = {name: outcome or "ok" for name, outcome in results.items()}
        degraded = any(outcome != "ok" for outcome in checks.values())
        return Readiness(status="degraded" if degraded else "ready", checks=checks)

    return router


def _serve_problems_as_problem_json(schema: dict[str, Any]) -> None:
    """FastAPI documents every response model as application/json; problems are not."""
    reference = "#/components/schemas/Problem"
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                body = content.get("application/json")
                if body is not None and body.get("schema", {}).get("$ref") == reference:
                    content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")


def create_app(
    settings: ServiceSettings,
    routers: Sequence[APIRouter],
    *,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]] | None = None,
    readiness_checks: Sequence[ReadinessCheck | Callable[[], Awaitable[Any]]] = (),
    version: str = "0.1.0",
    title: str | None = None,
    token_verifier: TokenVerifier | None = None,
    relationships: RelationshipChecker | None = None,
    break_glass: BreakGlassGrants | None = None,
    streamed_paths: Sequence[str] = (),
) -> FastAPI:
    """The service's app: `routers` are mounted under `/v1`, behind bearer auth.

    `token_verifier` defaults to the keys the settings name; `relationships`
    and `break_glass` become `app.state.relationships` and
    `app.state.break_glass`, which `require()` consults for routes with a
    `{child_id}`.
    """
    configure_logging(settings.log_level, service=settings.service_name)
    configure_tracing(settings.service_name, settings.otel_exporter)
    app = FastAPI(
        # Our TracingMiddleware makes the one server span a request; FastAPI's
        # native telemetry would make a second one, with metrics and logs besides.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
        title=title or settings.service_name,
        version=version,
        lifespan=lifespan,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.token_verifier = token_verifier or TokenVerifier.from_settings(settings)
    app.state.relationships = relationships
    app.state.break_glass = break_glass
    install_problem_handlers(app)
    install_domain_error_handlers(app)
    # Added innermost first: tracing wraps logging (so log lines carry the
    # trace id), which wraps the size limit (so a 413 is logged).
    app.add_middleware(AllowedMethodsMiddleware)
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes, streamed=streamed_paths
    )
    app.add_middleware(RequestLoggingMiddleware)
    app.add_middleware(TracingMiddleware)
    app.include_router(_probes(readiness_checks))
    for router in routers:
        app.include_router(
            router,
            prefix=API_PREFIX,
            dependencies=[Depends(authenticated)],
            responses=PROBLEM_RESPONSES,
        )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            _serve_problems_as_problem_json(schema)
            _idempotency_key_required(schema)
            _request_context_headers(schema)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _idempotency_key_required(schema: dict[str, Any]) -> None:
    """Document `Idempotency-Key` as required on every write, as the service requires it.

    The dependency declares it optional so that a missing key gets our 400
    problem naming the header rather than a generic validation error.
    """
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"post", "put", "patch", "delete"}:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "header" and parameter.get("name") == "Idempotency-Key":
                    parameter["required"] = True


def _request_context_headers(schema: dict[str, Any]) -> None:
    """Document the headers every service reads outside its endpoints' signatures.

    `X-Correlation-Id` (the logging middleware) on every operation; `X-Purpose`
    (`authenticated`) and `X-Break-Glass-Reason` (`require`) on every `/v1`
    operation, which the app factory puts behind authentication. All optional.
    """
    for path, path_item in schema.get("paths", {}).items():
        names = [CORRELATION_HEADER]
        if path.startswith(API_PREFIX + "/"):
            names += [PURPOSE_HEADER, BREAK_GLASS_HEADER]
        for method, operation in path_item.items():
            if method not in _HTTP_METHODS:
                continue
            parameters = operation.setdefault("parameters", [])
            declared = {(p.get("in"), str(p.get("name", "")).lower()) for p in parameters}
            for name in names:
                if ("header", name.lower()) not in declared:
                    parameters.append(
                        {"name": name, "in": "header", "required": False}
                        | copy.deepcopy(CONTEXT_HEADER_PARAMETERS[name])
                    )
