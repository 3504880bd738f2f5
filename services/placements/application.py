"""The placements application: each child's placements as one `PlacementHistory`.

Every change goes through the shared command cycle (`ServiceApplication.
execute` with a command from `domain/commands.py`); the first placement starts
the history. Periods of care belong to the casefile service: this service
learns them from casefile's integration events (the `CarePeriods` read
model), and every command is given them so the domain can check that
placements lie within one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import EnvType

from services.placements.domain import PeriodOfCare, PlacementHistory
from shared.commands import Command
from shared.domain_errors import NotFound, RuleBroken
from shared.service_application import ServiceApplication

PeriodsOfCare = Callable[[UUID], Sequence[PeriodOfCare]]


class NotLookedAfter(RuleBroken):
    """No period of care is known for the child: nothing can be placed."""

    learned_from = ("casefile",)  # periods of care are casefile's (ADR 0019)


class Placements(ServiceApplication[PlacementHistory]):
    """Placements and moves of children in care."""

    name = "placements"

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)
        #: Where a child's periods of care come from: the read model, once the
        #: bootstrap wires it; none until then.
        self.periods_of_care: PeriodsOfCare = lambda child_id: ()

    def aggregate_id(self, child_id: UUID) -> UUID:
        return PlacementHistory.create_id(child_id)

    def new_aggregate(self, child_id: UUID) -> PlacementHistory:
        return PlacementHistory(child_id=child_id)

    def not_found(self, child_id: UUID) -> NotFound:
        return NotFound(f"no placement history for child {child_id}", "child_id")

    def context(self, child_id: UUID, command: Command) -> Mapping[str, Any]:
        periods = list(self.periods_of_care(child_id))
        if not periods:
            day = getattr(command, "effective_date", None)
            on = f" ({day.isoformat()})" if day is not None else ""
            raise NotLookedAfter(
                f"child is not looked after on that date{on}", field="effective_date"
            )
        return {"periods_of_care": periods}

    def get_history(self, child_id: UUID) -> PlacementHistory:
        """The child's placement history; `NotFound` if nothing was ever recorded."""
        return self.load(child_id)

    def history_as_of(
        self, child_id: UUID, recorded_by: datetime | None = None
    ) -> PlacementHistory:
        """The child's placement history as it was recorded by `recorded_by` (recorded time)."""
        return self.load_as_recorded(child_id, recorded_by)
