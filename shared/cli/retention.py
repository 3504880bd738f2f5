"""`belonging retention`: the records past their retention, and their erasure.

Talks to the casefile service's API like any client, so the same rules hold:
only a records manager's token is accepted, every listing is audited, and an
erasure is recorded before it is carried out (services/casefile/api/retention.py).
The token comes from `--token` or `BELONGING_TOKEN`; on a `make run` stack,
without one, a short-lived token of the dev issuer is made for `--user`.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from shared.auth.roles import Role
from shared.auth.tokens import DEFAULT_DEV_ISSUER_DIR, DevIssuer
from shared.cli.app import app

console = Console()
retention = typer.Typer(help="Records at the end of retention (reg. 50), and their erasure.")
app.add_typer(retention, name="retention")

CASEFILE_URL = "http://127.0.0.1:8001/v1"

Url = Annotated[str, typer.Option(envvar="CASEFILE_URL", help="The casefile API's base URL.")]
Token = Annotated[
    str | None, typer.Option(envvar="BELONGING_TOKEN", help="A records manager's bearer token.")
]
User = Annotated[str, typer.Option(help="Who acts, for a dev token (make run only).")]


def _token(token: str | None, user: str) -> str:
    if token:
        return token
    if not (DEFAULT_DEV_ISSUER_DIR / "jwks.json").exists():
        raise typer.BadParameter("give --token or BELONGING_TOKEN (a records manager's token)")
    return DevIssuer(DEFAULT_DEV_ISSUER_DIR).mint(user, [Role.RECORDS_MANAGER.value], 600)


def _call(
    method: str, url: str, token: str, headers: dict[str, str] | None = None, **kwargs: Any
) -> dict[str, Any]:
    try:
        response = httpx.request(
            method,
            url,
            headers={"Authorization": f"Bearer {token}", **(headers or {})},
            timeout=60,
            **kwargs,
        )
    except httpx.HTTPError as e:
        console.print(f"[red]casefile cannot be reached at {url}: {e}[/red]")
        raise typer.Exit(2) from e
    body: dict[str, Any] = response.json() if response.content else {}
    if response.status_code >= 400:
        console.print(
            f"[red]{response.status_code} {body.get('title', '')}[/red]: {body.get('detail', '')}"
        )
        raise typer.Exit(1)
    return body


@retention.command("due")
def due(
    on: Annotated[str | None, typer.Option(help="Judge on this day (YYYY-MM-DD).")] = None,
    url: Url = CASEFILE_URL,
    token: Token = None,
    user: User = "records.manager",
) -> None:
    """List the records whose retention has ended (75th birthday; a death before 18: 15 years)."""
    bearer = _token(token, user)
    table = Table("child id", "local id", "born", "retention ended")
    rows: list[tuple[str, str, str, str]] = []
    offset: int | None = 0
    day = on
    while offset is not None:
        params: dict[str, Any] = {"offset": offset, "limit": 500}
        if on:
            params["on"] = on
        page = _call("GET", f"{url}/retention/due", bearer, params=params)
        day = page["on"]
        for item in page["items"]:
            row = (
                item["child_id"],
                item["local_child_id"],
                item["date_of_birth"],
                item["retention_ended_on"],
            )
            rows.append(row)
            table.add_row(*row)
        offset = page.get("next_offset")
    console.print(f"Records past retention on {day or date.today().isoformat()}:")
    if console.is_terminal:
        console.print(table)
    else:  # piped: one tab-separated line a record, whole ids, for scripts
        for row in rows:
            typer.echo("\t".join(row))


@retention.command("erase")
def erase(
    child_id: Annotated[uuid.UUID, typer.Argument(help="The child whose record to erase.")],
    reason: Annotated[str, typer.Option(help="The authority: e.g. the council's reference.")],
    url: Url = CASEFILE_URL,
    token: Token = None,
    user: User = "records.manager",
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Erase one record whose retention has ended, in every service. It cannot be undone."""
    if not yes:
        typer.confirm(f"Erase the record of {child_id} for ever?", abort=True)
    answer = _call(
        "POST",
        f"{url}/erasures",
        _token(token, user),
        # One key an erasure: asked again, casefile answers with the first.
        headers={"Idempotency-Key": f"erase-{child_id}"},
        json={"child_id": str(child_id), "reason": reason},
    )
    console.print(f"Erased {answer['child_id']}: the erasure is record {answer['id']}.")
