"""The health reads: a child's record, their status as of any date, the council's figures.

Status "as of" is valid time (what was true on that date, by what the record
now says); `as_of_recorded` adds recorded time (what the record said at that
moment, before later corrections; docs/adr/0018). Every read of a child's
record or status is recorded in the access log; the scorecard gives counts only.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.health.api.policy import COUNCIL, POLICY, READ, STATUS
from services.health.api.runtime import Runtime
from services.health.application import Health
from services.health.domain import HealthRecord, HealthStatus, health_status
from services.health.domain.status import HealthScorecard, scorecard
from shared.access_log import record_access, record_accesses
from shared.api.concurrency import etag
from shared.api.problems import Problem, ProblemError
from shared.auth.dependencies import require
from shared.auth.tokens import Principal
from shared.dates import Day, Moment, today
from shared.domain_errors import NotFound

router = APIRouter(tags=["health record"])

ChildId = Annotated[UUID, Path(description="The child's id")]
AsOf = Annotated[Day | None, Query(description="The date (YYYY-MM-DD); today if omitted")]
AsOfRecorded = Annotated[
    Moment | None,
    Query(
        description="Recorded time: as the record stood at this moment (ISO 8601); now if "
        "omitted (docs/adr/0018-corrections-and-recorded-time.md)"
    ),
]


class EntryOut(BaseModel):
    entry_id: UUID
    kind: str
    date: date
    details: dict[str, Any] = Field(description="The coded values of the entry (never notes)")
    source: str | None = Field(description="The FHIR resource it came from, if any")
    source_version: str | None
    voided: bool = Field(description="Taken out by a correction (kept in the history)")


class HealthRecordOut(BaseModel):
    child_id: UUID
    version: int
    entries: list[EntryOut]


def _record_out(record: HealthRecord) -> HealthRecordOut:
    return HealthRecordOut(
        child_id=record.child_id,
        version=record.version,
        entries=[
            EntryOut(
                entry_id=e.id,
                kind=str(e.kind),
                date=e.day,
                details=dict(e.details),
                source=e.source,
                source_version=e.source_version,
                voided=e.voided,
            )
            for e in record.entries
        ],
    )


@router.get(
    "/children/{child_id}/health",
    response_model=HealthRecordOut,
    responses={404: {"model": Problem, "description": "Nothing was ever recorded"}},
    summary="The child's health record, every entry (the read is recorded in the access log)",
)
def record(
    child_id: ChildId,
    principal: Annotated[Principal, Depends(require(READ, POLICY))],
    service: Runtime,
) -> JSONResponse:
    found = service.application.load(child_id)
    record_access(service.application, str(child_id), "health.record")
    body = _record_out(found).model_dump(mode="json")
    return JSONResponse(body, headers={"ETag": etag(found.version)})


@router.get(
    "/children/{child_id}/health/status",
    response_model=HealthStatus,
    responses={404: {"model": Problem, "description": "Casefile has not told health of the child"}},
    summary="The child's health status on as_of: IHA, RHA, dental, SDQ, immunisations, plan",
)
def status(
    child_id: ChildId,
    principal: Annotated[Principal, Depends(require(STATUS, POLICY))],
    service: Runtime,
    as_of: AsOf = None,
    as_of_recorded: AsOfRecorded = None,
) -> HealthStatus:
    facts = service.reads.child_facts(child_id)
    if facts is None:
        raise ProblemError(404, detail=f"no child {child_id} is known to the health service")
    application = service.application
    assert isinstance(application, Health)
    try:
        entries = application.record_as_of(child_id, as_of_recorded).entries
    except NotFound:
        entries = ()
    record_access(service.application, str(child_id), "health.status")
    return health_status(facts, entries, as_of or today())


@router.get(
    "/health/scorecard",
    response_model=HealthScorecard,
    tags=["council"],
    summary="The scorecard's health measures on as_of, with their numerators and denominators",
)
def council_scorecard(
    principal: Annotated[Principal, Depends(require(COUNCIL, POLICY))],
    service: Runtime,
    as_of: AsOf = None,
    as_of_recorded: AsOfRecorded = None,
) -> HealthScorecard:
    day = as_of or today()
    cohort = service.reads.cohort(day, as_of_recorded)
    return scorecard([(facts, entries) for _, facts, entries in cohort], day)


class DeadlineOut(BaseModel):
    child_id: str
    status: HealthStatus


class DeadlinesOut(BaseModel):
    as_of: date
    children: list[DeadlineOut] = Field(
        description="Children looked after on as_of with something due or overdue"
    )


_OPEN = frozenset({"due", "overdue"})


@router.get(
    "/health/deadlines",
    response_model=DeadlinesOut,
    tags=["council"],
    summary="Children looked after on as_of with a health timescale due or overdue (each "
    "listed child's read is recorded)",
)
def deadlines(
    principal: Annotated[Principal, Depends(require(COUNCIL, POLICY))],
    service: Runtime,
    as_of: AsOf = None,
) -> DeadlinesOut:
    day = as_of or today()
    listed = []
    for child, facts, entries in service.reads.cohort(day):
        found = health_status(facts, entries, day)
        states = {
            found.initial_health_assessment.state,
            found.review_health_assessment.state,
            found.dental_check.state,
            found.sdq.state,
        }
        if states & _OPEN:
            listed.append(DeadlineOut(child_id=child, status=found))
    record_accesses(service.application, [d.child_id for d in listed], "health.deadlines")
    return DeadlinesOut(as_of=day, children=listed)
