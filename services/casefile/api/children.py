"""The child: register, correct details, and the queries (register list, case, history).

Every read of one child's record is itself recorded, in the casefile stream,
as an access event whose audit envelope says who read it, when, in which role
and for what purpose (`X-Purpose`), before the record is returned.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StrictBool

from services.casefile.adapters.event_history import HistoryEntry
from services.casefile.api.commands import execute
from services.casefile.api.dependencies import Api, IdempotencyKey, IfMatch
from services.casefile.api.models import CASE_RESPONSES, Command, CommandResult, Note, code
from services.casefile.api.policy import UNRELATED_READERS, allowed
from services.casefile.domain.child import Child
from services.casefile.domain.summary import CaseSummary, case_summary
from services.casefile.projections.case_team import RELATIONSHIPS_FOR_ROLE
from services.casefile.projections.children import RegisteredChild, Visibility
from shared.access_log import record_access, record_accesses
from shared.api.concurrency import etag
from shared.auth.roles import Role
from shared.auth.tokens import Principal
from shared.request_context import acting_as
from shared.ssda903 import codes

router = APIRouter(tags=["children"], responses=CASE_RESPONSES)

LocalChildId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=20,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
        description="The council's own id for the child (SSDA903 CHILD)",
    ),
]
Upn = Annotated[
    str,
    Field(
        min_length=13,
        max_length=13,
        description="Unique Pupil Number: 13 characters, the first a DfE check letter",
    ),
]
NhsNumber = Annotated[
    str,
    Field(
        min_length=10,
        max_length=12,
        description="NHS number: 10 digits (spaces allowed), modulus-11 check digit",
    ),
]


class RegisterChild(Command):
    local_child_id: LocalChildId
    date_of_birth: date
    sex: str = code(codes.SEX, "SSDA903 SEX")
    ethnicity: str = code(codes.ETHNICITY, "SSDA903 ETHNIC")
    registration_date: date | None = Field(default=None, description="Default: today")
    upn: Upn | None = None
    nhs_number: NhsNumber | None = None
    uasc: StrictBool = Field(default=False, description="Unaccompanied asylum-seeking child")
    uasc_ceased_date: date | None = None


class CorrectDetails(Command):
    """Only the fields present change; `null` clears an optional identifier."""

    effective_date: date | None = Field(default=None, description="Default: today")
    note: Note | None = None
    local_child_id: LocalChildId | None = None
    date_of_birth: date | None = None
    sex: str | None = code(codes.SEX, "SSDA903 SEX", default=None)
    ethnicity: str | None = code(codes.ETHNICITY, "SSDA903 ETHNIC", default=None)
    upn: Upn | None = None
    nhs_number: NhsNumber | None = None
    uasc: StrictBool | None = None
    uasc_ceased_date: date | None = None


class ChildrenPage(BaseModel):
    items: list[RegisteredChild]
    limit: int
    offset: int


class CaseView(BaseModel):
    """A child's case: the summary on `as_of`, from the record as it stood at `as_of_recorded`."""

    child_id: UUID
    version: int
    upn: str | None
    nhs_number: str | None
    as_of_recorded: datetime | None
    summary: CaseSummary


class HistoryView(BaseModel):
    child_id: UUID
    chain_intact: bool = Field(description="False if any event's integrity hash fails")
    entries: list[HistoryEntry]


# --------------------------------------------------------------------------- commands


@router.post("/children", status_code=201, response_model=CommandResult)
def register_child(
    body: RegisterChild,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    principal: Principal = Depends(allowed("child.register")),
) -> JSONResponse:
    child_id = Child.create_id(body.local_child_id)

    def run() -> CommandResult:
        # The new record's audit envelope names the child (there is no {child_id} in the path).
        with acting_as(child_id=str(child_id)):
            api.casefile.register_child(**body.model_dump())
        return CommandResult(child_id=child_id, version=api.casefile.get_case(child_id).version)

    return execute(
        api,
        request,
        principal,
        key,
        body,
        run,
        status_code=201,
        location=f"/v1/children/{child_id}",
    )


@router.post("/children/{child_id}/corrections", response_model=CommandResult)
def correct_child_details(
    child_id: UUID,
    body: CorrectDetails,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("child.correct")),
) -> JSONResponse:
    # Fields left out stay as they are (the domain's UNCHANGED is the default).
    changes = body.model_dump(include=body.model_fields_set - {"effective_date", "note"})

    def run() -> CommandResult:
        version = api.casefile.correct_child_details(
            child_id,
            effective_date=body.effective_date,
            note=body.note,
            expected_version=expected,
            **changes,
        )
        return CommandResult(child_id=child_id, version=version)

    return execute(api, request, principal, key, body, run)


# --------------------------------------------------------------------------- queries


@router.get("/children", response_model=ChildrenPage)
def list_children(
    api: Api,
    principal: Principal = Depends(allowed("children.list")),
    looked_after: bool | None = Query(default=None, description="Only children (not) in care"),
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> ChildrenPage:
    """Children the caller may see: all for auditors and performance, else their own."""
    roles = set(principal.roles)
    if roles & UNRELATED_READERS:
        visibility = Visibility(everyone=True)
    else:
        relationships = set().union(*(RELATIONSHIPS_FOR_ROLE.get(r, set()) for r in roles))
        teams = api.team_managers.get(principal.user_id, ()) if Role.TEAM_MANAGER in roles else ()
        visibility = Visibility(
            user_id=principal.user_id, relationships=relationships, teams=list(teams)
        )
    items = api.register.list(visibility, looked_after=looked_after, limit=limit, offset=offset)
    # Each row carries a date of birth: listing is a read of each child's record.
    record_accesses(api.casefile, [item.child_id for item in items], what="children list")
    return ChildrenPage(items=items, limit=limit, offset=offset)


@router.get("/children/{child_id}", response_model=CaseView)
def get_case(
    child_id: UUID,
    response: Response,
    api: Api,
    principal: Principal = Depends(allowed("case.read")),
    as_of: date | None = Query(default=None, description="Valid time: the case on this day"),
    as_of_recorded: datetime | None = Query(
        default=None, description="Recorded time: the record as it stood at this moment"
    ),
) -> CaseView:
    child = api.casefile.case_as_of(child_id, as_of_recorded)
    summary = case_summary(child, as_at=as_of, timescales=api.casefile.timescales)
    record_access(api.casefile, str(child_id), what="case")
    response.headers["ETag"] = etag(child.version)
    return CaseView(
        child_id=child_id,
        version=child.version,
        upn=child.details.upn,
        nhs_number=child.details.nhs_number,
        as_of_recorded=as_of_recorded,
        summary=summary,
    )


@router.get("/children/{child_id}/history", response_model=HistoryView)
def get_history(
    child_id: UUID,
    api: Api,
    principal: Principal = Depends(allowed("case.history")),
    as_of_recorded: datetime | None = Query(
        default=None, description="Only what had been recorded by this moment"
    ),
    include_reads: bool = Query(default=False, description="Also list reads of the record"),
) -> HistoryView:
    """Who recorded what and when, from the audit envelope (no event bodies)."""
    api.casefile.get_case(child_id)  # 404 for a child never registered
    history = api.history.of_child(
        child_id, recorded_by=as_of_recorded, include_reads=include_reads
    )
    record_access(api.casefile, str(child_id), what="history")
    return HistoryView(
        child_id=child_id, chain_intact=history.chain_intact, entries=history.entries
    )
