"""`belonging replay PROJECTION`: rebuild a read model from the first event."""

from __future__ import annotations

import asyncio
import os

import asyncpg
import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from shared.cli.app import app
from shared.projections.catalogue import all_projections, find
from shared.projections.runner import rebuild
from shared.stack.supervisor import DEFAULT_DATA_DIR

console = Console()


@app.command("replay")
def replay(
    projection: str = typer.Argument(None, help="e.g. placements.placements_spans"),
    swap: bool = typer.Option(True, help="Swap the rebuilt schema in when it equals the live one"),
    database_url: str = typer.Option(None, envvar="DATABASE_URL", help="The service's database"),
    nats_url: str = typer.Option("nats://127.0.0.1:4222", envvar="NATS_URL"),
) -> None:
    """Replays a projection into a fresh schema, compares it with the live one, swaps."""
    if not projection:
        table = Table("service", "projection", "tables")
        for service, p in all_projections():
            table.add_row(service, p.name, ", ".join(p.tables))
        console.print(table)
        return
    if not database_url:
        raise typer.BadParameter("set DATABASE_URL or --database-url to the service's database")
    os.environ.setdefault("NATS_URL", nats_url)
    _admin_on_the_local_stack()
    try:
        chosen = find(projection)
    except LookupError as unknown:
        raise typer.BadParameter(str(unknown), param_hint="PROJECTION") from None

    async def run() -> None:
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
        try:
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=console,
            ) as progress:
                task = progress.add_task(f"replaying {chosen.name}", total=None)

                def report(events: int, rate: float) -> None:
                    progress.update(
                        task,
                        description=f"replaying {chosen.name}: {events:,} events, {rate:,.0f}/s",
                    )

                result = await rebuild(chosen, pool, nats_url, swap=swap, on_progress=report)
        finally:
            await pool.close()
        console.print(
            f"[bold]{result.projection}[/]: {result.events:,} events in {result.seconds:.2f} s "
            f"({result.rate:,.0f} events/s)"
        )
        for table_name, difference in result.differences.items():
            state = "[green]same[/]" if difference == 0 else f"[red]{difference} rows differ[/]"
            console.print(f"  {table_name}: {state}")
        if result.swapped:
            console.print("[green]rebuilt schema swapped in[/]")
        elif swap:
            console.print("[red]not swapped: the rebuild differs from the live projection[/]")
            raise typer.Exit(1)

    asyncio.run(run())


#: Where `belonging dev up` keeps the NATS admin's seed (`.data/nats-keys/admin.nk`).
LOCAL_ADMIN_SEED = DEFAULT_DATA_DIR / "nats-keys" / "admin.nk"
_CREDENTIALS = ("NATS_CREDS", "NATS_NKEY_SEED", "NATS_USER", "NATS_TOKEN")


def _admin_on_the_local_stack() -> None:
    """With no NATS credentials given, the local stack's admin seed when there is one.

    NATS lets no anonymous client in; on a `make run` stack the CLI is its admin.
    """
    if not any(os.environ.get(name) for name in _CREDENTIALS) and LOCAL_ADMIN_SEED.exists():
        os.environ["NATS_NKEY_SEED"] = str(LOCAL_ADMIN_SEED)
