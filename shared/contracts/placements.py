"""What the placements service tells others: its published language, version 1.

Minimised to what a consumer may see: that a child is placed, moved or placed
for adoption, when, in what kind of placement and why; never where the child
lives (no postcodes, distance, carer or URN). `placement_id` ties a start, a
move and an end together. See docs/adr/0010-published-language-minimised.md.
"""

from __future__ import annotations

from typing import ClassVar

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
