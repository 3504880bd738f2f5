"""What the education endpoints reach at request time: the shared runtime, with its read models."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.education.projections import ReadModels
from shared.api.runtime import ServiceRuntime, service_runtime

Runtime = Annotated[ServiceRuntime[ReadModels], Depends(service_runtime)]
