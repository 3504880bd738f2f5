"""OpenTelemetry traces that follow a request from HTTP into NATS and back out.

Trace context crosses processes in W3C `traceparent`/`tracestate` headers (HTTP
natively; NATS through `inject_headers` and `extract_context`), so one trace
spans the API call, the event append and the projections it feeds. The
propagator is fixed to W3C so what goes on the wire does not change with the
environment. Spans go nowhere by default (`none`); `console` prints them for
local work; no exporter makes network calls unless a deployment adds one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Literal

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Exporter = Literal["console", "none"]

_propagator = TraceContextTextMapPropagator()
_provider: TracerProvider | None = None


def configure_tracing(service_name: str, exporter: Exporter = "none") -> TracerProvider:
    """Install the process's TracerProvider once.

    OpenTelemetry allows the global provider to be set only once per process,
    so later calls (tests build many apps) return the first provider.
    """
    global _provider
    if _provider is not None:
        return _provider
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    _provider = provider
    return provider


def tracer(name: str = "belonging") -> trace.Tracer:
    return trace.get_tracer(name)


def inject_headers(headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of `headers` plus the current trace context, for a NATS message."""
    carrier = dict(headers or {})
    _propagator.inject(carrier)
    return carrier


def extract_context(headers: Mapping[str, str] | None) -> Context:
    """The trace context carried in message headers (empty if none).

    Use as `tracer().start_as_current_span(name, context=extract_context(msg.headers))`.
    """
    carrier = {key.lower(): value for key, value in (headers or {}).items()}
    return _propagator.extract(carrier)


class TracingMiddleware:
    """A server span per HTTP request, continuing the caller's trace if it sent one.

    The span is named after the route template (`POST /v1/children/{child_id}/visits`),
    never the raw path: paths carry child ids, which do not belong in traces.
    Pure ASGI rather than `BaseHTTPMiddleware` so the span is the current span
    in the endpoint's own context.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]
        }
        method: str = scope["method"]
        status_code = 500
        started = time.perf_counter()

        async def send_with_status(message: Message) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        token = otel_context.attach(extract_context(headers))
        try:
            with tracer().start_as_current_span(
                f"{method} unmatched",
                kind=SpanKind.SERVER,
                attributes={"http.request.method": method},
            ) as span:
                try:
                    await self.app(scope, receive, send_with_status)
                finally:
                    route = route_template(scope)
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                    span.set_attribute("http.response.status_code", status_code)
                    span.set_attribute(
                        "http.server.duration_ms", (time.perf_counter() - started) * 1000
                    )
                    if status_code >= 500:
                        span.set_status(Status(StatusCode.ERROR))
        finally:
            otel_context.detach(token)


def route_template(scope: Scope) -> str:
    """The matched route's path template, set in the scope by the router.

    FastAPI releases that include routers lazily keep the prefixed template in
    their "effective route"; older ones put a prefixed copy in `scope["route"]`.
    """
    fastapi_scope = scope.get("fastapi")
    effective = (
        fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    )
    route = scope.get("route")
    for candidate in (effective, route):
        path = getattr(candidate, "path_format", None) or getattr(candidate, "path", None)
        if path:
            return str(path)
    return "unmatched"
