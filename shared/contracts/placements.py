"""What the placements service tells others: its published language, version 1.

Minimised to what a consumer may see: that a child is placed, moved or placed
for adoption, when, in what kind of placement and why; never where the child
lives (no postcodes, distance, carer or URN). `placement_id` ties a start, a
move and an end together. See docs/adr/0010-published-language-minimised.md.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.contracts.base import IntegrationEvent

SERVICE = "placements"


class PlacementsEvent(IntegrationEvent):
    service: ClassVar[str] = SERVICE


class PlacementStarted(PlacementsEvent):
    """The child started living in a placement, not as a move (first of a period of care)."""

    event_type: ClassVar[str] = "placement.started.v1"

    placement_id: str
    placement_type: str
    placement_provider: str | None = None
    inside_council_area: bool | None = None
    short_break: bool = False


class PlacementChanged(PlacementsEvent):
    """The child moved from one placement to another on `effective_date`."""

    event_type: ClassVar[str] = "placement.changed.v1"

    from_placement_id: str
    placement_id: str
    placement_type: str
    placement_provider: str | None = None
    inside_council_area: bool | None = None
    short_break: bool = False
    #: SSDA903 REASON_PLACE_CHANGE; none for moves into or out of a temporary placement.
    reason_place_change: str | None = None


class PlacedForAdoption(PlacementsEvent):
    """The child was placed for adoption (SSDA903 PLACE A3-A6)."""

    event_type: ClassVar[str] = "placement.placed-for-adoption.v1"

    from_placement_id: str
    placement_id: str
    placement_type: str
    #: A3/A5: with the current foster carers; A4/A6: with new adopters.
    with_current_carers: bool
    reason_place_change: str


class PlacementEnded(PlacementsEvent):
    """The placement ended without a move to another (usually: the child left care)."""

    event_type: ClassVar[str] = "placement.ended.v1"

    placement_id: str


class StayingPutStarted(PlacementsEvent):
    """A care leaver stays on with their former foster carers after 18 (not a placement)."""

    event_type: ClassVar[str] = "staying-put.started.v1"

    placement_id: str


# ------------------------------------------------------------------ corrections
# Late corrections (docs/adr/0018-corrections-and-recorded-time.md): new types,
# so a consumer of v1 facts that does not know them is not misled; each says
# which placements now run when, and why the record was corrected (a code; the
# note stays in the placements service).


class PlacementDates(BaseModel):
    """A placement's days after a correction (half-open: `start_date <= day < end_date`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    placement_id: str
    start_date: date
    end_date: date | None = None
    placement_type: str


class PlacementCorrected(PlacementsEvent):
    """Base of the corrections: `effective_date` is the first day the correction changes."""

    placement_id: str
    #: Why: a code of `services.placements.domain.corrections.CORRECTION_REASONS`.
    reason: str
    #: Every placement the correction changed or added, as it now runs.
    placements: tuple[PlacementDates, ...] = ()


class PlacementAmended(PlacementCorrected):
    """A placement's dates, type or carer were corrected (and a neighbour's joining day)."""

    event_type: ClassVar[str] = "placement.amended.v1"


class PlacementInserted(PlacementCorrected):
    """A placement missed at the time was entered late; its neighbours were trimmed to fit."""

    event_type: ClassVar[str] = "placement.inserted.v1"


class PlacementVoided(PlacementCorrected):
    """`placement_id` was recorded in error and is no longer a placement of the child."""

    event_type: ClassVar[str] = "placement.voided.v1"
