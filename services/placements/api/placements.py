"""Placement commands (one route entry each) and the placement history of one child."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.placements.adapters.event_history import PlacementHistoryEntry, of_history
from services.placements.api.models import PlacementHistoryOut, PlacementOut, StayingPutOut
from services.placements.api.policy import POLICY, READ, RECORD
from services.placements.api.runtime import Runtime
from services.placements.domain import PlacementHistory
from services.placements.domain import commands as c
from shared.access_log import record_access
from shared.api.command_routes import CommandRoute, command_router
from shared.api.concurrency import etag
from shared.api.problems import Problem
from shared.auth.dependencies import require
from shared.auth.tokens import Principal

PLACEMENT = "/children/{child_id}/placements/{placement_id}"

ROUTES = (
    CommandRoute(
        "/children/{child_id}/placements",
        c.StartPlacement,
        RECORD,
        "The child starts living in a placement (first placement of a period of care)",
        status_code=201,
        location="/v1/children/{child_id}/placements",
        tag="placements",
    ),
    CommandRoute(
        f"{PLACEMENT}/move",
        c.MovePlacement,
        RECORD,
        "The child moves from this placement to a new one (a change of placement)",
        tag="placements",
    ),
    CommandRoute(
        f"{PLACEMENT}/end",
        c.EndPlacement,
        RECORD,
        "This placement ends without a move (usually: the child leaves care)",
        result_id="placement_id",
        tag="placements",
    ),
    CommandRoute(
        f"{PLACEMENT}/placed-for-adoption",
        c.PlaceForAdoption,
        RECORD,
        "The child is placed for adoption from this placement (SSDA903 A3-A6)",
        tag="placements",
    ),
    CommandRoute(
        f"{PLACEMENT}/staying-put",
        c.StartStayingPut,
        RECORD,
        "The young person stays with this placement's foster carers after 18",
        result_id="placement_id",
        tag="placements",
    ),
    # Late corrections (docs/adr/0018-corrections-and-recorded-time.md): each is an event of
    # its own, with a reason; the corrected events stay in the history.
    CommandRoute(
        "/children/{child_id}/placements/missed",
        c.InsertPlacement,
        RECORD,
        "Enter a placement missed at the time, between two recorded ones (a late correction)",
        status_code=201,
        location="/v1/children/{child_id}/placements",
        tag="corrections",
    ),
    CommandRoute(
        f"{PLACEMENT}/amend",
        c.AmendPlacement,
        RECORD,
        "Correct this placement's dates, type or carer (a late correction)",
        result_id="placement_id",
        tag="corrections",
    ),
    CommandRoute(
        f"{PLACEMENT}/void",
        c.VoidPlacement,
        RECORD,
        "This placement was recorded in error: take it out of the history (a late correction)",
        result_id="placement_id",
        tag="corrections",
    ),
)

commands = command_router(ROUTES, POLICY)
router = APIRouter(tags=["placements"])

ChildId = Annotated[UUID, Path(description="The child's id, as the casefile service gave it")]
Reader = Annotated[Principal, Depends(require(READ, POLICY))]


@router.get(
    "/children/{child_id}/placements",
    response_model=PlacementHistoryOut,
    responses={404: {"model": Problem, "description": "No placement was ever recorded"}},
    summary="The child's placement history (the read is recorded in the access log)",
)
def history(
    child_id: ChildId,
    principal: Reader,
    service: Runtime,
) -> JSONResponse:
    found = service.application.load(child_id)
    record_access(service.application, str(child_id), "placements.history")
    body = _history_out(found).model_dump(mode="json")
    return JSONResponse(body, headers={"ETag": etag(found.version)})


class EventHistoryOut(BaseModel):
    """Who recorded what about the child's placements, when and why, oldest first."""

    child_id: UUID
    chain_intact: bool = Field(description="False if any event's integrity hash fails")
    entries: list[PlacementHistoryEntry]


@router.get(
    "/children/{child_id}/history",
    response_model=EventHistoryOut,
    responses={404: {"model": Problem, "description": "No placement was ever recorded"}},
    summary="Every event of the child's placement history, corrections beside what they "
    "corrected: who, when, why (the read is recorded in the access log)",
)
def event_history(child_id: ChildId, principal: Reader, service: Runtime) -> EventHistoryOut:
    application = service.application
    found = application.load(child_id)
    entries, intact = of_history(
        application.factory,
        found.id,
        list(application.events.get(found.id)),
        keyring=getattr(application.mapper, "keyring", None),
    )
    record_access(application, str(child_id), "placements.event-history")
    return EventHistoryOut(child_id=child_id, chain_intact=intact, entries=entries)


def _history_out(history: PlacementHistory) -> PlacementHistoryOut:
    current = history.current_placement
    return PlacementHistoryOut(
        child_id=history.child_id,
        version=history.version,
        current_placement_id=current.id if current else None,
        placements=[
            PlacementOut(
                placement_id=p.id,
                start_date=p.start,
                end_date=p.end,
                placement_type=p.placement_type,
                placement_provider=p.setting.provider,
                urn=p.setting.urn,
                postcode=p.setting.postcode,
                home_postcode=p.setting.home_postcode,
                inside_council_area=p.setting.inside_council_area,
                distance_from_home_miles=p.setting.distance_from_home_miles,
                carer_id=p.setting.carer_id,
                short_break=p.short_break,
                reason_place_change=p.reason_place_change,
            )
            for p in history.placements
        ],
        staying_put=(
            StayingPutOut(
                placement_id=history.staying_put.placement_id,
                start_date=history.staying_put.start,
            )
            if history.staying_put
            else None
        ),
    )
