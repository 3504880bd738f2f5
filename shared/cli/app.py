"""The one CLI, `belonging`, for the verbs people type."""

from __future__ import annotations

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
