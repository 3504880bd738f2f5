"""Placement commands and the placement history of one child.

Every command endpoint is the same few steps (STYLE.md rule 4): validate the
body (pydantic), authorise (role and relationship, `require`), take the
Idempotency-Key and If-Match, load the child's periods of care from the read
model casefile's events fill, call one application method, map the outcome.
They are sync `def`s because the `eventsourcing` application is synchronous:
FastAPI runs them in its threadpool.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.placements.api.errors import domain_problems, not_looked_after
from services.placements.api.models import (
    EndPlacement,
    MovePlacement,
    PlaceForAdoption,
    PlacementHistoryOut,
    PlacementOut,
    PlacementRecorded,
    StartPlacement,
    StartStayingPut,
    StayingPutOut,
)
from services.placements.api.policy import POLICY, READ, RECORD
from services.placements.api.runtime import Runtime, runtime
from services.placements.domain import PeriodOfCare, PlacementHistory
from shared.access_log import record_access
from shared.api.concurrency import etag, if_match_version, required_if_match_version
from shared.api.idempotency import idempotency_key, idempotent, request_hash
from shared.api.problems import Problem
from shared.auth.dependencies import require
from shared.auth.tokens import Principal

router = APIRouter(tags=["placements"])

ChildId = Annotated[UUID, Path(description="The child's id, as the casefile service gave it")]
PlacementId = Annotated[UUID, Path(description="The placement this change starts from")]

_COMMAND_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such placement in the child's history"},
    409: {"model": Problem, "description": "A concurrent change; read again and retry"},
    412: {"model": Problem, "description": "If-Match names a version that is not current"},
    428: {"model": Problem, "description": "If-Match is required for this change"},
}
_SETTING_IN_ADOPTERS = {
    name: f"body.adopters.{name}"
    for name in (
        "placement_provider",
        "urn",
        "postcode",
        "home_postcode",
        "distance_from_home_miles",
    )
}

Recorder = Annotated[Principal, Depends(require(RECORD, POLICY))]
Reader = Annotated[Principal, Depends(require(READ, POLICY))]
Key = Annotated[str, Depends(idempotency_key)]


def _periods(service: Runtime, child_id: UUID, day: date) -> list[PeriodOfCare]:
    """The child's periods of care; a 422 naming the date if casefile has told us of none."""
    periods = service.read_models.periods_of_care(child_id)
    if not periods:
        raise not_looked_after(day)
    return periods


def _respond(
    request: Request,
    service: Runtime,
    principal: Principal,
    key: str,
    body: BaseModel,
    work: Callable[[], PlacementRecorded],
    status_code: int = 200,
) -> JSONResponse:
    """Run `work` once per Idempotency-Key; answer (and re-answer) with its result."""

    def once() -> tuple[int, Any]:
        return status_code, work().model_dump(mode="json")

    status, payload = idempotent(
        service.idempotency,
        key,
        principal.user_id,
        request_hash(request.method, request.url.path, body),
        once,
    )
    recorded = PlacementRecorded.model_validate(payload)
    headers = {"ETag": etag(recorded.version)}
    if status == 201:
        # The history the new placement is now part of (placements have no URL of their own).
        headers["Location"] = request.url.path
    return JSONResponse(payload, status_code=status, headers=headers)


@router.post(
    "/children/{child_id}/placements",
    status_code=201,
    response_model=PlacementRecorded,
    responses=_COMMAND_RESPONSES,
    summary="The child starts living in a placement (first placement of a period of care)",
)
def start_placement(
    child_id: ChildId,
    body: StartPlacement,
    request: Request,
    principal: Recorder,
    key: Key,
    expected: Annotated[int | None, Depends(if_match_version)],
    service: Annotated[Runtime, Depends(runtime)],
) -> JSONResponse:
    def work() -> PlacementRecorded:
        periods = _periods(service, child_id, body.effective_date)
        placement_id = body.placement_id or uuid4()
        with domain_problems():
            version = service.placements.start_placement(
                child_id,
                periods,
                effective_date=body.effective_date,
                placement_type=body.placement_type,
                setting=body.setting(),
                short_break=body.short_break,
                placement_id=placement_id,
                expected_version=expected,
            )
        return PlacementRecorded(child_id=child_id, placement_id=placement_id, version=version)

    return _respond(request, service, principal, key, body, work, status_code=201)


