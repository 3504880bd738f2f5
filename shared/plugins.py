"""What this installation has: services, their replayable projections, a demo cohort.

Shared code knows no service by name or import: each service registers entry
points in `pyproject.toml` (`belonging.services`, `belonging.projections`,
`belonging.demo`) and `shared/` finds them through `importlib.metadata`.
See docs/adr/0012-settings-from-the-environment-services-by-entry-points.md.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

SERVICES_GROUP = "belonging.services"
PROJECTIONS_GROUP = "belonging.projections"
DEMO_GROUP = "belonging.demo"


@dataclass(frozen=True)
class Service:
    """A registered service: its name, its package, its offset in the port plan."""

    name: str
    package: str
    port_offset: int

    @property
    def runnable(self) -> bool:
        """Whether `python -m <package>` can run it yet (it has a `__main__`)."""
        return importlib.util.find_spec(f"{self.package}.__main__") is not None


def services() -> tuple[Service, ...]:
    """Every registered service whose package is here, in port order."""
    found = []
    for point in entry_points(group=SERVICES_GROUP):
        try:
            offset = int(point.load())
        except ModuleNotFoundError as error:
            if error.name != point.module:
                raise  # the package is here but broken: say so
            continue  # registered, but not in this checkout
        found.append(Service(point.name, point.module, offset))
    return tuple(sorted(found, key=lambda service: service.port_offset))


def projection_factories() -> list[tuple[str, Callable[[], Sequence[Any]]]]:
    """(service, factory of its replayable projections), for each service that has some."""
    return [(point.name, point.load()) for point in entry_points(group=PROJECTIONS_GROUP)]


def demo_cohort() -> EntryPoint | None:
    """The registered demo cohort loader (not loaded yet), if any."""
    points = list(entry_points(group=DEMO_GROUP))
    return points[0] if points else None
