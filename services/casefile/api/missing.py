"""Missing from placement (M) or away without authorisation (A): SSDA903 Missing."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field, StrictBool

from services.casefile.api.commands import derived_id, execute
from services.casefile.api.dependencies import Api, IdempotencyKey, IfMatch
from services.casefile.api.models import CASE_RESPONSES, Command, CommandResult, code
from services.casefile.api.policy import allowed
from shared.auth.tokens import Principal
from shared.ssda903 import codes

router = APIRouter(tags=["missing episodes"], responses=CASE_RESPONSES)


class StartMissingEpisode(Command):
    episode_id: UUID | None = Field(default=None, description="Default: derived from the key")
    start_date: date
    missing_type: str = code(codes.MISSING, "SSDA903 MISSING: M missing, A away")


class EndMissingEpisode(Command):
    end_date: date
    return_interview_offered: StrictBool
    return_interview_accepted: StrictBool


@router.post("/children/{child_id}/missing-episodes", status_code=201, response_model=CommandResult)
def start_missing_episode(
    child_id: UUID,
    body: StartMissingEpisode,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("missing.record")),
) -> JSONResponse:
    episode_id = body.episode_id or derived_id(child_id, principal, key, "missing-episode")

    def run() -> CommandResult:
        version = api.casefile.record_missing_episode_start(
            child_id,
            episode_id=episode_id,
            start_date=body.start_date,
            missing_type=body.missing_type,
            expected_version=expected,
        )
        return CommandResult(child_id=child_id, version=version, id=episode_id)

    return execute(
        api,
        request,
        principal,
        key,
        body,
        run,
        status_code=201,
        location=f"/v1/children/{child_id}/missing-episodes/{episode_id}",
    )


@router.post("/children/{child_id}/missing-episodes/{episode_id}/end", response_model=CommandResult)
def end_missing_episode(
    child_id: UUID,
    episode_id: UUID,
    body: EndMissingEpisode,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("missing.record")),
) -> JSONResponse:
    def run() -> CommandResult:
        version = api.casefile.record_missing_episode_end(
            child_id,
            episode_id=episode_id,
            end_date=body.end_date,
            return_interview_offered=body.return_interview_offered,
            return_interview_accepted=body.return_interview_accepted,
            expected_version=expected,
        )
        return CommandResult(child_id=child_id, version=version, id=episode_id)

    return execute(api, request, principal, key, body, run)
