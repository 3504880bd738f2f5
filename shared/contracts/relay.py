"""The relay: a service's domain events out as CloudEvents, exactly once.

Each stored domain event, translated into zero or more integration events, is
published as CloudEvents 1.0 JSON on `integration.<service>.<type>` into the
service's integration stream (`INTEGRATION_<SERVICE>`). Every message records
its source event's sequence, which is also the relay's position
(docs/adr/0004-projections-and-relay-exactly-once.md).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import nats
import structlog
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from eventsourcing.persistence import Mapper
from nats.aio.client import Client

from shared.contracts import sealing
from shared.contracts.base import IntegrationEvent
from shared.eventstore import envelope as env
from shared.eventstore.connection import NatsConnection, ensure_stream
from shared.eventstore.keyring import KeyDestroyed
from shared.eventstore.reader import StoredMessage, StreamReader
from shared.eventstore.settings import NatsSettings
from shared.observability.tracing import extract_context, inject_headers, tracer
from shared.projections.runner import ERASED, Erased, domain_event_decoder

log = structlog.get_logger(__name__)

#: CloudEvent extension attribute: the circle of consumers an event is sealed for.
SEALED_FOR = "sealedfor"
SOURCE_SEQUENCE = "Belonging-Source-Sequence"
SOURCE_INDEX = "Belonging-Source-Index"
#: How many integration events the source event gave (so a consumer knows when it has them all).
SOURCE_COUNT = "Belonging-Source-Count"
#: Messages read at a time when looking back past messages this relay did not publish.
FOREIGN_PAGE = 100
_FORMAT = JSONFormat()

Translate = Callable[[Any, dict[str, str]], Sequence[IntegrationEvent]]


def integration_stream(service: str) -> str:
    return f"INTEGRATION_{service.upper()}"


async def ensure_integration_stream(
    client: Client, service: str, settings: NatsSettings | None = None
) -> None:
    """The service's integration stream, created or brought to our settings."""
    settings = settings or NatsSettings.load()
    js = client.jetstream(**settings.jetstream_options())
    name = integration_stream(service)
    await ensure_stream(js, name, [f"integration.{service}.>"], settings.replicas, True)


def to_cloudevent(event: IntegrationEvent, source_id: str, service: str, time: str | None) -> bytes:
    """CloudEvents JSON; the data sealed under the child's integration key when there is one."""
    attributes: dict[str, Any] = {
        "id": source_id,
        "source": f"/belonging/{service}",
        "type": event.cloudevent_type(),
        "subject": event.child_id,
        "datacontenttype": "application/json",
    }
    if time:
        from datetime import datetime

        attributes["time"] = datetime.fromisoformat(time)
    body = event.model_dump_json().encode()
    circle = type(event).sealed_for
    if event.sealed and (sealing.integration_keys() is not None or circle is not None):
        attributes["datacontenttype"] = sealing.SEALED
        if circle is not None:
            attributes[SEALED_FOR] = circle
        return _FORMAT.write(CloudEvent(attributes, sealing.seal(event.child_id, body, circle)))
    return _FORMAT.write(CloudEvent(attributes, json.loads(body)))


@dataclass(frozen=True)
class IntegrationMessage:
    """A received integration event: the CloudEvent's attributes and the contract model."""

    id: str
    type: str
    source: str
    data: IntegrationEvent
    headers: dict[str, str]


def decode_integration(message: StoredMessage) -> IntegrationMessage | Erased:
    """The consumer side: a CloudEvents JSON message back into its contract model.

    Sealed data is opened with the child's integration key; a child erased
    since gives `ERASED`, which consumers pass over.
    """
    from shared.contracts.base import model_for

    event = _FORMAT.read(None, message.data)
    model = model_for(event.get_type())
    data = event.get_data()
    if not isinstance(data, dict):
        raise ValueError("integration event without a JSON object as data")
    if event.get_datacontenttype() == sealing.SEALED:
        circle = event.get_attributes().get(SEALED_FOR)
        try:
            data = json.loads(sealing.open_sealed(str(event.get_subject()), data, circle))
        except KeyDestroyed:
            return ERASED
        if not isinstance(data, dict) or data.get("child_id") != event.get_subject():
            raise ValueError("sealed integration data about another child than its subject")
    return IntegrationMessage(
        id=event.get_id(),
        type=event.get_type(),
        source=event.get_source(),
        data=model.model_validate(data),
        headers=message.headers,
    )


