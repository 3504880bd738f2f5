"""Who may do what on NATS: one nkey user per service, an admin for the CLI, and the table.

NATS is not an open door (issue #19): every nats-server this project starts
for services (`belonging dev up`, the tests' servers) or deploys (`k8s/`)
refuses anonymous clients, and each service connects as its own nkey user,
allowed only what it needs (docs/adr/0014-nats-credentials-and-permissions.md):

- publish its own domain events, tracking records and access log
  (`<prefix>.events.>`, `<prefix>.tracking.>`, `<prefix>_reads.events.>`,
  `<prefix>_reads.tracking.>`) and its own integration events
  (`integration.<service>.>`), and write its record keys (`$KV.KEYS_<STREAM>.>`)
  and the integration keys (`$KV.INTEGRATION_KEYS.>`);
- use the JetStream API on its own streams only (`<STREAM>`, `<STREAM>_READS`,
  `INTEGRATION_<SERVICE>`, `KV_KEYS_<STREAM>`, `KV_INTEGRATION_KEYS`): create
  and look at them, read them, open and use read cursors; never update, purge
  or delete them, nor delete messages (`OWN_STREAM_API`);
- read, and only read, the integration streams of the services it consumes
  (`consumes`: every service reads `INTEGRATION_CASEFILE` for erasures,
  placements for its care periods too) (`READ_ONLY_API`);
- receive replies on `_INBOX.>`, and subscribe to nothing else.

The admin user may do anything; it is for the CLI (`belonging replay`, the
benchmarks, an operator), never for a service. Seeds are made once, in files
only their owner may read (0600); the server's config names public keys only.

This module is the one place the table lives: `NatsAccounts` renders the
`authorization { users = [...] }` block of a server we start and writes the
seeds; `python -m shared.stack.nats_accounts k8s --write` writes the block the
k8s ConfigMaps carry (with `$<SERVICE>_NKEY` for each public key), and a test
checks that they still say the same.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import nkeys

from shared.eventstore.keyring import INTEGRATION_BUCKET, keys_bucket

#: The JetStream API prefix (a JetStream domain's is `$JS.<domain>.API`).
API = "$JS.API"
#: Where replies come: every request of nats-py answers to an inbox of its own.
INBOX = "_INBOX.>"
#: Whose integration events every service reads: casefile's erasures of children
#: (`shared/erasure.py`, `ErasureFollower`, in every service).
CONSUMED_BY_EVERY_SERVICE: tuple[str, ...] = ("casefile",)
#: Whose integration events each service reads besides (its projections' sources).
CONSUMES: Mapping[str, tuple[str, ...]] = {
    "placements": ("casefile", "education"),
    # placed for adoption: a placement, recorded in placements, learned by casefile
    "casefile": ("placements", "health", "education"),
    "education": ("casefile",),
    "health": ("casefile",),  # children, NHS number digests, periods of care, allocations
}


def consumes(service: str) -> tuple[str, ...]:
    """The services whose integration streams `service` reads (never its own)."""
    wanted = (*CONSUMED_BY_EVERY_SERVICE, *CONSUMES.get(service, ()))
    return tuple(dict.fromkeys(other for other in wanted if other != service))


#: The JetStream API on a service's own streams (`{api}.<verb>.<stream>`):
#: create and inspect a stream (a create with the stream's existing settings
#: is a no-op; with other settings it is refused), read messages by sequence or
#: subject (Direct Get, and the leader's Msg Get on replicated streams), and
#: open, pull from and delete the ephemeral read cursors of `StreamReader`.
#: Not STREAM.UPDATE, PURGE, DELETE, MSG.DELETE, SNAPSHOT or RESTORE: a
#: service cannot change the limits of, empty or remove a stream, even its own.
OWN_STREAM_API = (
    "STREAM.CREATE.{stream}",
    "STREAM.INFO.{stream}",
    "STREAM.MSG.GET.{stream}",
    "DIRECT.GET.{stream}",
    "DIRECT.GET.{stream}.>",
    "CONSUMER.CREATE.{stream}.>",
    "CONSUMER.MSG.NEXT.{stream}.>",
    "CONSUMER.DELETE.{stream}.>",
)
#: The JetStream API on a stream a service may only read (another service's
#: integration stream, the integration keys of a service that publishes none).
READ_ONLY_API = tuple(verb for verb in OWN_STREAM_API if not verb.startswith("STREAM.CREATE"))


def integration_stream(service: str) -> str:
    """`INTEGRATION_<SERVICE>`, as `shared.contracts.relay` names it."""
    return f"INTEGRATION_{service.upper()}"


@dataclass(frozen=True)
class Permissions:
    """A user's allow lists; anything not allowed is denied."""

    publish: tuple[str, ...]
    subscribe: tuple[str, ...]

    def as_config(self, indent: str) -> list[str]:
        """The `permissions` map, one subject a line."""
        lines = ["permissions: {"]
        for verb, subjects in (("publish", self.publish), ("subscribe", self.subscribe)):
            lines.append(f"  {verb}: {{ allow: [")
            lines += [f"    {json.dumps(subject)}" for subject in subjects]
            lines.append("  ] }")
        lines.append("}")
        return [indent + line for line in lines]


