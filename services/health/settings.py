"""The health service's settings: the shared ones, under its own name and port."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class HealthSettings(ServiceSettings):
    service_name: str = "health"
    #: `make run` puts the services on 8001.. in order; health is the third.
    port: int = Field(default=8003, ge=0, le=65535)
    #: A FHIR Bundle from an NHS system is larger than a command: up to 1 MiB ...
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    #: ... and up to this many entries, each recorded on its own.
    fhir_max_entries: int = Field(default=500, gt=0, le=5000)
