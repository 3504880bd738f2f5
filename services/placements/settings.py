"""The placements service's settings: the shared ones, under its own name and port."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class PlacementsSettings(ServiceSettings):
    service_name: str = "placements"
    #: `make run` puts the services on 8001.. in order; placements is the second.
    port: int = Field(default=8002, ge=0, le=65535)
