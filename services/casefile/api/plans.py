"""Plans: the care plan, the permanence plan and (for care leavers) the pathway plan."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from services.casefile.api.commands import execute
from services.casefile.api.dependencies import Api, IdempotencyKey, IfMatch
from services.casefile.api.models import CASE_RESPONSES, Command, CommandResult, Note, code
from services.casefile.api.policy import allowed
from services.casefile.domain.values import PermanencePlanType
from shared.auth.tokens import Principal

router = APIRouter(tags=["plans"], responses=CASE_RESPONSES)


class AgreePlan(Command):
    effective_date: date
    note: Note | None = None


class AgreePermanencePlan(AgreePlan):
    plan_type: str = code({t.value: t.name for t in PermanencePlanType}, "The long-term plan")


@router.post("/children/{child_id}/care-plan", response_model=CommandResult)
def agree_care_plan(
    child_id: UUID,
    body: AgreePlan,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("care-plan.agree")),
) -> JSONResponse:
    def run() -> CommandResult:
        version = api.casefile.agree_care_plan(
            child_id, effective_date=body.effective_date, note=body.note, expected_version=expected
        )
        return CommandResult(child_id=child_id, version=version)

    return execute(api, request, principal, key, body, run)


@router.post("/children/{child_id}/permanence-plan", response_model=CommandResult)
def agree_permanence_plan(
    child_id: UUID,
    body: AgreePermanencePlan,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("permanence-plan.agree")),
) -> JSONResponse:
    def run() -> CommandResult:
        version = api.casefile.agree_permanence_plan(
            child_id,
            effective_date=body.effective_date,
            plan_type=body.plan_type,
            note=body.note,
            expected_version=expected,
        )
        return CommandResult(child_id=child_id, version=version)

    return execute(api, request, principal, key, body, run)


@router.post("/children/{child_id}/pathway-plan", response_model=CommandResult)
def agree_pathway_plan(
    child_id: UUID,
    body: AgreePlan,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("pathway-plan.agree")),
) -> JSONResponse:
    def run() -> CommandResult:
        version = api.casefile.agree_pathway_plan(
            child_id, effective_date=body.effective_date, note=body.note, expected_version=expected
        )
        return CommandResult(child_id=child_id, version=version)

    return execute(api, request, principal, key, body, run)


@router.post("/children/{child_id}/pathway-plan/reviews", response_model=CommandResult)
def review_pathway_plan(
    child_id: UUID,
    body: AgreePlan,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("pathway-plan.review")),
) -> JSONResponse:
    def run() -> CommandResult:
        version = api.casefile.review_pathway_plan(
            child_id, effective_date=body.effective_date, note=body.note, expected_version=expected
        )
        return CommandResult(child_id=child_id, version=version)

    return execute(api, request, principal, key, body, run)
