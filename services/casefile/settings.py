"""The casefile service's settings: the shared ones plus who manages which team."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from shared.settings import ServiceSettings


class CasefileSettings(ServiceSettings):
    service_name: str = "casefile"
    port: int = Field(default=8001, ge=0, le=65535)
    #: Which teams each team manager manages: {"tm.okafor": ["north-1"]}. A team
    #: manager is related to the children allocated to their teams. Tokens carry
    #: no team, so this is configuration (JSON in `CASEFILE_TEAM_MANAGERS`).
    team_managers: dict[str, list[str]] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("team_managers", "CASEFILE_TEAM_MANAGERS"),
    )
