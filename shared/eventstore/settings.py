"""How to reach NATS: servers, credentials, TLS, JetStream domain, timeouts.

Every client of ours (the event store, projection runners, relays, the CLI)
connects through these settings, so a secured cluster needs configuring once.
Each comes from the application's environment (`CASEFILE_NATS_CREDS` overrides
`NATS_CREDS` for casefile) or the process's; `NatsSettings` lists them.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eventsourcing.persistence import ProgrammingError

DEFAULT_URL = "nats://127.0.0.1:4222"

Lookup = Callable[[str], "str | None"]


def _from_process(name: str) -> str | None:
    return os.environ.get(name) or None


@dataclass(frozen=True)
class NatsSettings:
    """Connection settings for NATS, read once and handed to every client.

    From the application's environment, then the process's (`load`):

    - `NATS_URL`: comma-separated server URLs (`nats://`, `tls://`; user:password@ allowed)
    - `NATS_CREDS`: a `.creds` file: user JWT + nkey seed (operator mode)
    - `NATS_NKEY_SEED`: a file holding a user nkey seed
    - `NATS_USER`, `NATS_PASSWORD`: user and password
    - `NATS_TOKEN`: an authorisation token
    - `NATS_TLS_CA`: CA certificate file that server certificates must chain to
    - `NATS_TLS_CERT`, `NATS_TLS_KEY`: client certificate and key (mutual TLS)
    - `NATS_TLS_HOSTNAME`: the name to verify server certificates against, if not
      the URL's host
    - `NATS_JS_DOMAIN`: JetStream domain (API at `$JS.<domain>.API`)
    - `NATS_JS_API_PREFIX`: JetStream API prefix (an imported account's API)
    - `NATS_TIMEOUT`: seconds a read or save may take in all (default 5)
    - `NATS_CONNECT_TIMEOUT`: seconds to wait for one server's handshake (default 2)
    - `NATS_PING_INTERVAL`: seconds between client PINGs (default 2); two
      unanswered: stale
    - `NATS_REPLICAS`: stream replicas (1 locally, 3 in a cluster)
    """

    servers: tuple[str, ...] = (DEFAULT_URL,)
    creds: str | None = None
    nkey_seed: str | None = None
    user: str | None = None
    password: str | None = None
    token: str | None = None
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    tls_hostname: str | None = None
    js_domain: str | None = None
    js_api_prefix: str | None = None
    timeout: float = 5.0
    connect_timeout: float = 2.0
    ping_interval: float = 2.0
    replicas: int = 1

    @classmethod
    def load(cls, lookup: Lookup | None = None, url: str | None = None) -> NatsSettings:
        """Settings from `lookup` (an application's environment), then the process's."""

        def get(name: str) -> str | None:
            value = lookup(name) if lookup is not None else None
            return value or _from_process(name)

        raw_url = url or get("NATS_URL") or DEFAULT_URL
        servers = tuple(u.strip() for u in raw_url.split(",") if u.strip())
        settings = cls(
            servers=servers or (DEFAULT_URL,),
            creds=get("NATS_CREDS"),
            nkey_seed=get("NATS_NKEY_SEED"),
            user=get("NATS_USER"),
            password=get("NATS_PASSWORD"),
            token=get("NATS_TOKEN"),
            tls_ca=get("NATS_TLS_CA"),
            tls_cert=get("NATS_TLS_CERT"),
            tls_key=get("NATS_TLS_KEY"),
            tls_hostname=get("NATS_TLS_HOSTNAME"),
            js_domain=get("NATS_JS_DOMAIN"),
            js_api_prefix=get("NATS_JS_API_PREFIX"),
            timeout=_number(get, "NATS_TIMEOUT", 5.0),
            connect_timeout=_number(get, "NATS_CONNECT_TIMEOUT", 2.0),
            ping_interval=_number(get, "NATS_PING_INTERVAL", 2.0),
            replicas=int(_number(get, "NATS_REPLICAS", 1)),
        )
        settings.check()
        return settings

    @classmethod
    def from_mapping(cls, values: Mapping[str, str], url: str | None = None) -> NatsSettings:
        return cls.load(values.get, url)

    def with_servers(self, url: str) -> NatsSettings:
        return replace(self, servers=tuple(u.strip() for u in url.split(",") if u.strip()))

    @property
    def url(self) -> str:
        return ",".join(self.servers)

    @property
    def api_prefix(self) -> str:
        """Where the JetStream API answers: `$JS.API`, a domain's, or an imported prefix."""
        if self.js_domain:
            return f"$JS.{self.js_domain}.API"
        return (self.js_api_prefix or "$JS.API").rstrip(".")

    def jetstream_options(self) -> dict[str, str]:
        """How to address the JetStream API: `nats-py`'s `jetstream(domain=…|prefix=…)`."""
        if self.js_domain:
            return {"domain": self.js_domain}
        return {"prefix": self.api_prefix}

    def check(self) -> None:
        """Refuses settings that cannot work, naming the setting."""
        for name, path in (
            ("NATS_CREDS", self.creds),
            ("NATS_NKEY_SEED", self.nkey_seed),
            ("NATS_TLS_CA", self.tls_ca),
            ("NATS_TLS_CERT", self.tls_cert),
            ("NATS_TLS_KEY", self.tls_key),
        ):
            if path is not None and not Path(path).is_file():
                raise ProgrammingError(f"{name}: no such file: {path}")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ProgrammingError("NATS_TLS_CERT and NATS_TLS_KEY go together (mutual TLS)")
        if self.creds and self.nkey_seed:
            raise ProgrammingError("NATS_CREDS and NATS_NKEY_SEED: give one of them")
        if self.js_domain and self.js_api_prefix:
            raise ProgrammingError("NATS_JS_DOMAIN and NATS_JS_API_PREFIX: give one of them")
        if self.replicas not in (1, 3, 5):
            raise ProgrammingError(f"NATS_REPLICAS must be 1, 3 or 5, not {self.replicas}")
        if self.timeout <= 0 or self.connect_timeout <= 0 or self.ping_interval <= 0:
            raise ProgrammingError("NATS_TIMEOUT, NATS_CONNECT_TIMEOUT, NATS_PING_INTERVAL: > 0")

    @property
    def uses_tls(self) -> bool:
        return bool(self.tls_ca or self.tls_cert) or any(
            s.startswith("tls://") for s in self.servers
        )

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context: our CA if given (else the system's), our certificate for mTLS."""
        if not self.uses_tls:
            return None
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=self.tls_ca)
        if self.tls_cert and self.tls_key:
            context.load_cert_chain(self.tls_cert, self.tls_key)
        return context

    def connect_options(self, name: str) -> dict[str, Any]:
        """Keyword arguments for `nats.connect`: the maintained client does the rest.

        Reconnects go on for ever, to a randomised pool that the servers'
        INFO keeps up to date (discovery), skipping servers that just failed;
        PINGs every `ping_interval` find a hung server after two go unanswered.
        """
        options: dict[str, Any] = {
            "servers": list(self.servers),
            "name": name,
            "connect_timeout": self.connect_timeout,
            "ping_interval": self.ping_interval,
            "max_outstanding_pings": 2,
            "allow_reconnect": True,
            "max_reconnect_attempts": -1,
            "reconnect_time_wait": 0.25,
            "pending_size": 64 * 1024 * 1024,
        }
        if self.creds:
            options["user_credentials"] = self.creds
        if self.nkey_seed:
            options["nkeys_seed"] = self.nkey_seed
        if self.user:
            options["user"] = self.user
        if self.password:
            options["password"] = self.password
        if self.token:
            options["token"] = self.token
        context = self.ssl_context()
        if context is not None:
            options["tls"] = context
            if self.tls_hostname:
                options["tls_hostname"] = self.tls_hostname
        return options


def _number(get: Lookup, name: str, default: float) -> float:
    raw = get(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ProgrammingError(f"{name} must be a number, not {raw!r}") from None
