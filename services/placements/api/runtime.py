"""What the placements endpoints reach at request time: the shared runtime, with its read models."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.placements.projections import ReadModels
from shared.api.runtime import ServiceRuntime, service_runtime

#: Endpoint parameter: the running service (503 while it starts or stops).
Runtime = Annotated[ServiceRuntime[ReadModels], Depends(service_runtime)]
