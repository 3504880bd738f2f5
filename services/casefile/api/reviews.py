"""Looked-after reviews: scheduled, then held and chaired by the IRO (CPPCR 2010 Part 6)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field, StrictBool

from services.casefile.api.commands import derived_id, execute
from services.casefile.api.dependencies import Api, IdempotencyKey, IfMatch
from services.casefile.api.models import (
    CASE_RESPONSES,
    Command,
    CommandResult,
    Note,
    PersonId,
    code,
)
from services.casefile.api.policy import allowed
from shared.auth.tokens import Principal
from shared.ssda903 import codes

router = APIRouter(tags=["reviews"], responses=CASE_RESPONSES)


class ScheduleReview(Command):
    review_id: UUID | None = Field(default=None, description="Default: derived from the key")
    scheduled_date: date
    effective_date: date | None = Field(default=None, description="When it was set; default today")


class RecordReview(Command):
    review_date: date
    iro_id: PersonId | None = Field(default=None, description="The chair; default: the caller")
    participation: str = code(codes.REVIEW_PARTICIPATION, "SSDA903 REVIEW_CODE")
    child_views_recorded: StrictBool
    note: Note | None = None


@router.post("/children/{child_id}/reviews", status_code=201, response_model=CommandResult)
def schedule_review(
    child_id: UUID,
    body: ScheduleReview,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("review.schedule")),
) -> JSONResponse:
    review_id = body.review_id or derived_id(child_id, principal, key, "review")

    def run() -> CommandResult:
        version = api.casefile.schedule_review(
            child_id,
            review_id=review_id,
            scheduled_date=body.scheduled_date,
            effective_date=body.effective_date,
            expected_version=expected,
        )
        return CommandResult(child_id=child_id, version=version, id=review_id)

    return execute(
        api,
        request,
        principal,
        key,
        body,
        run,
        status_code=201,
        location=f"/v1/children/{child_id}/reviews/{review_id}",
    )


@router.post("/children/{child_id}/reviews/{review_id}/held", response_model=CommandResult)
def record_review(
    child_id: UUID,
    review_id: UUID,
    body: RecordReview,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("review.record")),
) -> JSONResponse:
    def run() -> CommandResult:
        version = api.casefile.record_review(
            child_id,
            review_id=review_id,
            review_date=body.review_date,
            iro_id=body.iro_id or principal.user_id,
            participation=body.participation,
            child_views_recorded=body.child_views_recorded,
            note=body.note,
            expected_version=expected,
        )
        return CommandResult(child_id=child_id, version=version, id=review_id)

    return execute(api, request, principal, key, body, run)
