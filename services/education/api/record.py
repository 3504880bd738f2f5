"""Education commands (one route entry each), the child's record, and status on any date."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from services.education.api.policy import COUNCIL, POLICY, READ, RECORD, STATUS
from services.education.api.runtime import Runtime
from services.education.domain import EducationRecord, EducationStatus
from services.education.domain import commands as c
from shared.access_log import record_access, record_accesses
from shared.api.command_routes import CommandRoute, command_router
from shared.api.concurrency import etag
from shared.api.problems import Problem, ProblemError
from shared.auth.dependencies import require
from shared.auth.tokens import Principal
from shared.dates import Day, Moment, today

CHILD = "/children/{child_id}"

ROUTES = (
    CommandRoute(f"{CHILD}/enrolments", c.Enrol, RECORD,
                 "The child starts at a school", status_code=201,
                 location="/v1/children/{child_id}/education", tag="school"),
    CommandRoute(f"{CHILD}/school-moves", c.MoveSchool, RECORD,
                 "The child moves school (leaves the current one the day before)",
                 status_code=201, location="/v1/children/{child_id}/education", tag="school"),
    CommandRoute(f"{CHILD}/enrolments/{{enrolment_id}}/leave", c.Leave, RECORD,
                 "The child leaves this school", result_id="enrolment_id", tag="school"),
    CommandRoute(f"{CHILD}/enrolments/{{enrolment_id}}/amend", c.AmendEnrolment, RECORD,
                 "Correct this enrolment (a late correction)", result_id="enrolment_id",
                 tag="corrections"),
    CommandRoute(f"{CHILD}/enrolments/{{enrolment_id}}/void", c.VoidEnrolment, RECORD,
                 "This enrolment was recorded in error", result_id="enrolment_id",
                 tag="corrections"),
    CommandRoute(f"{CHILD}/designated-teacher", c.NameDesignatedTeacher, RECORD,
                 "The child's designated teacher, from a day", tag="school"),
    CommandRoute(f"{CHILD}/sen-status", c.RecordSenStatus, RECORD,
                 "SEN provision and EHC plan, from a day", tag="needs"),
    CommandRoute(f"{CHILD}/pupil-premium-plus", c.RecordPupilPremiumPlus, RECORD,
                 "Pupil Premium Plus, from a day", tag="needs"),
    CommandRoute(f"{CHILD}/peps", c.InitiatePep, RECORD,
                 "The Personal Education Plan is initiated", status_code=201,
                 location="/v1/children/{child_id}/education", tag="pep"),
    CommandRoute(f"{CHILD}/peps/{{pep_id}}/reviews", c.RecordPepReview, RECORD,
                 "A termly PEP review was held", status_code=201,
                 location="/v1/children/{child_id}/education", tag="pep"),
    CommandRoute(f"{CHILD}/pep-reviews/{{review_id}}/void", c.VoidPepReview, RECORD,
                 "This PEP review was recorded in error", result_id="review_id",
                 tag="corrections"),
    CommandRoute(f"{CHILD}/pep-reviews/{{review_id}}/rating", c.RatePep, RECORD,
                 "The Virtual School's quality rating of this PEP review",
                 result_id="review_id", tag="pep"),
    CommandRoute(f"{CHILD}/attendance", c.RecordAttendance, RECORD,
                 "Attendance for a period (other figures for the same period: a correction)",
                 tag="attendance"),
    CommandRoute(f"{CHILD}/exclusions", c.RecordExclusion, RECORD,
                 "A suspension or permanent exclusion", tag="exclusions"),
    CommandRoute(f"{CHILD}/exclusions/{{exclusion_id}}/void", c.VoidExclusion, RECORD,
                 "This exclusion was recorded in error", result_id="exclusion_id",
                 tag="corrections"),
    CommandRoute(f"{CHILD}/key-stage-results", c.RecordKeyStageResult, RECORD,
                 "A key stage result", tag="results"),
)  # fmt: skip

commands = command_router(ROUTES, POLICY)
router = APIRouter(tags=["education"])

ChildId = Annotated[UUID, Path(description="The child's id, as the casefile service gave it")]
AsOf = Annotated[
    Day | None, Query(description="Valid time: the day (YYYY-MM-DD); today if omitted")
]
AsOfRecorded = Annotated[
    Moment | None,
    Query(description="Recorded time: what the record said at this moment (ISO 8601)"),
]


class SchoolOut(BaseModel):
    urn: str
    phase: str
    since: date


class StatusOut(BaseModel):
    """A child's education on a day (the child's views are never in it)."""

    child_id: UUID
    as_of: date
    academic_year: str
    term: str
    current_school: SchoolOut | None
    designated_teacher_id: str | None
    sen_status: str | None
    ehc_plan_date: date | None
    pupil_premium_plus: bool | None
    pep: str = Field(description="current, due, overdue or none (docs/adr/0021)")
    last_pep_meeting: date | None
    pep_due_by: date | None
    last_pep_rating: str | None
    school_moves_this_year: list[date] = Field(description="Mid-year school moves this school year")
    attendance_rate: float | None = Field(
        description="Sessions attended of possible, this school year, %"
    )
    sessions_possible: int
    sessions_attended: int
    authorised_absence: int
    suspensions_this_year: int
    suspension_days_this_year: float
    permanent_exclusions: list[date]

    @classmethod
    def of(cls, child_id: UUID | str, s: EducationStatus) -> StatusOut:
        school = s.current_school
        return cls(
            child_id=UUID(str(child_id)),
            as_of=s.as_of,
            academic_year=s.academic_year,
            term=s.term,
            current_school=SchoolOut(urn=school.urn, phase=school.phase, since=school.since)
            if school
            else None,
            designated_teacher_id=s.designated_teacher_id,
            sen_status=s.sen_status,
            ehc_plan_date=s.ehc_plan_date,
            pupil_premium_plus=s.pupil_premium_plus,
            pep=s.pep,
            last_pep_meeting=s.last_pep_meeting,
            pep_due_by=s.pep_due_by,
            last_pep_rating=s.last_pep_rating,
            school_moves_this_year=list(s.school_moves_this_year),
            attendance_rate=s.attendance_rate,
            sessions_possible=s.sessions_possible,
            sessions_attended=s.sessions_attended,
            authorised_absence=s.authorised_absence,
            suspensions_this_year=s.suspensions_this_year,
            suspension_days_this_year=s.suspension_days_this_year,
            permanent_exclusions=list(s.permanent_exclusions),
        )


@router.get(
    f"{CHILD}/education",
    responses={404: {"model": Problem, "description": "Nothing was ever recorded"}},
    summary="The child's whole education record, with PEP reviews and the child's views "
    "(the read is recorded in the access log)",
)
def record(
    child_id: ChildId,
    principal: Annotated[Principal, Depends(require(READ, POLICY))],
    service: Runtime,
) -> JSONResponse:
    found: EducationRecord = service.application.load(child_id)
    record_access(service.application, str(child_id), "education.record")
    views = _child_views(service, found)
    s = found.state
    body: dict[str, Any] = {
        "child_id": str(child_id),
        "version": found.version,
        "enrolments": [
            {**vars(e), "start": e.start.isoformat(), "end": e.end.isoformat() if e.end else None}
            for e in s.enrolments.values()
        ],
        "mid_year_moves": [d.isoformat() for d in s.mid_year_moves],
        "peps": [
            {"pep_id": p.pep_id, "started": p.started.isoformat(), "targets_set": p.targets_set}
            for p in s.peps.values()
        ],
        "pep_reviews": [
            {"review_id": r.review_id, "pep_id": r.pep_id, "held": r.held.isoformat(),
             "targets_set": r.targets_set, "targets_met": r.targets_met, "rating": r.rating,
             "child_views": views.get(r.review_id)}
            for r in s.reviews.values()
        ],
        "attendance": [
            {"urn": a.urn, "period_start": a.first.isoformat(), "period_end": a.last.isoformat(),
             "sessions_possible": a.possible, "sessions_attended": a.attended,
             "authorised_absence": a.authorised}
            for a in s.attendance.values()
        ],
        "exclusions": [
            {"exclusion_id": x.exclusion_id, "urn": x.urn, "kind": x.kind,
             "start_date": x.start.isoformat(), "days": x.days, "reason": x.reason,
             "voided": x.voided}
            for x in s.exclusions.values()
        ],
        "key_stage_results": [vars(r) for r in s.results.values()],
    }  # fmt: skip
    return JSONResponse(body, headers={"ETag": etag(found.version)})


def _child_views(service: Any, found: EducationRecord) -> dict[str, str | None]:
    """The child's views at each review, from the events (never in a read model)."""
    views: dict[str, str | None] = {}
    for event in service.application.events.get(found.id):
        if type(event).__name__ == "PepReviewHeld":
            views[event.review_id] = event.child_views
    return views


