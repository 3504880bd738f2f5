"""What the routers need from the running service, set once by `bootstrap`."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.casefile.adapters.event_history import EventHistory
from services.casefile.application import Casefile
from services.casefile.projections.children import ChildrenRegister
from shared.api.concurrency import if_match_version
from shared.api.idempotency import IdempotencyStore, idempotency_key


@dataclass
class CasefileApi:
    """The application and the adapters the endpoints call, wired by `bootstrap`."""

    casefile: Casefile
    idempotency: IdempotencyStore
    history: EventHistory
    register: ChildrenRegister
    team_managers: Mapping[str, Collection[str]]


def casefile_api(request: Request) -> CasefileApi:
    wired: CasefileApi | None = getattr(request.app.state, "casefile", None)
    if wired is None:  # the lifespan has not run: not ready to serve
        raise RuntimeError("the casefile service is not started")
    return wired


# Shorthands for endpoint signatures.
Api = Annotated[CasefileApi, Depends(casefile_api)]
IdempotencyKey = Annotated[str, Depends(idempotency_key)]
IfMatch = Annotated[int | None, Depends(if_match_version)]
