"""The placements domain events out, as the published language (shared/contracts/placements.py).

`translate` is what the shared `IntegrationRelay` calls for each stored event,
in stream order; it decides what other services and council systems see. Each
domain event that records a placement fact gives one integration event,
minimised as the contract module says (no postcodes, carers or URNs). The
`Opened` event of a history and the access log's `RecordRead` give nothing:
they are bookkeeping, not facts about the child's placements.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.placements.domain import events
from services.placements.domain.model import WITH_CURRENT_FOSTER_CARERS
from shared.contracts import placements as contract
from shared.contracts.base import IntegrationEvent


def translate(domain_event: Any, headers: dict[str, str]) -> Sequence[IntegrationEvent]:
    """Zero or one integration event for one stored domain event."""
    e = domain_event
    child_id = str(getattr(e, "child_id", ""))
    if isinstance(e, events.PlacementStarted):
        return [
            contract.PlacementStarted(
                child_id=child_id,
                effective_date=e.effective_date,
                placement_id=str(e.placement_id),
                placement_type=e.placement_type,
                placement_provider=e.provider,
                inside_council_area=e.inside_council_area,
                short_break=e.short_break,
            )
        ]
    if isinstance(e, events.PlacementChanged):
        return [
            contract.PlacementChanged(
                child_id=child_id,
                effective_date=e.effective_date,
                from_placement_id=str(e.from_placement_id),
                placement_id=str(e.placement_id),
                placement_type=e.placement_type,
                placement_provider=e.provider,
                inside_council_area=e.inside_council_area,
                short_break=e.short_break,
                reason_place_change=e.reason_place_change,
            )
        ]
    if isinstance(e, events.PlacedForAdoption):
        return [
            contract.PlacedForAdoption(
                child_id=child_id,
                effective_date=e.effective_date,
                from_placement_id=str(e.from_placement_id),
                placement_id=str(e.placement_id),
                placement_type=e.placement_type,
                with_current_carers=e.placement_type in WITH_CURRENT_FOSTER_CARERS,
                reason_place_change=e.reason_place_change,
            )
        ]
    if isinstance(e, events.PlacementEnded):
        return [
            contract.PlacementEnded(
                child_id=child_id,
                effective_date=e.effective_date,
                placement_id=str(e.placement_id),
            )
        ]
    if isinstance(e, events.StayingPutStarted):
        return [
            contract.StayingPutStarted(
                child_id=child_id,
                effective_date=e.effective_date,
                placement_id=str(e.placement_id),
            )
        ]
    if isinstance(e, events.PlacementAmended | events.PlacementInserted | events.PlacementVoided):
        kind = {
            events.PlacementAmended: contract.PlacementAmended,
            events.PlacementInserted: contract.PlacementInserted,
            events.PlacementVoided: contract.PlacementVoided,
        }[type(e)]
        return [
            kind(
                child_id=child_id,
                effective_date=e.effective_date,
                placement_id=str(e.placement_id),
                reason=e.reason,
                placements=tuple(
                    contract.PlacementDates(
                        placement_id=span["placement_id"],
                        start_date=span["start"],
                        end_date=span["end"],
                        placement_type=span["placement_type"],
                    )
                    for span in e.spans
                ),
            )
        ]
    return []
