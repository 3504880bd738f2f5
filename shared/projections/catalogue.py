"""Where `belonging replay` finds projections: the services' registered factories.

A service lists its read models with a `replayable_projections() ->
Sequence[Projection]` (built from the environment, with the application's
mapper so events can be decrypted), registered as a `belonging.projections`
entry point (`shared/plugins.py`). Shared code imports no service.
"""

from __future__ import annotations

from collections.abc import Iterator

from shared.plugins import projection_factories
from shared.projections.runner import Projection


def all_projections() -> Iterator[tuple[str, Projection]]:
    for service, factory in projection_factories():
        for projection in factory():
            yield service, projection


def find(name: str) -> Projection:
    known = []
    for service, projection in all_projections():
        if projection.name == name or f"{service}.{projection.name}" == name:
            return projection
        known.append(f"{service}.{projection.name}")
    raise LookupError(f"no projection named {name!r}; known: {', '.join(sorted(known)) or 'none'}")
