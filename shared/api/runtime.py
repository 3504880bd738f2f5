"""What a service's endpoints reach at request time, set by the lifecycle once started."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import Request

from shared.api.idempotency import IdempotencyStore
from shared.api.problems import ProblemError
from shared.service_application import ServiceApplication

R = TypeVar("R")


@dataclass(frozen=True)
class ServiceRuntime(Generic[R]):
    """The application, the idempotency keys, and the service's own read side (`reads`)."""

    application: ServiceApplication[Any]
    idempotency: IdempotencyStore
    reads: R


async def service_runtime(request: Request) -> ServiceRuntime[Any]:
    """Dependency: the running service, or 503 while it is starting or stopping.

    `async`, though it awaits nothing: FastAPI runs a plain `def` dependency
    on a worker thread, a hop that costs more than this lookup.
    """
    found = getattr(request.app.state, "runtime", None)
    if not isinstance(found, ServiceRuntime):
        raise ProblemError(503, detail="The service is starting.", headers={"Retry-After": "1"})
    return found