class IntegrationRelay:
    """Publishes a service's integration events, following its event stream."""

    def __init__(
        self,
        service: str,
        nats_url: str,
        mapper: Mapper[Any],
        translate: Translate,
        event_stream: str | None = None,
        subject_prefix: str | None = None,
        nats: NatsSettings | None = None,
    ) -> None:
        """`nats`: the service's own settings (its credentials); else the process's."""
        self.service = service
        self.nats_url = nats_url
        self.event_stream = event_stream or service.upper()
        self.events_subject = f"{subject_prefix or service}.events.>"
        self.decode = domain_event_decoder(mapper)
        self.translate = translate
        self.settings = nats or NatsSettings.load(url=nats_url)
        self.reader = StreamReader(
            NatsConnection(self.settings, name=f"{service}-relay-reader"), owns_connection=True
        )
        self.client: Client | None = None
        #: (integration stream's last sequence, last source sequence looked at) after the
        #: last complete pass: while no one else has published, the next pass starts
        #: after it, so events that publish nothing are not read again on every wake-up.
        self._scanned: tuple[int, int] | None = None

    async def _connect(self) -> Client:
        if self.client is None or self.client.is_closed:
            self.client = await nats.connect(
                **self.settings.connect_options(f"{self.service}-relay")
            )
            await ensure_integration_stream(self.client, self.service, self.settings)
        return self.client

    def _position(self) -> tuple[int, int, int]:
        """(source sequence, source index, integration stream last sequence).

        The position is that of the last message this relay published (it
        carries the source headers). A message someone else put on the
        stream carries none: it is passed over, and named in the log, rather
        than taken for "nothing relayed yet", which would publish the whole
        history again.
        """
        stream, subjects = integration_stream(self.service), f"integration.{self.service}.>"
        last = self.reader.last(stream, subjects)
        if last is None:
            return 0, -1, 0
        ours = last if last.header(SOURCE_SEQUENCE) else self._last_relayed(stream, last.seq)
        if ours is None:
            return 0, -1, last.seq
        return int(ours.header(SOURCE_SEQUENCE) or 0), int(ours.header(SOURCE_INDEX) or 0), last.seq

    def _last_relayed(self, stream: str, before: int) -> StoredMessage | None:
        """The last message before `before` that this relay published (a page at a time)."""
        passed_over = 1  # the message at `before`
        found = None
        for message in self._backwards(stream, before - 1):
            if message.header(SOURCE_SEQUENCE):
                found = message
                break
            passed_over += 1
        log.warning("foreign_integration_messages", service=self.service, count=passed_over)
        return found

    def _backwards(self, stream: str, end: int) -> Iterator[StoredMessage]:
        """The stream's messages from `end` back to the first, newest first."""
        while end >= 1:
            start = max(1, end - FOREIGN_PAGE + 1)
            page = self.reader.next_batch(stream, start, None, FOREIGN_PAGE, through=end)
            yield from reversed([m for m in page if m.seq <= end])
            end = start - 1

    async def relay_available(self) -> int:
        """Publishes everything not yet relayed; returns how many it published."""
        client = await self._connect()
        source_seq, source_index, stream_last = await asyncio.to_thread(self._position)
        published = 0
        start = source_seq if source_index >= 0 else 1
        if self._scanned is not None and self._scanned[0] == stream_last:
            start = max(start, self._scanned[1] + 1)
        looked_at = start - 1
        while True:
            page = await asyncio.to_thread(
                self.reader.next_batch, self.event_stream, max(1, start), self.events_subject
            )
            if not page:
                self._scanned = (stream_last, looked_at)
                return published
            for message in page:
                if message.seq < source_seq:
                    continue
                decoded = self.decode(message)
                if decoded is ERASED:
                    continue  # an erased record: nothing of it goes out again
                outputs = self.translate(decoded, message.headers)
                for index, event in enumerate(outputs):
                    if message.seq == source_seq and index <= source_index:
                        continue  # relayed before a restart
                    stream_last = await self._publish(
                        client, message, index, event, stream_last, count=len(outputs)
                    )
                    published += 1
            looked_at = page[-1].seq
            start = looked_at + 1

    async def _publish(
        self,
        client: Client,
        message: StoredMessage,
        index: int,
        event: IntegrationEvent,
        expected: int,
        count: int = 1,
    ) -> int:
        headers: dict[str, str] = {
            SOURCE_SEQUENCE: str(message.seq),
            SOURCE_INDEX: str(index),
            SOURCE_COUNT: str(count),
            "Nats-Msg-Id": f"{self.service}-{message.seq}-{index}",
            "Nats-Expected-Last-Sequence": str(expected),
            "Content-Type": "application/cloudevents+json",
        }
        for name in (env.CHILD, env.EVENT_TYPE, env.EFFECTIVE_DATE, env.RECORDED_AT):
            if name in message.headers:
                headers[name] = message.headers[name]
        body = to_cloudevent(
            event,
            source_id=f"{self.service}-{message.seq}-{index}",
            service=self.service,
            time=message.headers.get(env.RECORDED_AT),
        )
        # Continue the trace of the command that caused the event, if it had one.
        with tracer().start_as_current_span(
            f"relay {event.event_type}", context=extract_context(message.headers)
        ):
            headers = inject_headers(headers)
            reply = await client.request(event.subject(), body, timeout=5, headers=headers)
        ack = json.loads(reply.data)
        if "error" in ack:
            raise RuntimeError(f"integration publish refused: {ack['error'].get('description')}")
        return int(ack["seq"])

    async def run_forever(self, stop: asyncio.Event, idle: float = 0.2) -> None:
        while not stop.is_set():
            try:
                published = await self.relay_available()
            except Exception as e:  # NATS unavailable or a refused publish: look again
                log.warning("relay waiting", service=self.service, error=str(e))
                published = 0
                await asyncio.sleep(1.0)
            if published == 0:
                try:
                    await asyncio.wait_for(stop.wait(), idle)
                except TimeoutError:
                    pass

    async def close(self) -> None:
        self.reader.close()
        if self.client is not None and not self.client.is_closed:
            await self.client.close()
