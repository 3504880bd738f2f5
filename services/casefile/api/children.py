"""The child: registration, and the reads of the record (register list, case, history).

Every read of one child's record is itself recorded, as an access event whose
audit envelope says who read it, when, in which role and for what purpose
(`X-Purpose`), before the record is returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.casefile.adapters.event_history import EventHistory, HistoryEntry
from services.casefile.api.person import PersonView, person_view
from services.casefile.api.policy import UNRELATED_READERS, allowed
from services.casefile.application import Casefile
from services.casefile.domain.child import Child
from services.casefile.domain.commands import RegisterChild
from services.casefile.domain.summary import CaseSummary, case_summary
from services.casefile.projections.break_glass import BreakGlassAlerts
from services.casefile.projections.case_team import RELATIONSHIPS_FOR_ROLE
from services.casefile.projections.children import (
    ChildrenRegister,
    RegisteredChild,
    Visibility,
)
from services.casefile.projections.other_services import (
    FOLLOWED,
    OtherServiceEntry,
    OtherServices,
)
from shared.access_log import record_access, record_accesses
from shared.api.command_routes import COMMAND_RESPONSES, answer_once
from shared.api.concurrency import etag
from shared.api.idempotency import idempotency_key
from shared.api.problems import FieldError, ProblemError, problem_type
from shared.api.runtime import ServiceRuntime, service_runtime
from shared.auth.relationships import RelationshipChecker
from shared.auth.roles import Role
from shared.auth.tokens import Principal
from shared.commands import CommandResult
from shared.dates import Day, Moment
from shared.request_context import acting_as


@dataclass(frozen=True)
class CasefileReads:
    """Casefile's read side, for `ServiceRuntime.reads`."""

    history: EventHistory
    register: ChildrenRegister
    other_services: OtherServices
    break_glass: BreakGlassAlerts


#: Endpoint parameter: the running service (503 while it starts or stops).
Runtime = Annotated[ServiceRuntime[CasefileReads], Depends(service_runtime)]


def _casefile(runtime: ServiceRuntime[Any]) -> Casefile:
    application = runtime.application
    assert isinstance(application, Casefile)
    return application


router = APIRouter(tags=["children"], responses=COMMAND_RESPONSES)


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
    person: PersonView = Field(description="Who the child is: only what your role may see")


class HistoryLink(BaseModel):
    """Another service's history of the child: each service keeps and serves its own."""

    service: str
    href: str = Field(description="The path of that history on the service's own API")


#: Where each other service serves its events about a child (ADR 0018): casefile does
#: not read their streams or databases, and the caller asks each with the same token.
OTHER_HISTORIES: dict[str, str] = FOLLOWED


class HistoryView(BaseModel):
    child_id: UUID
    chain_intact: bool = Field(description="False if any event's integrity hash fails")
    entries: list[HistoryEntry]
    elsewhere: list[HistoryLink] = Field(
        default_factory=list,
        description="The child's histories in the other services (placements and moves, "
        "with their corrections): ask each service at its path",
    )
    from_other_services: list[OtherServiceEntry] = Field(
        default_factory=list,
        description="What the other services published about the child, in recorded order "
        "(who recorded each, and why, is in that service's own history)",
    )


@router.post("/children", status_code=201, response_model=CommandResult)
def register_child(
    body: RegisterChild,
    request: Request,
    runtime: Runtime,
    key: Annotated[str, Depends(idempotency_key)],
    principal: Principal = Depends(allowed("child.register")),
) -> JSONResponse:
    """Register a child; the same child with the same details again records nothing.

    A local child id already registered is told to the child's team as it is
    (the same details: the record; others: refused naming the field). Anyone
    else learns only that the id is taken, never whether the details they
    sent match: registration is not a way to confirm who a child is.
    """
    child_id = Child.create_id(body.local_child_id)
    casefile = _casefile(runtime)

    def work() -> CommandResult:
        # A retry with the same key got its first answer before this point.
        if not _may_know_of(request, principal, casefile, child_id):
            raise ProblemError(
                409,
                type=problem_type("already-registered"),
                title="Already registered",
                detail="A child with this local child id is already registered; nothing "
                "was recorded. The child's team can give you access.",
                errors=[FieldError(field="body.local_child_id", message="already registered")],
            )
        # The new record's audit envelope names the child (there is no {child_id} in the path).
        with acting_as(child_id=str(child_id)):
            casefile.register_child(body)
        return CommandResult(child_id=child_id, version=casefile.get_case(child_id).version)

    return answer_once(
        runtime,
        request,
        principal,
        key,
        body,
        work,
        status_code=201,
        location=lambda result: f"/v1/children/{result.child_id}",
    )


