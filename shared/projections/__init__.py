"""Read models in PostgreSQL, kept exactly once from JetStream streams."""

from shared.projections.runner import (
    Delivered,
    Projection,
    ProjectionRunner,
    ProjectionStopped,
    RebuildReport,
    Source,
    domain_event_decoder,
    rebuild,
)

__all__ = [
    "Delivered",
    "Projection",
    "ProjectionRunner",
    "ProjectionStopped",
    "RebuildReport",
    "Source",
    "domain_event_decoder",
    "rebuild",
]
