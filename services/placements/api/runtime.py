"""What the placements endpoints reach at request time: the shared runtime, with its read models."""

from __future__ import annotations

from fastapi import Request

from services.placements.projections import ReadModels
from shared.api.runtime import ServiceRuntime, service_runtime

Runtime = ServiceRuntime[ReadModels]


def runtime(request: Request) -> Runtime:
    """Dependency: the running service, or 503 while it is starting or stopping."""
    return service_runtime(request)
