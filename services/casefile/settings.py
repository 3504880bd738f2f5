"""The casefile service's settings: the shared ones, who manages which team, break-glass time."""

from __future__ import annotations

from datetime import timedelta

from pydantic import AliasChoices, Field, field_validator

from shared.settings import ServiceSettings


class CasefileSettings(ServiceSettings):
    service_name: str = "casefile"
    port: int = Field(default=8001, ge=0, le=65535)
    #: How long a break-glass grant gives access (`CASEFILE_BREAK_GLASS_DURATION`:
    #: seconds, or an ISO 8601 duration such as `PT4H`). Casefile records every
    #: grant; placements honours the end casefile published (docs/adr/0015-break-glass.md).
    break_glass_duration: timedelta = Field(
        default=timedelta(hours=4),
        gt=timedelta(0),
        le=timedelta(hours=24),
        validation_alias=AliasChoices("break_glass_duration", "CASEFILE_BREAK_GLASS_DURATION"),
    )

    @field_validator("break_glass_duration", mode="before")
    @classmethod
    def _seconds(cls, value: object) -> object:
        """`CASEFILE_BREAK_GLASS_DURATION=14400` is a number of seconds."""
        if isinstance(value, str) and value.strip().replace(".", "", 1).isdigit():
            return float(value)
        return value
