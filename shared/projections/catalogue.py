"""Where `belonging replay` finds projections: each service's bootstrap.

A service lists its read models by exposing, in `services/<name>/bootstrap.py`,
`replayable_projections() -> Sequence[Projection]` (built from the
environment, with the application's mapper so events can be decrypted).
Shared code imports no service: it looks them up by name at run time.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

import services
from shared.projections.runner import Projection


def all_projections() -> Iterator[tuple[str, Projection]]:
    for module in pkgutil.iter_modules(services.__path__):
        try:
            bootstrap = importlib.import_module(f"services.{module.name}.bootstrap")
        except ModuleNotFoundError:
            continue
        factory = getattr(bootstrap, "replayable_projections", None)
        if factory is None:
            continue
        for projection in factory():
            yield module.name, projection


def find(name: str) -> Projection:
    known = []
    for service, projection in all_projections():
        if projection.name == name or f"{service}.{projection.name}" == name:
            return projection
        known.append(f"{service}.{projection.name}")
    raise LookupError(f"no projection named {name!r}; known: {', '.join(sorted(known)) or 'none'}")