@router.post(
    "/children/{child_id}/placements/{placement_id}/move",
    response_model=PlacementRecorded,
    responses=_COMMAND_RESPONSES,
    summary="The child moves from this placement to a new one (a change of placement)",
)
def move(
    child_id: ChildId,
    placement_id: PlacementId,
    body: MovePlacement,
    request: Request,
    principal: Recorder,
    key: Key,
    expected: Annotated[int, Depends(required_if_match_version)],
    service: Annotated[Runtime, Depends(runtime)],
) -> JSONResponse:
    def work() -> PlacementRecorded:
        periods = _periods(service, child_id, body.effective_date)
        new_id = body.new_placement_id or uuid4()
        with domain_problems(frozenset({"placement_id"}), new_placement_field="new_placement_id"):
            version = service.placements.change_placement(
                child_id,
                periods,
                effective_date=body.effective_date,
                placement_type=body.placement_type,
                reason_place_change=body.reason_place_change,
                setting=body.setting(),
                short_break=body.short_break,
                placement_id=new_id,
                from_placement_id=placement_id,
                expected_version=expected,
            )
        return PlacementRecorded(child_id=child_id, placement_id=new_id, version=version)

    return _respond(request, service, principal, key, body, work)


@router.post(
    "/children/{child_id}/placements/{placement_id}/end",
    response_model=PlacementRecorded,
    responses=_COMMAND_RESPONSES,
    summary="This placement ends without a move (usually: the child leaves care)",
)
def end(
    child_id: ChildId,
    placement_id: PlacementId,
    body: EndPlacement,
    request: Request,
    principal: Recorder,
    key: Key,
    expected: Annotated[int, Depends(required_if_match_version)],
    service: Annotated[Runtime, Depends(runtime)],
) -> JSONResponse:
    def work() -> PlacementRecorded:
        periods = _periods(service, child_id, body.effective_date)
        with domain_problems(frozenset({"placement_id"})):
            version = service.placements.end_placement(
                child_id,
                periods,
                placement_id=placement_id,
                effective_date=body.effective_date,
                expected_version=expected,
            )
        return PlacementRecorded(child_id=child_id, placement_id=placement_id, version=version)

    return _respond(request, service, principal, key, body, work)


@router.post(
    "/children/{child_id}/placements/{placement_id}/placed-for-adoption",
    response_model=PlacementRecorded,
    responses=_COMMAND_RESPONSES,
    summary="The child is placed for adoption from this placement (SSDA903 A3-A6)",
)
def placed_for_adoption(
    child_id: ChildId,
    placement_id: PlacementId,
    body: PlaceForAdoption,
    request: Request,
    principal: Recorder,
    key: Key,
    expected: Annotated[int, Depends(required_if_match_version)],
    service: Annotated[Runtime, Depends(runtime)],
) -> JSONResponse:
    def work() -> PlacementRecorded:
        periods = _periods(service, child_id, body.effective_date)
        new_id = body.new_placement_id or uuid4()
        with domain_problems(
            frozenset({"placement_id"}),
            new_placement_field="new_placement_id",
            renamed=_SETTING_IN_ADOPTERS,
        ):
            version = service.placements.record_placed_for_adoption(
                child_id,
                periods,
                effective_date=body.effective_date,
                placement_type=body.placement_type,
                adopters=body.adopters.setting() if body.adopters else None,
                reason_place_change=body.reason_place_change,
                placement_id=new_id,
                from_placement_id=placement_id,
                expected_version=expected,
            )
        return PlacementRecorded(child_id=child_id, placement_id=new_id, version=version)

    return _respond(request, service, principal, key, body, work)


@router.post(
    "/children/{child_id}/placements/{placement_id}/staying-put",
    response_model=PlacementRecorded,
    responses=_COMMAND_RESPONSES,
    summary="The young person stays with this placement's foster carers after 18",
)
def staying_put(
    child_id: ChildId,
    placement_id: PlacementId,
    body: StartStayingPut,
    request: Request,
    principal: Recorder,
    key: Key,
    expected: Annotated[int, Depends(required_if_match_version)],
    service: Annotated[Runtime, Depends(runtime)],
) -> JSONResponse:
    def work() -> PlacementRecorded:
        periods = _periods(service, child_id, body.effective_date)
        with domain_problems(frozenset({"placement_id"})):
            version = service.placements.record_staying_put(
                child_id,
                periods,
                effective_date=body.effective_date,
                placement_id=placement_id,
                expected_version=expected,
            )
        return PlacementRecorded(child_id=child_id, placement_id=placement_id, version=version)

    return _respond(request, service, principal, key, body, work)


@router.get(
    "/children/{child_id}/placements",
    response_model=PlacementHistoryOut,
    responses={404: {"model": Problem, "description": "No placement was ever recorded"}},
    summary="The child's placement history (the read is recorded in the access log)",
)
def history(
    child_id: ChildId,
    principal: Reader,
    service: Annotated[Runtime, Depends(runtime)],
) -> JSONResponse:
    with domain_problems():
        found = service.placements.get_history(child_id)
    record_access(service.placements, str(child_id), "placements.history")
    body = _history_out(found).model_dump(mode="json")
    return JSONResponse(body, headers={"ETag": etag(found.version)})


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