@router.get(
    f"{CHILD}/education/status",
    response_model=StatusOut,
    responses={404: {"model": Problem, "description": "Nothing was recorded (by then)"}},
    summary="The child's education on a day: school, PEP current or overdue, school moves this "
    "school year, attendance, exclusions (valid and recorded time; the read is logged)",
)
def status(
    child_id: ChildId,
    principal: Annotated[Principal, Depends(require(STATUS, POLICY))],
    service: Runtime,
    as_of: AsOf = None,
    as_of_recorded: AsOfRecorded = None,
) -> StatusOut:
    found = service.reads.status(str(child_id), as_of or today(), as_of_recorded)
    if found is None:
        raise ProblemError(404, detail=f"no education is recorded for child {child_id}")
    record_access(service.application, str(child_id), "education.status")
    return StatusOut.of(child_id, found)


class CouncilOut(BaseModel):
    as_of: date
    children: list[StatusOut]
    pep_overdue: int
    pep_due: int
    with_mid_year_moves: int
    permanently_excluded_this_year: int


@router.get(
    "/education/status",
    response_model=CouncilOut,
    summary="Every child looked after on a day with their education status: PEPs due and "
    "overdue (the deadlines), school moves, exclusions (each child's read is logged)",
)
def council(
    principal: Annotated[Principal, Depends(require(COUNCIL, POLICY))],
    service: Runtime,
    as_of: AsOf = None,
    as_of_recorded: AsOfRecorded = None,
) -> CouncilOut:
    day = as_of or today()
    rows = service.reads.council(day, as_of_recorded)
    record_accesses(service.application, [child for child, _ in rows], "education.council")
    year = service.reads.calendar.year_start(day)
    return CouncilOut(
        as_of=day,
        children=[StatusOut.of(child, s) for child, s in rows],
        pep_overdue=sum(1 for _, s in rows if s.pep == "overdue"),
        pep_due=sum(1 for _, s in rows if s.pep == "due"),
        with_mid_year_moves=sum(1 for _, s in rows if s.school_moves_this_year),
        permanently_excluded_this_year=sum(
            1 for _, s in rows if any(d >= year for d in s.permanent_exclusions)
        ),
    )
