"""The commands a child's placement history accepts: each names the `PlacementHistory` method.

Shapes are checked here (types, patterns, unknown fields); SSDA903 codes and
every rule that needs the child's history are checked by the domain. Either
way bad input is a 422 naming the field, and nothing is recorded.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.placements.domain.corrections import CORRECTION_REASONS, NOTE_MAX
from services.placements.domain.model import PlacementSetting
from shared.commands import Command, not_blank_in_document
from shared.dates import Day
from shared.ssda903 import codes

# Documented as the code lists' enums (as `shared.commands.code` does), checked
# by the domain, whose 422 names the list a code is missing from.
PlacementType = Annotated[
    str,
    Field(
        pattern=r"^[A-Z][0-9A-Z]{1,2}$",
        description="SSDA903 PLACE code, e.g. U1 (foster placement with relative or friend)",
        examples=["U4"],
        json_schema_extra={"enum": sorted(codes.PLACEMENT_TYPE)},
    ),
]
ReasonPlaceChange = Annotated[
    str,
    Field(
        pattern=r"^[A-Z]{4,5}$",
        description="SSDA903 REASON_PLACE_CHANGE code, e.g. CARPL (implementation of care plan)",
        examples=["CARPL"],
        json_schema_extra={"enum": sorted(codes.REASON_PLACE_CHANGE)},
    ),
]
Postcode = Annotated[str, Field(min_length=2, max_length=10, examples=["AB1 2CD"])]
_SETTING = (
    "placement_provider",
    "urn",
    "postcode",
    "home_postcode",
    "inside_council_area",
    "distance_from_home_miles",
    "carer_id",
)


class SettingFields(BaseModel):
    """Where and with whom the child is placed (SSDA903 Episodes fields besides PLACE)."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=not_blank_in_document
    )

    placement_provider: Annotated[
        str | None, Field(pattern=r"^PR[0-5]$", description="SSDA903 PLACE_PROVIDER")
    ] = None
    urn: Annotated[
        str | None, Field(min_length=1, max_length=10, description="Ofsted URN of the setting")
    ] = None
    postcode: Annotated[Postcode | None, Field(description="SSDA903 PL_POST")] = None
    home_postcode: Annotated[Postcode | None, Field(description="SSDA903 HOME_POST")] = None
    inside_council_area: Annotated[
        bool | None, Field(description="SSDA903 PL_LOCATION: IN (true) or OUT (false)")
    ] = None
    distance_from_home_miles: Annotated[
        float | None, Field(ge=0, le=1000, description="SSDA903 PL_DISTANCE")
    ] = None
    carer_id: Annotated[
        str | None,
        Field(
            min_length=1,
            max_length=100,
            pattern=r"^[\x21-\x7e]+$",
            description="Opaque reference to the carer household or setting; how stability "
            "tells a move to new carers from a change with the same carers. Required (422 "
            "naming body.carer_id) wherever that decides a count: every move to a placement "
            "that is not temporary (T0-T4), and a placement after another in the same period "
            "of care; optional only for the first placement of a period",
        ),
    ] = None

    def setting(self) -> PlacementSetting:
        return PlacementSetting(
            provider=self.placement_provider,
            urn=self.urn,
            postcode=self.postcode,
            home_postcode=self.home_postcode,
            inside_council_area=self.inside_council_area,
            distance_from_home_miles=self.distance_from_home_miles,
            carer_id=self.carer_id,
        )


class _PlacedCommand(Command, SettingFields):
    """A command whose flat setting fields become the domain's `PlacementSetting`."""

    def arguments(self) -> dict[str, Any]:
        own = {k: v for k, v in super().arguments().items() if k not in _SETTING}
        return {**own, "setting": self.setting()}


class StartPlacement(_PlacedCommand):
    """The child starts living in a placement (not a move): the first of a period of care."""

    handler: ClassVar[str] = "start_placement"
    creates: ClassVar[str | None] = "placement_id"

    placement_id: UUID | None = Field(
        default=None, description="Choose the new placement's id; derived from the key if omitted"
    )
    effective_date: Day = Field(description="The day the child started living there")
    placement_type: PlacementType
    short_break: bool = Field(
        default=False,
        description="Deprecated: recorded as given, decides nothing. Short breaks are legal "
        "status V3/V4 (DfE, SSDA903), which casefile records",
        json_schema_extra={"deprecated": True},
    )


