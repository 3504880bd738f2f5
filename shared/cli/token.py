"""`belonging token`: a dev bearer token, for curl and the API docs' Authorize button.

Uses the checkout's `DevIssuer` key pair; services trust it only when started
with `JWT_JWKS_FILE` pointing at the issuer's `jwks.json`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from shared.auth.roles import Role
from shared.auth.tokens import DEFAULT_DEV_ISSUER_DIR, DevIssuer
from shared.cli.app import app
from shared.demo.cohort import MANAGED_TEAMS


@app.command("token")
def token(
    role: Annotated[
        list[Role], typer.Option("--role", "-r", help="A role to grant; repeat for several.")
    ],
    user: Annotated[str, typer.Option("--user", "-u", help="The user id (the token's sub).")],
    name: Annotated[str | None, typer.Option(help="The user's display name.")] = None,
    on_behalf_of: Annotated[
        str | None, typer.Option(help="The user this person is acting for.")
    ] = None,
    team: Annotated[
        list[str] | None,
        typer.Option(
            "--team", "-t", help="A team the user manages (team managers); repeat for several."
        ),
    ] = None,
    ttl: Annotated[int, typer.Option(min=1, help="Lifetime in seconds.")] = 3600,
    issuer_dir: Annotated[
        Path, typer.Option(help="Where the dev issuer keeps its key pair.")
    ] = DEFAULT_DEV_ISSUER_DIR,
) -> None:
    """Print a signed dev JWT, e.g. TOKEN=$(belonging token -r social_worker -u sw.jones)."""
    issuer = DevIssuer(issuer_dir)
    # The demo's team manager manages the demo's teams unless told otherwise.
    teams = team if team else list(MANAGED_TEAMS.get(user, ()))
    typer.echo(
        issuer.mint(
            user, [r.value for r in role], ttl, name=name, on_behalf_of=on_behalf_of, teams=teams
        )
    )
