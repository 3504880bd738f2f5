"""Response models of the placements reads: the OpenAPI document is the contract.

The request models are the commands (`domain/commands.py`).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, Field

from services.placements.domain.stability import (
    NO_SCHOOL_MOVES_SOURCE,
    ChildStability,
    CouncilStability,
    Indicator,
)


class PlacementOut(BaseModel):
    placement_id: UUID
    start_date: date
    end_date: date | None
    placement_type: str
    placement_provider: str | None
    urn: str | None
    postcode: str | None
    home_postcode: str | None
    inside_council_area: bool | None
    distance_from_home_miles: float | None
    carer_id: str | None
    short_break: bool = Field(
        description="As recorded; decides nothing (deprecated). Short breaks are legal status "
        "V3/V4 (DfE, SSDA903), read from casefile",
        json_schema_extra={"deprecated": True},
    )
    reason_place_change: str | None = Field(
        description="Why the child moved on from this placement, when a move ended it"
    )


class StayingPutOut(BaseModel):
    placement_id: UUID
    start_date: date


class PlacementHistoryOut(BaseModel):
    child_id: UUID
    version: int
    current_placement_id: UUID | None
    placements: list[PlacementOut]
    staying_put: StayingPutOut | None


class IndicatorOut(BaseModel):
    """A share of a cohort, with the counts behind it so anyone can check the arithmetic."""

    numerator: int
    denominator: int
    percentage: float | None = Field(
        description="100 x numerator / denominator, one decimal place; null for an empty cohort"
    )

    @classmethod
    def of(cls, indicator: Indicator) -> IndicatorOut:
        return cls(
            numerator=indicator.numerator,
            denominator=indicator.denominator,
            percentage=indicator.percentage,
        )


class StabilityIndexOut(BaseModel):
    """Children's Commissioner's Stability Index: share of the cohort with one or more of each.

    A measure with no data source is null, and `unavailable` gives the reason.
    """

    placement_moves: IndicatorOut
    school_moves: IndicatorOut | None = Field(
        description="Mid-year school moves; the cohort is the children of school age "
        "(Years 1-11). Null while nothing feeds it (see unavailable.school_moves)"
    )
    social_worker_changes: IndicatorOut
    unavailable: dict[str, str] = Field(
        default_factory=dict,
        description="Why each null measure is null, by measure name (e.g. no data source)",
    )


class CouncilStabilityOut(BaseModel):
    as_of: date
    short_term: IndicatorOut = Field(
        description="DfE: children looked after on as_of with 3+ placements in the 12 months"
    )
    long_term: IndicatorOut = Field(
        description="DfE: under-16s looked after 2.5+ years, in the same placement 2+ years"
    )
    stability_index: StabilityIndexOut

    @classmethod
    def of(cls, council: CouncilStability) -> CouncilStabilityOut:
        index = council.stability_index
        return cls(
            as_of=council.as_of,
            short_term=IndicatorOut.of(council.short_term),
            long_term=IndicatorOut.of(council.long_term),
            stability_index=StabilityIndexOut(
                placement_moves=IndicatorOut.of(index.placement_moves),
                school_moves=(
                    IndicatorOut.of(index.school_moves) if index.school_moves is not None else None
                ),
                social_worker_changes=IndicatorOut.of(index.social_worker_changes),
                unavailable=dict(index.unavailable),
            ),
        )


class StabilityTrendOut(BaseModel):
    """Every measure as of the last day of each month, for the Corporate Parenting Board."""

    months: list[CouncilStabilityOut]


class CountedPlacementOut(BaseModel):
    """A placement as the stability rules count it (one stay with one carer)."""

    placement_ids: list[str] = Field(description="The recorded placements it joins")
    start_date: date
    end_date: date | None
    began_with_move: bool


class ChildStabilityOut(BaseModel):
    child_id: str
    as_of: date
    age: int
    looked_after: bool
    legal_status: str | None = Field(description="SSDA903 LS on as_of, if looked after")
    looked_after_since: date | None
    in_cohort: bool = Field(
        description="Counted in the council's cohorts on as_of: looked after and not under "
        "short breaks (legal status V3/V4)"
    )
    placement_count: int = Field(description="Placements in the 12 months up to as_of")
    placements: list[CountedPlacementOut]
    move_count: int = Field(description="Placement moves in the 12 months up to as_of")
    moves: list[date]
    current_placement_id: str | None
    days_in_current_placement: int | None
    social_worker_changes: list[date]
    mid_year_school_moves: list[date] | None = Field(
        description="Null while nothing feeds school moves (see unavailable)"
    )
    unavailable: dict[str, str] = Field(
        default_factory=dict, description="Why each null figure is null, by field name"
    )
    long_term_cohort: bool
    long_term_stable: bool

    @classmethod
    def of(cls, child: ChildStability) -> ChildStabilityOut:
        return cls(
            child_id=str(child.child_id),
            as_of=child.as_of,
            age=child.age,
            looked_after=child.looked_after,
            legal_status=child.legal_status,
            looked_after_since=child.looked_after_since,
            in_cohort=child.in_cohort,
            placement_count=child.placement_count,
            placements=[
                CountedPlacementOut(
                    placement_ids=[str(i) for i in p.placement_ids],
                    start_date=p.start,
                    end_date=p.end,
                    began_with_move=p.began_with_move,
                )
                for p in child.placements
            ],
            move_count=child.move_count,
            moves=list(child.moves),
            current_placement_id=(
                str(child.current_placement_id) if child.current_placement_id else None
            ),
            days_in_current_placement=child.days_in_current_placement,
            social_worker_changes=list(child.social_worker_changes),
            mid_year_school_moves=(
                None if child.mid_year_school_moves is None else list(child.mid_year_school_moves)
            ),
            unavailable=(
                {"mid_year_school_moves": NO_SCHOOL_MOVES_SOURCE}
                if child.mid_year_school_moves is None
                else {}
            ),
            long_term_cohort=child.long_term_cohort,
            long_term_stable=child.long_term_stable,
        )
