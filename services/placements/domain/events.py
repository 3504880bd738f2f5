"""The events of a `PlacementHistory`, by name, for the code that reads them.

`@event("PlacementStarted")` makes the event class `PlacementHistory.PlacementStarted`
when the aggregate class is created, so type checkers cannot see it. The
projections and the integration relay match on these names instead; they are
the same classes, so stored topics are unchanged.
"""

from __future__ import annotations

from typing import Any

from services.placements.domain import corrections
from services.placements.domain.model import PlacementHistory

Opened: type[Any] = PlacementHistory.Opened  # type: ignore[attr-defined]
PlacementStarted: type[Any] = PlacementHistory.PlacementStarted  # type: ignore[attr-defined]
PlacementChanged: type[Any] = PlacementHistory.PlacementChanged  # type: ignore[attr-defined]
PlacementEnded: type[Any] = PlacementHistory.PlacementEnded  # type: ignore[attr-defined]
PlacedForAdoption: type[Any] = PlacementHistory.PlacedForAdoption  # type: ignore[attr-defined]
StayingPutStarted: type[Any] = PlacementHistory.StayingPutStarted  # type: ignore[attr-defined]

# Late corrections (domain/corrections.py): event classes of their own, not `@event` methods.
PlacementAmended: type[Any] = corrections.PlacementAmended
PlacementInserted: type[Any] = corrections.PlacementInserted
PlacementVoided: type[Any] = corrections.PlacementVoided
