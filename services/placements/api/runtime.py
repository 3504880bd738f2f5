"""What the routers need at request time, wired once by `bootstrap.py`."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from services.placements.application import Placements
from services.placements.projections import ReadModels
from shared.api.idempotency import IdempotencyStore
from shared.api.problems import ProblemError


@dataclass(frozen=True)
class Runtime:
    placements: Placements
    read_models: ReadModels
    idempotency: IdempotencyStore


def runtime(request: Request) -> Runtime:
    """Dependency: the service's runtime, or 503 while it is starting or stopping."""
    found = getattr(request.app.state, "runtime", None)
    if not isinstance(found, Runtime):
        raise ProblemError(503, detail="The service is starting.", headers={"Retry-After": "1"})
    return found