def _may_know_of(request: Request, principal: Principal, casefile: Casefile, child: UUID) -> bool:
    """Whether the caller may learn about an already registered child (or there is none)."""
    if not casefile.has_record(child):
        return True
    checker: RelationshipChecker = request.app.state.relationships
    return any(
        checker.is_related(principal.user_id, role, str(child), principal.teams)
        for role in principal.roles
    )


@router.get("/children", response_model=ChildrenPage)
def list_children(
    runtime: Runtime,
    principal: Principal = Depends(allowed("children.list")),
    looked_after: bool | None = Query(default=None, description="Only children (not) in care"),
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=10_000_000),
) -> ChildrenPage:
    """Children the caller may see: all for auditors and performance, else their own."""
    reads = runtime.reads
    roles = set(principal.roles)
    if roles & UNRELATED_READERS:
        visibility = Visibility(everyone=True)
    else:
        relationships = set().union(*(RELATIONSHIPS_FOR_ROLE.get(r, set()) for r in roles))
        teams = principal.teams if Role.TEAM_MANAGER in roles else ()
        visibility = Visibility(
            user_id=principal.user_id, relationships=relationships, teams=list(teams)
        )
    items = reads.register.list(visibility, looked_after=looked_after, limit=limit, offset=offset)
    # Each row carries a date of birth: listing is a read of each child's record.
    record_accesses(runtime.application, [item.child_id for item in items], what="children list")
    return ChildrenPage(items=items, limit=limit, offset=offset)


@router.get("/children/{child_id}", response_model=CaseView)
def get_case(
    child_id: UUID,
    response: Response,
    runtime: Runtime,
    principal: Principal = Depends(allowed("case.read")),
    as_of: Day | None = Query(default=None, description="Valid time: the case on this day"),
    as_of_recorded: Moment | None = Query(
        default=None, description="Recorded time: the record as it stood at this moment"
    ),
) -> CaseView:
    casefile = _casefile(runtime)
    child = casefile.case_as_of(child_id, as_of_recorded)
    summary = case_summary(child, as_at=as_of, timescales=casefile.timescales)
    record_access(casefile, str(child_id), what="case")
    response.headers["ETag"] = etag(child.version)
    return CaseView(
        child_id=child_id,
        version=child.version,
        upn=child.details.upn,
        nhs_number=child.details.nhs_number,
        as_of_recorded=as_of_recorded,
        summary=summary,
        person=person_view(child, summary.as_at, principal.roles),
    )


@router.get("/children/{child_id}/history", response_model=HistoryView)
def get_history(
    child_id: UUID,
    runtime: Runtime,
    principal: Principal = Depends(allowed("case.history")),
    as_of_recorded: Moment | None = Query(
        default=None, description="Only what had been recorded by this moment"
    ),
    include_reads: bool = Query(
        default=False, description="Also list reads of the record and break-glass grants to it"
    ),
) -> HistoryView:
    """Who recorded what and when, from the audit envelope (no event bodies)."""
    casefile = _casefile(runtime)
    casefile.get_case(child_id)  # 404 for a child never registered
    history = runtime.reads.history.of_child(
        child_id, recorded_by=as_of_recorded, include_reads=include_reads
    )
    record_access(casefile, str(child_id), what="history")
    return HistoryView(
        child_id=child_id,
        chain_intact=history.chain_intact,
        entries=history.entries,
        elsewhere=[
            HistoryLink(service=name, href=path.format(child_id=child_id))
            for name, path in OTHER_HISTORIES.items()
        ],
        from_other_services=runtime.reads.other_services.of_child(
            str(child_id), recorded_by=as_of_recorded
        ),
    )