@dataclass(frozen=True)
class ServiceScope:
    """What one service's credentials reach: its stream, its subjects, what it consumes.

    Its streams and subjects follow the service's settings (`shared/settings.py`:
    `<SERVICE>_NATS_STREAM`, `<SERVICE>_NATS_SUBJECT_PREFIX`); the tests give
    each module its own, and a user of its own.
    """

    service: str
    stream: str
    subject_prefix: str
    consumes: tuple[str, ...] = ()
    #: Whether the service publishes integration events (and so writes integration keys).
    publishes_integration: bool = True

    @classmethod
    def of(
        cls, service: str, stream: str | None = None, subject_prefix: str | None = None
    ) -> ServiceScope:
        return cls(
            service=service,
            stream=stream or service.upper(),
            subject_prefix=subject_prefix or service,
            consumes=consumes(service),
        )

    @property
    def reads_stream(self) -> str:
        """The access log's stream (`shared/access_log.py`)."""
        return f"{self.stream}_READS"

    @property
    def keys_bucket(self) -> str:
        return keys_bucket(self.stream)

    def own_streams(self) -> tuple[str, ...]:
        streams = [self.stream, self.reads_stream, f"KV_{self.keys_bucket}"]
        if self.publishes_integration:
            streams += [integration_stream(self.service), f"KV_{INTEGRATION_BUCKET}"]
        return tuple(streams)

    def read_only_streams(self) -> tuple[str, ...]:
        streams = [integration_stream(other) for other in self.consumes]
        if self.consumes and not self.publishes_integration:
            streams.append(f"KV_{INTEGRATION_BUCKET}")
        return tuple(streams)

    def data_subjects(self) -> tuple[str, ...]:
        """What the service publishes into its streams."""
        prefix, reads = self.subject_prefix, f"{self.subject_prefix}_reads"
        subjects = [
            f"{prefix}.events.>",
            f"{prefix}.tracking.>",
            f"{reads}.events.>",
            f"{reads}.tracking.>",
            f"$KV.{self.keys_bucket}.>",
        ]
        if self.publishes_integration:
            subjects += [f"integration.{self.service}.>", f"$KV.{INTEGRATION_BUCKET}.>"]
        return tuple(subjects)

    def permissions(self, api: str = API) -> Permissions:
        publish = list(self.data_subjects())
        for stream in self.own_streams():
            publish += [f"{api}.{verb.format(stream=stream)}" for verb in OWN_STREAM_API]
        for stream in self.read_only_streams():
            publish += [f"{api}.{verb.format(stream=stream)}" for verb in READ_ONLY_API]
        return Permissions(publish=tuple(publish), subscribe=(INBOX,))


# -- seeds ------------------------------------------------------------------------


def load_or_create_seed(path: Path) -> nkeys.KeyPair:
    """The user nkey whose seed is in `path`, made once (mode 0600) and reused after."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "wb") as file:
                file.write(bytes(seed) + b"\n")
    seed_text = path.read_bytes().strip()
    if not seed_text.startswith(b"SU"):
        raise ValueError(f"{path} does not hold a user nkey seed (SU...)")
    return nkeys.from_seed(bytearray(seed_text))


@dataclass(frozen=True)
class NatsUser:
    """A user of the server: its name, its seed file, its public key, its permissions."""

    name: str
    seed_path: Path
    public_key: str
    #: None: everything (the admin).
    permissions: Permissions | None = None

    def env(self, service: str | None = None) -> dict[str, str]:
        """The settings that make a client connect as this user (`NatsSettings`).

        With `service`, as that service's own override (`CASEFILE_NATS_NKEY_SEED`),
        so that one process may hold several services' credentials (the tests).
        """
        name = f"{service.upper()}_NATS_NKEY_SEED" if service else "NATS_NKEY_SEED"
        return {name: str(self.seed_path)}


def _user(name: str, directory: Path, permissions: Permissions | None) -> NatsUser:
    path = directory / f"{name}.nk"
    public = load_or_create_seed(path).public_key
    return NatsUser(name, path, bytes(public).decode(), permissions)


@dataclass
class NatsAccounts:
    """The users of one nats-server: the admin and one per service scope; seeds in `directory`."""

    directory: Path
    api: str = API
    admin: NatsUser = field(init=False)
    _services: dict[str, NatsUser] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        self.admin = _user("admin", self.directory, None)

    def service(
        self, service: str, stream: str | None = None, subject_prefix: str | None = None
    ) -> NatsUser:
        """The user of a service (its default stream and subjects unless given); made once."""
        return self.add(ServiceScope.of(service, stream, subject_prefix))

    def add(self, scope: ServiceScope) -> NatsUser:
        default = scope == ServiceScope.of(scope.service)
        name = scope.service if default else f"{scope.service}-{scope.stream.lower()}"
        if name not in self._services:
            self._services[name] = _user(name, self.directory, scope.permissions(self.api))
        return self._services[name]

    def users(self) -> list[NatsUser]:
        return [self.admin, *self._services.values()]

    def authorization(self) -> str:
        """The server config's `authorization` block: these users, nobody else."""
        return render_authorization((json.dumps(u.public_key), u.permissions) for u in self.users())


