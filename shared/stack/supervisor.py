"""The local stack as child processes: nats-server, PostgreSQL and the services.

`belonging dev up` drives this module; the CLI owns the display and the
signals, this module owns the processes, all under one data directory (default
`<repo>/.data/`; `Stack` lists what it holds). Children run in their own
sessions, so a Ctrl-C at the terminal reaches only the supervisor, which then
stops them in order: services, PostgreSQL, NATS.

NATS lets in no anonymous client: each service connects as its own nkey user
with its own permissions, the CLI as the admin (`shared/stack/nats_accounts.py`;
`NATS_NKEY_SEED=<data dir>/nats-keys/admin.nk belonging replay`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from shared.contracts.sealing import CIRCLE_MEMBERS, CIRCLES, circle_variable
from shared.plugins import Service
from shared.plugins import services as registered_services
from shared.processes import is_running
from shared.stack.nats_accounts import NatsAccounts
from shared.stack.nats_server import REPO_ROOT, NatsServer
from shared.stack.postgres_server import PostgresServer

#: The registered services (entry points, `shared/plugins.py`) in port order.
REGISTERED: dict[str, Service] = {service.name: service for service in registered_services()}
#: Their names: service N of the port plan listens on port_base + N.
SERVICES: tuple[str, ...] = tuple(REGISTERED)
DEFAULT_DATA_DIR = REPO_ROOT / ".data"
DEFAULT_NATS_PORT = 4222
DEFAULT_NATS_MONITOR_PORT = 8222
DEFAULT_PG_PORT = 5432
DEFAULT_PORT_BASE = 8000
HEALTH_TIMEOUT = 60.0
SERVICE_STOP_TIMEOUT = 15.0

#: Environment every service gets besides its own URLs, key and port.
SERVICE_ENVIRONMENT: Mapping[str, str] = {
    "PERSISTENCE_MODULE": "shared.eventstore",
    "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
    "PYTHONUNBUFFERED": "1",
}


class StackError(Exception):
    """Something in the stack failed; `log_path` names the log to show, if any."""

    def __init__(self, message: str, log_path: Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.log_path = log_path


class PortInUse(StackError):
    """A port the stack needs is taken; the message says which option moves it."""


class DataDirInUse(StackError):
    """Another `belonging dev up`, or its leftovers, is using the data directory."""


def runnable_services() -> list[str]:
    """The services that can run on their own: their package has a `__main__`."""
    return [name for name, service in REGISTERED.items() if service.runnable]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on `port` now (SO_REUSEADDR, as servers bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


@dataclass(frozen=True)
class StackPorts:
    nats: int = DEFAULT_NATS_PORT
    nats_monitor: int = DEFAULT_NATS_MONITOR_PORT
    postgres: int = DEFAULT_PG_PORT
    port_base: int = DEFAULT_PORT_BASE

    def service_port(self, name: str) -> int:
        return self.port_base + REGISTERED[name].port_offset

    def check(self, services: Iterable[str], is_free: Callable[[int], bool] = port_is_free) -> None:
        """Raise PortInUse naming the first port that is taken or asked for twice."""
        wanted: list[tuple[int, str, str]] = [
            (self.nats, "NATS", "--nats-port"),
            (self.nats_monitor, "the NATS monitor", "--nats-monitor-port"),
            (self.postgres, "PostgreSQL", "--pg-port"),
        ]
        wanted += [(self.service_port(name), name, "--port-base") for name in services]
        seen: dict[int, str] = {}
        for port, what, option in wanted:
            if not 0 < port < 65536:
                raise PortInUse(f"Port {port} for {what} is not a valid port; set {option}.")
            if port in seen:
                raise PortInUse(
                    f"Port {port} is asked for twice ({seen[port]} and {what}); "
                    f"move one with {option}."
                )
            seen[port] = what
        for port, what, option in wanted:
            if not is_free(port):
                example = (port + 10000) if port + 10000 < 65536 else port - 1000
                if option == "--port-base":
                    example = self.port_base + 1000
                raise PortInUse(
                    f"Port {port} ({what}) is already in use on 127.0.0.1. Stop whatever "
                    f"holds it, or choose another: belonging dev up {option} {example}"
                )


def load_or_create_cipher_key(path: Path) -> str:
    """The cipher key in `path`, made once (AES-256) and reused after; mode 0600."""
    if not path.exists():
        from eventsourcing.cipher import AESCipher

        path.parent.mkdir(parents=True, exist_ok=True)
        key = AESCipher.create_key(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "w") as file:
                file.write(key + "\n")
    key = path.read_text().strip()
    if not key:
        raise StackError(
            f"{path} is empty; delete it to make a new key (data it encrypted stays unreadable)"
        )
    return key


def log_tail(path: Path | None, lines: int = 40) -> str:
    """The last `lines` lines of a log, or a note that there is none."""
    if path is None:
        return ""
    try:
        with open(path, "rb") as file:
            file.seek(0, os.SEEK_END)
            size = file.tell()
            file.seek(max(0, size - 64 * 1024))
            text = file.read().decode("utf-8", "replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def _mark_log(path: Path, what: str) -> None:
    """Separate this run's output from earlier runs' in an append-only log."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as log:
        log.write(f"\n===== {time.strftime('%Y-%m-%d %H:%M:%S')} belonging dev up: {what} =====\n")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: have the kernel SIGTERM the child if the supervisor itself is killed."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        with contextlib.suppress(Exception):
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _command_line(pid: int) -> str | None:
    proc = Path(f"/proc/{pid}/cmdline")
    if proc.parent.exists():
        try:
            return proc.read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            return None
    result = subprocess.run(["ps", "-o", "command=", "-p", str(pid)], capture_output=True)
    return result.stdout.decode("utf-8", "replace").strip() or None


