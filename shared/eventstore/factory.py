"""`PERSISTENCE_MODULE=shared.eventstore`: the infrastructure factory.

Settings (read through the library's Environment, so an application named
`casefile` may override any of them with `CASEFILE_<NAME>`): how to reach
NATS, in `shared.eventstore.settings` (URLs, credentials, TLS, JetStream
domain, timeouts, replicas), and
- `NATS_STREAM`: stream name (default: the application name, upper case);
- `NATS_SUBJECT_PREFIX`: subject prefix (default: the application name, lower case).
"""

from __future__ import annotations

import re

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    ProcessRecorder,
    TrackingRecorder,
)
from eventsourcing.utils import Environment, EnvType, resolve_topic

from shared.eventstore.connection import NatsConnection
from shared.eventstore.reader import StreamReader
from shared.eventstore.recorders import (
    NatsAggregateRecorder,
    NatsApplicationRecorder,
    NatsProcessRecorder,
    NatsTrackingRecorder,
)
from shared.eventstore.settings import NatsSettings


def _name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text) or "eventsourcing"


class NatsFactory(InfrastructureFactory[TrackingRecorder]):
    NATS_STREAM = "NATS_STREAM"
    NATS_SUBJECT_PREFIX = "NATS_SUBJECT_PREFIX"

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        self.settings = NatsSettings.load(self.env.get)
        base = _name(self.env.name or "eventsourcing")
        self.stream = _name(self.env.get(self.NATS_STREAM) or base.upper())
        self.subject_prefix = self.env.get(self.NATS_SUBJECT_PREFIX) or base.lower()
        self.replicas = self.settings.replicas
        self.connection = NatsConnection(self.settings, name=f"{base.lower()}-eventstore")
        self.reader = StreamReader(self.connection)
        try:
            self.connection.ensure_stream(
                self.stream,
                [f"{self.subject_prefix}.events.>", f"{self.subject_prefix}.tracking.>"],
                replicas=self.replicas,
            )
        except BaseException:
            self.connection.close()
            raise
        self._snapshots_ready = False

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        if purpose == "snapshots":
            # Snapshots are a cache of state, not history: their own stream,
            # so they take no notification id and may be purged.
            stream = f"{self.stream}_SNAPSHOTS"
            if not self._snapshots_ready:
                self.connection.ensure_stream(
                    stream, [f"{self.subject_prefix}.snapshots.>"], self.replicas, append_only=False
                )
                self._snapshots_ready = True
            return NatsAggregateRecorder(
                self.connection, self.reader, stream, self.subject_prefix, kind="snapshots"
            )
        return NatsAggregateRecorder(self.connection, self.reader, self.stream, self.subject_prefix)

    def application_recorder(self) -> ApplicationRecorder:
        return NatsApplicationRecorder(
            self.connection, self.reader, self.stream, self.subject_prefix
        )

    def tracking_recorder(
        self, tracking_recorder_class: type[TrackingRecorder] | None = None
    ) -> TrackingRecorder:
        if tracking_recorder_class is None:
            topic = self.env.get(self.TRACKING_RECORDER_TOPIC)
            tracking_recorder_class = resolve_topic(topic) if topic else NatsTrackingRecorder
        assert tracking_recorder_class is not None
        return tracking_recorder_class(  # type: ignore[call-arg]
            self.connection, self.reader, self.stream, self.subject_prefix
        )

    def process_recorder(self) -> ProcessRecorder:
        return NatsProcessRecorder(self.connection, self.reader, self.stream, self.subject_prefix)

    def close(self) -> None:
        self.reader.close()
        self.connection.close()
