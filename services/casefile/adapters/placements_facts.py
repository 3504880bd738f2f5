"""What casefile learns from placements: the day a child was placed for adoption.

Placing a child with prospective adopters is a placement (SSDA903 PLACE
A3-A6), recorded once, in placements. Casefile's adoption timeline needs its
date (the adoption scorecard counts the days from the decision to the
placement), so it follows `placement.placed-for-adoption.v1` into the
milestone (shared/followers.py). A placing the timeline cannot take (no
decision to place for adoption recorded yet) is kept, with the rule it broke.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from services.casefile.domain.commands import RecordPlacedForAdoption
from shared.commands import Command
from shared.contracts import placements as contract
from shared.contracts.base import IntegrationEvent
from shared.followers import Follower

#: Who the audit envelope says recorded what casefile learned from placements.
PLACEMENTS_ACTOR = "placements-service"


class PlacementsFacts(Follower):
    """Placements' placings for adoption, into the child's adoption timeline."""

    name = "casefile_placements_facts"
    owner: ClassVar[str] = contract.SERVICE
    subjects: ClassVar[str | None] = contract.PlacedForAdoption.subject()

    def commands(self, event: IntegrationEvent) -> Sequence[Command]:
        if not isinstance(event, contract.PlacedForAdoption) or event.effective_date is None:
            return []
        return [
            RecordPlacedForAdoption.model_validate(
                {"effective_date": event.effective_date.isoformat()}
            )
        ]
