"""Statutory visits to the looked-after child (CPPCR 2010 reg. 28)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field, StrictBool

from services.casefile.api.commands import derived_id, execute
from services.casefile.api.dependencies import Api, IdempotencyKey, IfMatch
from services.casefile.api.models import CASE_RESPONSES, Command, CommandResult, Note
from services.casefile.api.policy import allowed
from shared.auth.tokens import Principal

router = APIRouter(tags=["visits"], responses=CASE_RESPONSES)


class RecordVisit(Command):
    visit_id: UUID | None = Field(default=None, description="Default: derived from the key")
    visit_date: date
    seen_alone: StrictBool
    note: Note | None = None


@router.post("/children/{child_id}/visits", status_code=201, response_model=CommandResult)
def record_visit(
    child_id: UUID,
    body: RecordVisit,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("visit.record")),
) -> JSONResponse:
    visit_id = body.visit_id or derived_id(child_id, principal, key, "visit")

    def run() -> CommandResult:
        version = api.casefile.record_visit(
            child_id,
            visit_id=visit_id,
            visit_date=body.visit_date,
            seen_alone=body.seen_alone,
            note=body.note,
            expected_version=expected,
        )
        return CommandResult(child_id=child_id, version=version, id=visit_id)

    return execute(
        api,
        request,
        principal,
        key,
        body,
        run,
        status_code=201,
        location=f"/v1/children/{child_id}/visits/{visit_id}",
    )
