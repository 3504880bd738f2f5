"""Leaving care: status, personal adviser, keeping in touch (SSDA903 OC3), Staying Put."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field, StrictBool

from services.casefile.api.commands import derived_id, execute
from services.casefile.api.dependencies import Api, IdempotencyKey, IfMatch
from services.casefile.api.models import CASE_RESPONSES, Command, CommandResult, PersonId, code
from services.casefile.api.policy import allowed
from services.casefile.domain.values import CareLeaverStatus
from shared.auth.tokens import Principal
from shared.ssda903 import codes

router = APIRouter(tags=["care leavers"], responses=CASE_RESPONSES)


class RecordEligibility(Command):
    effective_date: date
    status: str = code({s.value: s.name for s in CareLeaverStatus}, "Leaving-care status")


class AppointPersonalAdviser(Command):
    effective_date: date
    personal_adviser_id: PersonId


class RecordInTouchContact(Command):
    contact_id: UUID | None = Field(default=None, description="Default: derived from the key")
    contact_date: date
    in_touch: str = code(codes.IN_TOUCH, "SSDA903 IN_TOUCH")
    activity: str | None = code(codes.ACTIVITY, "SSDA903 ACTIV", default=None)
    accommodation: str | None = code(codes.ACCOMMODATION, "SSDA903 ACCOM", default=None)


class RecordStayingPut(Command):
    effective_date: date
    staying_put: StrictBool = Field(description="True: the arrangement starts; False: it ends")


@router.post("/children/{child_id}/care-leaver/eligibility", response_model=CommandResult)
def record_care_leaver_eligibility(
    child_id: UUID,
    body: RecordEligibility,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("care-leaver.eligibility")),
) -> JSONResponse:
    def run() -> CommandResult:
        version = api.casefile.record_care_leaver_eligibility(
            child_id,
            effective_date=body.effective_date,
            status=body.status,
            expected_version=expected,
        )
        return CommandResult(child_id=child_id, version=version)

    return execute(api, request, principal, key, body, run)


@router.post("/children/{child_id}/personal-adviser", response_model=CommandResult)
def appoint_personal_adviser(
    child_id: UUID,
    body: AppointPersonalAdviser,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("personal-adviser.appoint")),
) -> JSONResponse:
    def run() -> CommandResult:
        version = api.casefile.appoint_personal_adviser(
            child_id,
            effective_date=body.effective_date,
            personal_adviser_id=body.personal_adviser_id,
            expected_version=expected,
        )
        return CommandResult(child_id=child_id, version=version)

    return execute(api, request, principal, key, body, run)


@router.post(
    "/children/{child_id}/in-touch-contacts", status_code=201, response_model=CommandResult
)
def record_in_touch_contact(
    child_id: UUID,
    body: RecordInTouchContact,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("care-leaver.contact")),
) -> JSONResponse:
    contact_id = body.contact_id or derived_id(child_id, principal, key, "in-touch-contact")

    def run() -> CommandResult:
        version = api.casefile.record_in_touch_contact(
            child_id,
            contact_id=contact_id,
            contact_date=body.contact_date,
            in_touch=body.in_touch,
            activity=body.activity,
            accommodation=body.accommodation,
            expected_version=expected,
        )
        return CommandResult(child_id=child_id, version=version, id=contact_id)

    return execute(api, request, principal, key, body, run, status_code=201)


@router.post("/children/{child_id}/staying-put", response_model=CommandResult)
def record_staying_put(
    child_id: UUID,
    body: RecordStayingPut,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("care-leaver.staying-put")),
) -> JSONResponse:
    def run() -> CommandResult:
        version = api.casefile.record_staying_put(
            child_id,
            effective_date=body.effective_date,
            staying_put=body.staying_put,
            expected_version=expected,
        )
        return CommandResult(child_id=child_id, version=version)

    return execute(api, request, principal, key, body, run)
