"""The placements service's settings: the shared ones plus where its events live."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from shared.settings import ServiceSettings


class PlacementsSettings(ServiceSettings):
    """Read from the environment once, at start-up (STYLE.md rule 5).

    The stream and subject prefix default to the service name; tests and
    side-by-side deployments give each instance its own with
    `PLACEMENTS_NATS_STREAM` / `PLACEMENTS_NATS_SUBJECT_PREFIX` (the names the
    event store's factory reads for an application called "placements").
    """

    service_name: str = "placements"
    #: `make run` puts the services on 8001.. in order; placements is the second.
    port: int = Field(default=8002, ge=0, le=65535)
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("host", "HOST"))
    nats_stream: str = Field(
        default="PLACEMENTS",
        validation_alias=AliasChoices("nats_stream", "PLACEMENTS_NATS_STREAM"),
    )
    nats_subject_prefix: str = Field(
        default="placements",
        validation_alias=AliasChoices("nats_subject_prefix", "PLACEMENTS_NATS_SUBJECT_PREFIX"),
    )
    nats_replicas: int = Field(
        default=1, ge=1, le=5, validation_alias=AliasChoices("nats_replicas", "NATS_REPLICAS")
    )
    #: Whether this process publishes the integration events (`PLACEMENTS_RELAY`).
    #: A second relay cannot publish twice (expected-last-sequence), but only
    #: wastes work: replicas beyond the first may turn it off.
    relay_enabled: bool = Field(
        default=True,
        validation_alias=AliasChoices(
            "relay_enabled", "PLACEMENTS_RELAY", "PLACEMENTS_RELAY_ENABLED"
        ),
    )
