"""One trace spans a REST command, the event it stores, the projection update and the relay."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar
from uuid import uuid4

import asyncpg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from toy_app import Counter, Counters, CounterTotals, app_for

from shared.contracts.base import IntegrationEvent
from shared.contracts.relay import IntegrationRelay, integration_stream
from shared.eventstore.reader import StreamReader
from shared.observability.tracing import TracingMiddleware, configure_tracing
from shared.projections.runner import ProjectionRunner

pytestmark = pytest.mark.integration


class CounterTraced(IntegrationEvent):
    """A contract of its own, so this test's relay has an integration stream to itself."""

    service: ClassVar[str] = "tracetoys"
    event_type: ClassVar[str] = "counter.incremented.v1"

    by: int


def translate(domain_event: Any, headers: dict[str, str]) -> Sequence[IntegrationEvent]:
    if isinstance(domain_event, Counter.Incremented):
        return [CounterTraced(child_id=str(domain_event.originator_id), by=domain_event.by)]
    return []


TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    configure_tracing("tests").add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    exporter.clear()


def test_a_command_its_event_the_projection_and_the_relay_share_one_trace(
    spans: InMemorySpanExporter, nats_url: str, database_url: str
) -> None:
    unique = uuid4().hex[:8]
    stream, prefix = f"TRACE{unique.upper()}", f"trace{unique}"
    counters: Counters = app_for(stream, prefix)
    web = FastAPI()
    web.add_middleware(TracingMiddleware)

    @web.post("/counters")
    def open_counter() -> dict[str, str]:
        counter_id = counters.open("traced")
        counters.increment(counter_id)
        return {"id": str(counter_id)}

    with TestClient(web) as client:
        response = client.post("/counters", headers={"traceparent": TRACEPARENT})
    assert response.status_code == 200

    reader = StreamReader.connect(nats_url)
    try:
        stored = reader.all_on_subject(stream, f"{prefix}.events.{response.json()['id']}")
    finally:
        reader.close()
    assert [m.headers["traceparent"].split("-")[1] for m in stored] == [TRACE_ID, TRACE_ID]

    async def follow() -> None:
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
        runner = ProjectionRunner(
            CounterTotals(counters, stream, prefix), pool, nats_url, schema=f"traced_{unique}"
        )
        await runner.setup()
        await runner.catch_up()
        runner.close()
        await pool.close()
        relay = IntegrationRelay("tracetoys", nats_url, counters.mapper, translate, stream, prefix)
        await relay.relay_available()
        await relay.close()

    asyncio.run(follow())

    by_name = {span.name: span for span in spans.get_finished_spans()}
    assert by_name["POST /counters"].context.trace_id == int(TRACE_ID, 16)
    assert by_name["project counter_totals"].context.trace_id == int(TRACE_ID, 16)
    assert by_name["relay counter.incremented.v1"].context.trace_id == int(TRACE_ID, 16)

    reader = StreamReader.connect(nats_url)
    try:
        published = reader.all_on_subject(
            integration_stream("tracetoys"), "integration.tracetoys.>"
        )
    finally:
        reader.close()
    assert published and published[-1].headers["traceparent"].split("-")[1] == TRACE_ID
    assert json.loads(published[-1].data)["type"].endswith("counter.incremented.v1")
    counters.close()
