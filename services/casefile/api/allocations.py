"""Who is responsible for the child: the allocated social worker and team, and the IRO."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from services.casefile.api.commands import execute
from services.casefile.api.dependencies import Api, IdempotencyKey, IfMatch
from services.casefile.api.models import CASE_RESPONSES, Command, CommandResult, PersonId, code
from services.casefile.api.policy import allowed
from services.casefile.domain.values import SocialWorkerChangeReason
from shared.auth.tokens import Principal

router = APIRouter(tags=["allocations"], responses=CASE_RESPONSES)


class AllocateSocialWorker(Command):
    effective_date: date
    social_worker_id: PersonId
    team: PersonId
    reason: str | None = code(
        {reason.value: reason.name for reason in SocialWorkerChangeReason},
        "SSDA903 SW_REASON; required when the worker changes",
        default=None,
    )


class AppointIro(Command):
    effective_date: date
    iro_id: PersonId


@router.post("/children/{child_id}/social-worker", response_model=CommandResult)
def allocate_social_worker(
    child_id: UUID,
    body: AllocateSocialWorker,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("social-worker.allocate")),
) -> JSONResponse:
    def run() -> CommandResult:
        version = api.casefile.allocate_social_worker(
            child_id,
            effective_date=body.effective_date,
            social_worker_id=body.social_worker_id,
            team=body.team,
            reason=body.reason,
            expected_version=expected,
        )
        return CommandResult(child_id=child_id, version=version)

    return execute(api, request, principal, key, body, run)


@router.post("/children/{child_id}/iro", response_model=CommandResult)
def appoint_iro(
    child_id: UUID,
    body: AppointIro,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("iro.appoint")),
) -> JSONResponse:
    def run() -> CommandResult:
        version = api.casefile.appoint_iro(
            child_id,
            effective_date=body.effective_date,
            iro_id=body.iro_id,
            expected_version=expected,
        )
        return CommandResult(child_id=child_id, version=version)

    return execute(api, request, principal, key, body, run)