class MovePlacement(_PlacedCommand):
    """The child moves from the placement in the path to a new one, on `effective_date`."""

    handler: ClassVar[str] = "change_placement"
    creates: ClassVar[str | None] = "new_placement_id"
    path_names: ClassVar[dict[str, str]] = {"placement_id": "from_placement_id"}

    new_placement_id: UUID | None = Field(
        default=None, description="Choose the new placement's id; derived from the key if omitted"
    )
    effective_date: Day = Field(description="The day of the move")
    placement_type: PlacementType
    reason_place_change: ReasonPlaceChange | None = Field(
        default=None,
        description="Required, except for moves into or out of a temporary placement (T0-T4)",
    )
    short_break: bool = Field(
        default=False,
        description="Deprecated: recorded as given, decides nothing (legal status V3/V4 does)",
        json_schema_extra={"deprecated": True},
    )


class EndPlacement(Command):
    """The placement in the path ends without a move (usually: the child leaves care)."""

    handler: ClassVar[str] = "end_placement"

    effective_date: Day = Field(description="The day the child left the placement")


class PlaceForAdoption(Command):
    """The child is placed for adoption from the placement in the path.

    A3/A5: with the current foster carers (give no `adopters`); A4/A6: with new
    adopters (give them).
    """

    handler: ClassVar[str] = "record_placed_for_adoption"
    creates: ClassVar[str | None] = "new_placement_id"
    path_names: ClassVar[dict[str, str]] = {"placement_id": "from_placement_id"}
    locations: ClassVar[dict[str, str]] = {name: f"body.adopters.{name}" for name in _SETTING}

    new_placement_id: UUID | None = None
    effective_date: Day
    placement_type: Annotated[str, Field(pattern=r"^A[3-6]$", examples=["A5"])]
    reason_place_change: ReasonPlaceChange | None = Field(
        default=None, description="Defaults to PLACE with the same carers, CARPL with new ones"
    )
    adopters: SettingFields | None = None

    def arguments(self) -> dict[str, Any]:
        adopters = self.adopters.setting() if self.adopters else None
        return {**super().arguments(), "adopters": adopters}


class StartStayingPut(Command):
    """The young person stays on with the foster carers of the placement in the path after 18."""

    handler: ClassVar[str] = "record_staying_put"

    effective_date: Day = Field(description="The day the period of care ended")


# --------------------------------------------------------------- corrections
# Late corrections (domain/corrections.py): each says why, as a code and an
# optional bounded note; who and when are in the audit envelope.

CorrectionReason = Annotated[
    str,
    Field(
        min_length=1,
        max_length=20,
        description="Why the record is corrected (a code, so corrections can be counted)",
        examples=["LATE"],
        json_schema_extra={"enum": list(CORRECTION_REASONS)},
    ),
]
CorrectionNote = Annotated[
    str | None,
    Field(default=None, min_length=1, max_length=NOTE_MAX, description="Why, in words"),
]


_AMENDABLE = ("start_date", "end_date", "placement_type", "carer_id")


def _documented_amendment(schema: dict[str, Any]) -> None:
    """The document says what `_something` checks: at least one amendable field, not null."""
    schema["anyOf"] = [
        {"required": [name], "properties": {name: {"not": {"type": "null"}}}} for name in _AMENDABLE
    ]
    not_blank_in_document(schema)  # as every command's document says


class AmendPlacement(Command):
    """Correct the placement in the path: its dates, type or carer (give at least one)."""

    model_config = ConfigDict(json_schema_extra=_documented_amendment)

    handler: ClassVar[str] = "amend_placement"

    reason: CorrectionReason
    note: CorrectionNote = None
    start_date: Day | None = Field(default=None, description="The day it really started")
    end_date: Day | None = Field(default=None, description="The day it really ended")
    placement_type: PlacementType | None = None
    carer_id: Annotated[
        str | None, Field(min_length=1, max_length=100, pattern=r"^[\x21-\x7e]+$")
    ] = None

    @model_validator(mode="after")
    def _something(self) -> AmendPlacement:
        if all(getattr(self, name) is None for name in _AMENDABLE):
            raise ValueError("give at least one of start_date, end_date, placement_type, carer_id")
        return self


class InsertPlacement(_PlacedCommand):
    """Enter a placement missed at the time, between two recorded ones (or in a gap)."""

    handler: ClassVar[str] = "insert_placement"
    creates: ClassVar[str | None] = "placement_id"

    placement_id: UUID | None = Field(
        default=None, description="Choose the new placement's id; derived from the key if omitted"
    )
    start_date: Day = Field(description="The day the child started living there")
    end_date: Day = Field(description="The day the child left (the next placement starts)")
    placement_type: PlacementType
    short_break: bool = False
    reason_place_change: ReasonPlaceChange | None = Field(
        default=None, description="SSDA903 REASON_PLACE_CHANGE of the move that ended it"
    )
    reason: CorrectionReason
    note: CorrectionNote = None


class VoidPlacement(Command):
    """The placement in the path was recorded in error: take it out of the history."""

    handler: ClassVar[str] = "void_placement"

    reason: CorrectionReason
    note: CorrectionNote = None
