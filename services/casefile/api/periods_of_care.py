"""Periods of care: the child starts to be looked after, changes legal status, ceases."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from services.casefile.api.commands import derived_id, execute
from services.casefile.api.dependencies import Api, IdempotencyKey, IfMatch
from services.casefile.api.models import CASE_RESPONSES, Command, CommandResult, code
from services.casefile.api.policy import allowed
from shared.auth.tokens import Principal
from shared.ssda903 import codes

router = APIRouter(tags=["periods of care"], responses=CASE_RESPONSES)


class StartPeriodOfCare(Command):
    period_id: UUID | None = Field(default=None, description="Default: derived from the key")
    start_date: date
    legal_status: str = code(codes.LEGAL_STATUS, "SSDA903 LS on the first day")
    category_of_need: str = code(codes.CATEGORY_OF_NEED, "SSDA903 CIN")


class ChangeLegalStatus(Command):
    effective_date: date
    legal_status: str = code(codes.LEGAL_STATUS, "SSDA903 LS from this day")


class EndPeriodOfCare(Command):
    end_date: date = Field(description="The day the child ceased to be looked after (DEC)")
    reason_ceased: str = code(codes.REASON_EPISODE_CEASED, "SSDA903 REC (not X1)")


@router.post("/children/{child_id}/periods-of-care", status_code=201, response_model=CommandResult)
def start_period_of_care(
    child_id: UUID,
    body: StartPeriodOfCare,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("period.start")),
) -> JSONResponse:
    period_id = body.period_id or derived_id(child_id, principal, key, "period-of-care")

    def run() -> CommandResult:
        version = api.casefile.start_period_of_care(
            child_id,
            period_id=period_id,
            start_date=body.start_date,
            legal_status=body.legal_status,
            category_of_need=body.category_of_need,
            expected_version=expected,
        )
        return CommandResult(child_id=child_id, version=version, id=period_id)

    return execute(
        api,
        request,
        principal,
        key,
        body,
        run,
        status_code=201,
        location=f"/v1/children/{child_id}/periods-of-care/{period_id}",
    )


@router.post(
    "/children/{child_id}/periods-of-care/{period_id}/legal-status",
    response_model=CommandResult,
)
def change_legal_status(
    child_id: UUID,
    period_id: UUID,
    body: ChangeLegalStatus,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("period.change-legal-status")),
) -> JSONResponse:
    def run() -> CommandResult:
        version = api.casefile.change_legal_status(
            child_id,
            period_id=period_id,
            effective_date=body.effective_date,
            legal_status=body.legal_status,
            expected_version=expected,
        )
        return CommandResult(child_id=child_id, version=version)

    return execute(api, request, principal, key, body, run)


@router.post("/children/{child_id}/periods-of-care/{period_id}/end", response_model=CommandResult)
def end_period_of_care(
    child_id: UUID,
    period_id: UUID,
    body: EndPeriodOfCare,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("period.end")),
) -> JSONResponse:
    def run() -> CommandResult:
        version = api.casefile.end_period_of_care(
            child_id,
            period_id=period_id,
            end_date=body.end_date,
            reason_ceased=body.reason_ceased,
            expected_version=expected,
        )
        return CommandResult(child_id=child_id, version=version)

    return execute(api, request, principal, key, body, run)