@dataclass
class ServiceSpec:
    """One service to run: `python -m <module>` with `env`, answering `/health` on `port`."""

    name: str
    module: str
    port: int
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class ServiceProcess:
    """A service as a child process in its own session, logging to one file."""

    def __init__(self, spec: ServiceSpec, log_path: Path, cwd: Path = REPO_ROOT) -> None:
        self.spec = spec
        self.log_path = log_path
        self.cwd = cwd
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def command(self) -> list[str]:
        return [sys.executable, "-m", self.spec.module]

    def start(self) -> None:
        _mark_log(self.log_path, f"python -m {self.spec.module} on port {self.spec.port}")
        log: IO[bytes] = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        try:
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env={**os.environ, **self.spec.env},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        finally:
            log.close()

    def returncode(self) -> int | None:
        return self.process.poll() if self.process else None

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.spec.url}/health", timeout=1) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.HTTPError, ValueError):
            return False

    def _signal_group(self, signum: int) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signum)

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self._signal_group(signal.SIGTERM)

    def wait(self, timeout: float) -> None:
        """Wait for the exit; SIGKILL the whole group when it takes longer than `timeout`."""
        if self.process is None:
            return
        try:
            self.process.wait(max(timeout, 0.0))
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait(10)
        self._signal_group(signal.SIGKILL)  # anything it left behind in its group


@dataclass(frozen=True)
class Child:
    """A running child, for the display and the leftover check."""

    name: str
    pid: int
    log_path: Path | None
    command: tuple[str, ...] = ()