def render_authorization(users: Iterable[tuple[str, Permissions | None]]) -> str:
    """`authorization { users = [...] }` for (nkey as the config writes it, permissions)."""
    lines = ["authorization {", "  timeout: 2", "  users = ["]
    for nkey, permissions in users:
        if permissions is None:
            lines.append(f"    {{ nkey: {nkey} }}")
        else:
            lines += ["    {", f"      nkey: {nkey}", *permissions.as_config("      "), "    }"]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def nkey_variable(name: str) -> str:
    """The environment variable holding a user's public key on a deployed server."""
    return f"{name.upper()}_NKEY"


def k8s_authorization(services: Sequence[str]) -> str:
    """The block of `k8s/base/nats/configmap.yaml`: public keys from `$<NAME>_NKEY`."""
    users: list[tuple[str, Permissions | None]] = [(f"${nkey_variable('admin')}", None)]
    users += [(f"${nkey_variable(name)}", ServiceScope.of(name).permissions()) for name in services]
    return render_authorization(users)


#: The services the k8s manifests deploy (k8s/base/services/).
K8S_SERVICES = ("casefile", "placements", "health", "education", "notifications")
#: The NATS ConfigMaps, and the lines around the users block in each `nats.conf`.
K8S_CONFIGMAPS = ("k8s/base/nats/configmap.yaml", "k8s/overlays/local/nats.yaml")
K8S_BEGIN = "# NATS users: written by `python -m shared.stack.nats_accounts k8s --write`."
K8S_END = "# End of NATS users."


def write_k8s_configmaps(repo: Path) -> list[Path]:
    """Puts the users block between `K8S_BEGIN` and `K8S_END` in each ConfigMap."""
    indent = "    "  # nats.conf is a block scalar under `data:`
    lines = [K8S_BEGIN, *k8s_authorization(K8S_SERVICES).rstrip("\n").split("\n"), K8S_END]
    block = "".join(f"{indent}{line}\n" if line else "\n" for line in lines)
    written = []
    for name in K8S_CONFIGMAPS:
        path = repo / name
        text = path.read_text()
        start = text.index(indent + K8S_BEGIN)
        end = text.index(indent + K8S_END) + len(indent + K8S_END) + 1
        path.write_text(text[:start] + block + text[end:])
        written.append(path)
    return written


def main(argv: Sequence[str]) -> int:
    """`k8s [--write]`: the ConfigMaps' block; `keys DIR`: make seeds, print public keys."""
    if argv == ["k8s"]:
        sys.stdout.write(k8s_authorization(K8S_SERVICES))
        return 0
    if argv == ["k8s", "--write"]:
        for path in write_k8s_configmaps(Path(__file__).resolve().parents[2]):
            print(f"wrote the NATS users into {path}")
        return 0
    if len(argv) == 2 and argv[0] == "keys":
        directory = Path(argv[1])
        seeds = {"admin": directory / "admin.nk"}
        seeds.update({name: directory / "services" / f"{name}.nk" for name in K8S_SERVICES})
        for name, path in seeds.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(path.parent, 0o700)
            public = bytes(load_or_create_seed(path).public_key).decode()
            print(f"{nkey_variable(name)}={public}")
        return 0
    print(
        "usage: python -m shared.stack.nats_accounts k8s [--write] | keys DIR\n"
        "  k8s       the authorization block of the NATS ConfigMaps (--write: into them)\n"
        "  keys DIR  make (once) the admin's seed DIR/admin.nk and each service's\n"
        "            DIR/services/<service>.nk (0600), and print <NAME>_NKEY=<public key>\n"
        '            lines for the NATS servers (k8s/README.md, "NATS users")',
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
