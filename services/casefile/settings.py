"""The casefile service's settings: the shared ones plus what only casefile needs.

Read once at start-up from the environment (STYLE.md rule 5). The event store's
own settings (`PERSISTENCE_MODULE`, `NATS_URL`, `CIPHER_KEY`,
`COMPRESSOR_TOPIC`, `CASEFILE_NATS_STREAM`, `CASEFILE_NATS_SUBJECT_PREFIX`)
are read here too, so one object says how the service is wired, and passed to
the `Casefile` application as its environment.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field

from shared.service_application import CIPHER_TOPIC
from shared.settings import ServiceSettings


class CasefileSettings(ServiceSettings):
    service_name: str = "casefile"
    port: int = Field(default=8001, ge=0, le=65535)

    persistence_module: str = Field(
        default="shared.eventstore",
        validation_alias=AliasChoices("persistence_module", "PERSISTENCE_MODULE"),
    )
    compressor_topic: str | None = Field(
        default="eventsourcing.compressor:ZlibCompressor",
        validation_alias=AliasChoices("compressor_topic", "COMPRESSOR_TOPIC"),
    )
    #: Stream and subject prefix of the casefile events (default CASEFILE / casefile);
    #: tests give each module its own.
    nats_stream: str | None = Field(
        default=None, validation_alias=AliasChoices("nats_stream", "CASEFILE_NATS_STREAM")
    )
    nats_subject_prefix: str | None = Field(
        default=None,
        validation_alias=AliasChoices("nats_subject_prefix", "CASEFILE_NATS_SUBJECT_PREFIX"),
    )
    #: Which teams each team manager manages: {"tm.okafor": ["north-1"]}. A team
    #: manager is related to the children allocated to their teams. In a council
    #: this comes from the identity provider's groups; here it is configuration,
    #: because tokens carry no team (JSON in `CASEFILE_TEAM_MANAGERS`).
    team_managers: dict[str, list[str]] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("team_managers", "CASEFILE_TEAM_MANAGERS"),
    )
    #: Publish integration events from this process. Exactly one relay runs per
    #: integration stream; replicas beyond the first may turn it off.
    relay_enabled: bool = Field(
        default=True, validation_alias=AliasChoices("relay_enabled", "CASEFILE_RELAY")
    )
    database_pool_size: int = Field(default=10, gt=0)

    def application_env(self) -> dict[str, str]:
        """The `Casefile` application's environment (overrides `os.environ`)."""
        env: dict[str, str] = {"NATS_URL": self.nats_url}
        if self.persistence_module:
            env["PERSISTENCE_MODULE"] = self.persistence_module
        if self.compressor_topic:
            env["COMPRESSOR_TOPIC"] = self.compressor_topic
        if self.cipher_key is not None:
            env["CIPHER_TOPIC"] = CIPHER_TOPIC
            env["CIPHER_KEY"] = self.cipher_key.get_secret_value()
        if self.nats_stream:
            env["CASEFILE_NATS_STREAM"] = self.nats_stream
        if self.nats_subject_prefix:
            env["CASEFILE_NATS_SUBJECT_PREFIX"] = self.nats_subject_prefix
        return env