class Stack:
    """NATS, PostgreSQL and the services of one data directory, started and stopped in order.

    The data directory holds:

    ```
    nats/                 JetStream store, and the server's config (the repo's, with the users)
    nats-keys/            the NATS users' nkey seeds (0600), made once: admin.nk, <service>.nk
    postgres/data/        PostgreSQL cluster (one database per service)
    dev-issuer/           the dev identity provider's key pair and jwks.json
    cipher.key            the application-level cipher key, made once and kept
    integration.key       the council's integration key (sealing integration events)
    logs/<name>.log       one log per child (logs/postgres.log links to the server's own)
    run/pids.json         the children of the running `dev up`, to catch leftovers
    .lock                 held while a `dev up` uses the directory
    ```
    """

    def __init__(
        self,
        data_dir: Path = DEFAULT_DATA_DIR,
        ports: StackPorts | None = None,
        services: Sequence[str] | None = None,
        repo_root: Path = REPO_ROOT,
    ) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self.ports = ports or StackPorts()
        self.repo_root = repo_root
        self.service_names = list(runnable_services() if services is None else services)
        self.nats = NatsServer(
            self.data_dir / "nats",
            port=self.ports.nats,
            monitor_port=self.ports.nats_monitor,
            log_path=self.log_dir / "nats.log",
        )
        self.postgres = PostgresServer(
            self.data_dir / "postgres" / "data", port=self.ports.postgres
        )
        self.services: list[ServiceProcess] = []
        self.cipher_key = ""
        self.integration_key = ""
        self.circle_keys: dict[str, str] = {}
        self._lock_file: IO[str] | None = None
        self._wrote_pid_file = False

    # Paths -----------------------------------------------------------------

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def issuer_dir(self) -> Path:
        return self.data_dir / "dev-issuer"

    @property
    def jwks_path(self) -> Path:
        return self.issuer_dir / "jwks.json"

    @property
    def nats_keys_dir(self) -> Path:
        return self.data_dir / "nats-keys"

    @property
    def nats_accounts(self) -> NatsAccounts:
        """Who may use NATS (made in `prepare`): the admin, and one user per service."""
        if self.nats.accounts is None:
            raise StackError("the stack is not prepared: NATS has no users yet")
        return self.nats.accounts

    @property
    def cipher_key_path(self) -> Path:
        return self.data_dir / "cipher.key"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "run" / "pids.json"

    @property
    def postgres_log(self) -> Path:
        # PostgresServer writes beside the cluster; logs/postgres.log links to it.
        return self.postgres.data_dir.parent / f"postgres-{self.postgres.port}.log"

    def database_url(self, service: str) -> str:
        return self.postgres.dsn(service)

    # Start -----------------------------------------------------------------

    def prepare(self) -> None:
        """Lock the data directory, refuse leftovers and taken ports, make the keys."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(exist_ok=True)
        self._lock()
        self._refuse_leftovers()
        self.ports.check(self.service_names)
        self.cipher_key = load_or_create_cipher_key(self.cipher_key_path)
        accounts = NatsAccounts(self.nats_keys_dir)  # seeds made once, kept after
        for name in self.service_names:
            accounts.service(name)
        self.nats.accounts = accounts
        self.integration_key = load_or_create_cipher_key(self.data_dir / "integration.key")
        self.circle_keys = {
            circle: load_or_create_cipher_key(self.data_dir / f"{circle}.key") for circle in CIRCLES
        }
        from shared.auth.tokens import DevIssuer

        DevIssuer(self.issuer_dir)  # makes the key pair and jwks.json on first use

    def _lock(self) -> None:
        lock = open(self.data_dir / ".lock", "w")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise DataDirInUse(
                f"Another `belonging dev up` is using {self.data_dir}; stop it first "
                "(Ctrl-C in its terminal), or use another --data-dir."
            ) from None
        self._lock_file = lock

    def _refuse_leftovers(self) -> None:
        """Children of an earlier `dev up` that was killed outright may still hold the data."""
        left = leftover_children(self.data_dir)
        if left:
            raise DataDirInUse(leftovers_message(self.data_dir, left))
        self.pid_file.unlink(missing_ok=True)

    def _record_children(self) -> None:
        self.pid_file.parent.mkdir(exist_ok=True)
        entries = [
            {"name": child.name, "pid": child.pid, "command": list(child.command)}
            for child in self.children()
        ]
        temporary = self.pid_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(entries, indent=2))
        os.replace(temporary, self.pid_file)
        self._wrote_pid_file = True

    def start_nats(self) -> None:
        _mark_log(self.log_dir / "nats.log", f"nats-server on port {self.nats.port}")
        try:
            self.nats.start()
        except (RuntimeError, TimeoutError, OSError) as error:
            raise StackError(f"nats-server did not start: {error}", self.nats.log_path) from error
        finally:
            self._record_children()

    def start_postgres(self) -> None:
        self.postgres.data_dir.parent.mkdir(parents=True, exist_ok=True)
        _mark_log(self.postgres_log, f"postgres on port {self.postgres.port}")
        link = self.log_dir / "postgres.log"
        with contextlib.suppress(OSError):
            link.unlink(missing_ok=True)
            link.symlink_to(self.postgres_log)
        try:
            self.postgres.start()
            for name in SERVICES:
                self.postgres.create_database(name)
        except (RuntimeError, TimeoutError, OSError, subprocess.CalledProcessError) as error:
            detail = str(error)
            if isinstance(error, subprocess.CalledProcessError) and error.stderr:
                detail = error.stderr.decode(errors="replace").strip()
            raise StackError(f"PostgreSQL did not start: {detail}", self.postgres_log) from error
        finally:
            self._record_children()

    def service_spec(self, name: str) -> ServiceSpec:
        port = self.ports.service_port(name)
        env = {
            **SERVICE_ENVIRONMENT,
            "SERVICE_NAME": name,
            "PORT": str(port),
            "NATS_URL": self.nats.url,
            # Its own NATS user, over any NATS_* credentials in our environment.
            **self.nats_accounts.service(name).env(name),
            "DATABASE_URL": self.database_url(name),
            "CIPHER_KEY": self.cipher_key,
            "INTEGRATION_KEY": self.integration_key,
            "JWT_JWKS_FILE": str(self.jwks_path),
        }
        for circle, key in self.circle_keys.items():  # only to the circle's members
            if name in CIRCLE_MEMBERS.get(circle, ()):
                env[circle_variable(circle)] = key
        return ServiceSpec(name=name, module=REGISTERED[name].package, port=port, env=env)

    def start_services(self, specs: Iterable[ServiceSpec] | None = None) -> list[ServiceProcess]:
        """Start the services (all runnable ones unless `specs` says otherwise)."""
        chosen = (
            list(specs) if specs is not None else [self.service_spec(n) for n in self.service_names]
        )
        started = []
        try:
            for spec in chosen:
                service = ServiceProcess(spec, self.log_dir / f"{spec.name}.log", self.repo_root)
                self.services.append(service)
                service.start()
                started.append(service)
        finally:
            self._record_children()
        return started

    def wait_healthy(
        self,
        timeout: float = HEALTH_TIMEOUT,
        on_healthy: Callable[[ServiceProcess], None] = lambda _: None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> bool:
        """Wait until every service answers `GET /health` with 200.

        Returns False when `should_stop` asked to give up; raises StackError when
        a child exits or a service is not healthy within `timeout` seconds.
        """
        waiting = list(self.services)
        deadline = time.monotonic() + timeout
        while waiting:
            if should_stop():
                return False
            self.raise_if_dead()
            for service in list(waiting):
                if service.healthy():
                    waiting.remove(service)
                    on_healthy(service)
            if not waiting:
                break
            if time.monotonic() > deadline:
                late = waiting[0]
                raise StackError(
                    f"{late.name} did not answer GET {late.spec.url}/health with 200 "
                    f"within {timeout:g}s",
                    late.log_path,
                )
            time.sleep(0.2)
        return True

    # Watch -----------------------------------------------------------------

    def _processes(self) -> list[tuple[Child, subprocess.Popen[bytes]]]:
        found: list[tuple[Child, subprocess.Popen[bytes]]] = []
        if self.nats.process is not None:
            process = self.nats.process
            found.append(
                (Child("nats-server", process.pid, self.nats.log_path, _args(process)), process)
            )
        if self.postgres.process is not None:
            process = self.postgres.process
            found.append(
                (Child("postgres", process.pid, self.postgres_log, _args(process)), process)
            )
        for service in self.services:
            if service.process is not None:
                child = Child(
                    service.name, service.process.pid, service.log_path, tuple(service.command)
                )
                found.append((child, service.process))
        return found

    def children(self) -> list[Child]:
        """Every child started so far, running or not: NATS, PostgreSQL, then the services."""
        return [child for child, _ in self._processes()]

    def dead_child(self) -> tuple[Child, int] | None:
        """The first child that has exited, with its exit status, if any has."""
        for child, process in self._processes():
            code = process.poll()
            if code is not None:
                return child, code
        return None

    def raise_if_dead(self) -> None:
        dead = self.dead_child()
        if dead is not None:
            child, code = dead
            how = f"status {code}"
            if code < 0:
                with contextlib.suppress(ValueError):
                    how = f"signal {signal.Signals(-code).name}"
            raise StackError(
                f"{child.name} (pid {child.pid}) exited unexpectedly ({how})",
                child.log_path,
            )

    # Stop ------------------------------------------------------------------

    def stop(self, on_step: Callable[[str], None] = lambda _: None) -> None:
        """Services first (together), then PostgreSQL, then NATS; waits for each."""
        if self.services:
            on_step("services")
            for service in self.services:
                service.terminate()
            deadline = time.monotonic() + SERVICE_STOP_TIMEOUT
            for service in self.services:
                service.wait(deadline - time.monotonic())
        if self.postgres.process is not None:
            on_step("PostgreSQL")
            self.postgres.stop()
        if self.nats.process is not None:
            on_step("NATS")
            self.nats.stop()
        self.release()

    def release(self) -> None:
        """Forget the children (all stopped) and unlock the data directory."""
        # Only the pid file this stack wrote, and only once all it names have exited:
        # an earlier run's file is the evidence of that run's leftovers.
        if self._wrote_pid_file and all(
            process.poll() is not None for _, process in self._processes()
        ):
            self.pid_file.unlink(missing_ok=True)
            self._wrote_pid_file = False
        if self._lock_file is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None


def _args(process: subprocess.Popen[bytes]) -> tuple[str, ...]:
    args = process.args
    if isinstance(args, (str, bytes, os.PathLike)):
        return (os.fsdecode(args),)
    return tuple(os.fsdecode(arg) for arg in args)


def leftover_children(data_dir: Path) -> list[tuple[str, int]]:
    """Children recorded by an earlier `dev up` on `data_dir` that are still running."""
    try:
        recorded: list[dict[str, Any]] = json.loads((data_dir / "run" / "pids.json").read_text())
    except (OSError, ValueError):
        return []
    left = []
    for entry in recorded:
        pid, command = int(entry["pid"]), list(entry.get("command") or [])
        if not is_running(pid):
            continue
        current = _command_line(pid)
        program = Path(command[0]).name if command else ""
        if current is not None and program and program in current:
            left.append((str(entry["name"]), pid))
    return left


def leftovers_message(data_dir: Path, left: Sequence[tuple[str, int]]) -> str:
    names = ", ".join(f"{name} (pid {pid})" for name, pid in left)
    pids = " ".join(str(pid) for _, pid in left)
    return (
        f"An earlier `belonging dev up` on {data_dir} left processes running: {names}. "
        f"Stop them with `kill {pids}` and try again."
    )


def data_dir_looks_like_ours(path: Path) -> bool:
    """Whether `path` is empty or holds only what `dev up` puts in a data directory."""
    known = {
        "nats",
        "nats-keys",
        "postgres",
        "dev-issuer",
        "cipher.key",
        "integration.key",
        *(f"{circle}.key" for circle in CIRCLES),
        "logs",
        "run",
        ".lock",
    }
    try:
        entries = {entry.name for entry in path.iterdir()}
    except OSError:
        return False
    return entries <= known


def data_dir_in_use(path: Path) -> bool:
    """Whether a `dev up` holds the lock on `path`."""
    lock_path = path / ".lock"
    if not lock_path.exists():
        return False
    with open(lock_path, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock, fcntl.LOCK_UN)
    return False
