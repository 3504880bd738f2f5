"""The one CLI, `belonging`, for the verbs people type."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import typer

app = typer.Typer(
    name="belonging",
    help="Belonging: event-sourced case records for children in care.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
dev_app = typer.Typer(
    help="The local stack: NATS, PostgreSQL and the services.", no_args_is_help=True
)
app.add_typer(dev_app, name="dev")


def command_name() -> str:
    """How to type `belonging` here: `make run` installs it in `.venv/bin`, not on the PATH.

    Printed commands (the banner, the demo summary) use this, so they work as
    printed from the checkout: `.venv/bin/belonging` relative to the current
    directory when it is below it, else the absolute path; plain `belonging`
    only when that is what the PATH finds.
    """
    beside = Path(sys.executable).parent / "belonging"
    if not beside.exists() or shutil.which("belonging") == str(beside):
        return "belonging"
    try:
        return str(beside.relative_to(Path.cwd()))
    except ValueError:
        return str(beside)
