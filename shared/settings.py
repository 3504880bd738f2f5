"""One settings object per service, read from the environment.

Read once at start-up; services subclass `ServiceSettings` to add their own
fields and a default `service_name`. Field names double as environment variable
names (no prefix, case-insensitive), except established ones (`JWT_JWKS_FILE`,
`JWT_JWKS_URL`, `OTEL_TRACES_EXPORTER`) and the per-service
`<SERVICE>_NATS_STREAM`, `<SERVICE>_NATS_SUBJECT_PREFIX` and `<SERVICE>_RELAY`,
and the service's own NATS credentials (`<SERVICE>_NATS_NKEY_SEED`, ...).
See docs/adr/0012-settings-from-the-environment-services-by-entry-points.md.
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.eventstore.keyring import keys_bucket
from shared.eventstore.settings import NatsSettings

#: AES-GCM through the `cryptography` package (docs/adr/0001: about 3 µs to
#: decrypt an event where pycryptodome's takes about 120 µs); each reads the other's.
CIPHER_TOPIC = "eventsourcing.cryptography:AESCipher"

#: The issuer name the CLI's dev issuer puts in its tokens.
DEV_ISSUER = "belonging-dev"

#: Who a client is to NATS: a service's own `<SERVICE>_<NAME>` overrides `<NAME>`
#: for every client it opens (docs/adr/0014-nats-credentials-and-permissions.md).
NATS_IDENTITY = (
    "NATS_CREDS",
    "NATS_NKEY_SEED",
    "NATS_USER",
    "NATS_PASSWORD",
    "NATS_TOKEN",
    "NATS_TLS_CERT",
    "NATS_TLS_KEY",
)


def _env(*names: str) -> AliasChoices:
    """Accept the field name (for code and tests) and the environment name."""
    return AliasChoices(*names)


class ServiceSettings(BaseSettings):
    """What every service needs to know about its surroundings."""

    model_config = SettingsConfigDict(
        env_prefix="",
        case_sensitive=False,
        extra="ignore",
        populate_by_name=True,
    )

    service_name: str = "belonging"
    nats_url: str = Field(
        default="nats://127.0.0.1:4222", validation_alias=_env("nats_url", "NATS_URL")
    )
    database_url: str | None = Field(
        default=None, validation_alias=_env("database_url", "DATABASE_URL")
    )
    # Secret so it never appears in a repr, a log line or a traceback.
    cipher_key: SecretStr | None = Field(
        default=None, validation_alias=_env("cipher_key", "CIPHER_KEY")
    )
    # The council's integration key: wraps each child's key for integration events
    # (shared/contracts/sealing.py); the same in every service.
    integration_key: SecretStr | None = Field(
        default=None, validation_alias=_env("integration_key", "INTEGRATION_KEY")
    )
    # Exactly one of these should be set: tokens are verified against the keys
    # they name. No default on purpose: a service must never silently trust a
    # key it was not told about (DESIGN.md, "Security").
    jwks_path: str | None = Field(default=None, validation_alias=_env("jwks_path", "JWT_JWKS_FILE"))
    jwks_url: str | None = Field(default=None, validation_alias=_env("jwks_url", "JWT_JWKS_URL"))
    jwt_issuer: str = Field(default=DEV_ISSUER, validation_alias=_env("jwt_issuer", "JWT_ISSUER"))
    jwt_audience: str = Field(
        default="belonging", validation_alias=_env("jwt_audience", "JWT_AUDIENCE")
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Spans go nowhere unless asked: no exporter may make network calls by default.
    otel_exporter: Literal["console", "none"] = Field(
        default="none", validation_alias=_env("otel_exporter", "OTEL_TRACES_EXPORTER")
    )
    port: int = Field(default=8000, ge=0, le=65535)
    # Case-record writes are small JSON documents; 64 KiB is generous and keeps
    # a hostile client from making a service buffer megabytes before rejecting.
    max_body_bytes: int = Field(default=64 * 1024, gt=0)

    # ---- the event store (passed to the application as its environment)
    persistence_module: str = Field(
        default="shared.eventstore",
        validation_alias=_env("persistence_module", "PERSISTENCE_MODULE"),
    )
    compressor_topic: str | None = Field(
        default="eventsourcing.compressor:ZlibCompressor",
        validation_alias=_env("compressor_topic", "COMPRESSOR_TOPIC"),
    )
    nats_replicas: int = Field(
        default=1, ge=1, le=5, validation_alias=_env("nats_replicas", "NATS_REPLICAS")
    )
    #: Children's aggregates a process keeps decoded (0: none). A read then decodes
    #: only the events recorded since, not a child's whole history; erasure still
    #: holds (`shared.service_application.RecordRepository`, docs/adr/0024).
    aggregate_cache_size: int = Field(
        default=1000,
        ge=0,
        le=1_000_000,
        validation_alias=_env("aggregate_cache_size", "AGGREGATE_CACHE_MAXSIZE"),
    )
    #: Seconds a process remembers a relationship it found (0: ask PostgreSQL on every
    #: request). Forgotten sooner at the commit of any read model change
    #: (`shared.auth.relationships.RememberedRelationships`, docs/adr/0025).
    relationship_memory_seconds: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        validation_alias=_env("relationship_memory_seconds", "RELATIONSHIP_MEMORY_SECONDS"),
    )
    #: The service's stream and subject prefix; default the service's name
    #: (`<SERVICE>_NATS_STREAM`, `<SERVICE>_NATS_SUBJECT_PREFIX`). Tests give
    #: each module its own.
    nats_stream: str | None = None
    nats_subject_prefix: str | None = None
    #: Publish integration events from this process (`<SERVICE>_RELAY`). A second
    #: relay cannot publish twice (expected last sequence) but wastes work, so
    #: replicas beyond the first may turn it off.
    relay_enabled: bool = True
    database_pool_size: int = Field(default=10, gt=0)
    #: Processes serving the port (uvicorn workers); one of them runs the background.
    workers: int = Field(
        default=1, ge=1, le=64, validation_alias=_env("workers", "WEB_CONCURRENCY")
    )
    #: Threads a process runs request handlers on (anyio's default is 40). Handlers
    #: are mostly CPU under one GIL; fewer threads queue requests instead of
    #: time-slicing them, which cut CPU a read and its p99 (docs/bench-api.md).
    request_threads: int = Field(
        default=6, ge=1, le=256, validation_alias=_env("request_threads", "REQUEST_THREADS")
    )
    #: Move what start-up made out of the collector's way (`gc.freeze`): a full
    #: collection then walks only what requests made, 22-27 ms instead of
    #: 88-132 ms, every one of which every request in flight waited for.
    #: `python -m services.<name>` turns it on; tests building many apps in
    #: one process leave it off, or nothing they made would ever be freed.
    gc_freeze: bool = Field(default=False, validation_alias=_env("gc_freeze", "GC_FREEZE"))
    #: With `gc_freeze`, the collector's young generation is collected after
    #: this many more objects made than freed (Python's default is 700): what a
    #: request in flight holds is then freed before the collector walks it and
    #: moves it on, and no full collection stops every request mid-run
    #: (docs/bench-api.md has the counts).
    gc_young_threshold: int = Field(
        default=5000,
        ge=100,
        le=1_000_000,
        validation_alias=_env("gc_young_threshold", "GC_YOUNG_THRESHOLD"),
    )

    @model_validator(mode="before")
    @classmethod
    def _service_variables(cls, data: object) -> object:
        """Read `<SERVICE>_NATS_STREAM`, `_NATS_SUBJECT_PREFIX`, `_RELAY` (`_RELAY_ENABLED`)."""
        if not isinstance(data, dict):
            return data
        service = data.get("service_name") or cls.model_fields["service_name"].default
        prefix = str(service).upper()
        for field, suffix in (
            ("nats_stream", "NATS_STREAM"),
            ("nats_subject_prefix", "NATS_SUBJECT_PREFIX"),
            ("relay_enabled", "RELAY"),
            ("relay_enabled", "RELAY_ENABLED"),  # the field's own name, as pydantic would read it
        ):
            value = os.environ.get(f"{prefix}_{suffix}")
            if field not in data and value is not None:
                data = {**data, field: value}
        return data

    @property
    def event_stream(self) -> str:
        """The stream holding this service's domain events."""
        return self.nats_stream or self.service_name.upper()

    @property
    def event_subject_prefix(self) -> str:
        return self.nats_subject_prefix or self.service_name

    def application_env(self) -> dict[str, str]:
        """The `eventsourcing` application's environment (overrides `os.environ`)."""
        prefix = self.service_name.upper()
        env = {
            "PERSISTENCE_MODULE": self.persistence_module,
            "NATS_URL": self.nats_url,
            "NATS_REPLICAS": str(self.nats_replicas),
            f"{prefix}_NATS_STREAM": self.event_stream,
            f"{prefix}_NATS_SUBJECT_PREFIX": self.event_subject_prefix,
        }
        env["KEY_BUCKET"] = keys_bucket(self.event_stream)
        # Applications made beside this one from its environment (the access log) connect
        # as the service too.
        env.update(self.nats_identity())
        if self.compressor_topic:
            env["COMPRESSOR_TOPIC"] = self.compressor_topic
        if self.aggregate_cache_size:
            env["AGGREGATE_CACHE_MAXSIZE"] = str(self.aggregate_cache_size)
        if self.cipher_key is not None:
            env["CIPHER_TOPIC"] = CIPHER_TOPIC
            env["CIPHER_KEY"] = self.cipher_key.get_secret_value()
        return env

    def nats_identity(self) -> dict[str, str]:
        """The service's own NATS credentials (`<SERVICE>_NATS_NKEY_SEED`, ...), as `NATS_*`."""
        prefix = self.service_name.upper()
        own = {name: os.environ.get(f"{prefix}_{name}") for name in NATS_IDENTITY}
        return {name: value for name, value in own.items() if value}

    def nats_settings(self) -> NatsSettings:
        """How every NATS client of the service connects: `<SERVICE>_NATS_*` over `NATS_*`.

        The event store reads the same through the application's environment;
        projection runners and the relay are given these.
        """
        prefix = self.service_name.upper()
        return NatsSettings.load(lambda name: os.environ.get(f"{prefix}_{name}"), url=self.nats_url)

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        """`LOG_LEVEL=debug` is how people type it."""
        return value.upper() if isinstance(value, str) else value
