"""`eventsourcing` persistence on NATS JetStream.

Select it with `PERSISTENCE_MODULE=shared.eventstore`. The library finds the
one InfrastructureFactory subclass in this module's namespace.
"""

from shared.eventstore.factory import NatsFactory
from shared.eventstore.recorders import (
    NatsAggregateRecorder,
    NatsApplicationRecorder,
    NatsProcessRecorder,
    NatsTrackingRecorder,
)

__all__ = [
    "NatsAggregateRecorder",
    "NatsApplicationRecorder",
    "NatsFactory",
    "NatsProcessRecorder",
    "NatsTrackingRecorder",
]
