"""A child's education status on a day: pure functions of the record's state.

Used by the status endpoint (valid time: what was true on `as_of`; with
recorded time, the state is folded only from events recorded by then) and by
the council's lists (PEPs due and overdue, exclusions, moves this school year).

PEP timeliness (docs/adr/0021-education-service.md; timescales as data,
`PepTimescales`): a PEP is reviewed every term. On a day, the PEP is
- `current` if a PEP meeting (initiation or review) was held this term or the
  term before (this term's review is then due by the end of the term);
- `overdue` if the last meeting was before the previous term started, or if
  no PEP was initiated within `initial_days` of the child becoming looked
  after (seed KPI: 20 days; statutory 10 school days) and that time has passed;
- `due` if the child became looked after fewer than `initial_days` ago and has
  no PEP yet; `none` when nothing is known to be due (not looked after, or
  not of compulsory school age, Education Act 1996 s.8: the statutory PEP is
  for children of compulsory school age; an early-years PEP held is shown).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from services.education.domain.calendar import SchoolCalendar
from services.education.domain.state import EducationState
from shared.dates import of_compulsory_school_age

PepState = Literal["current", "due", "overdue", "none"]


@dataclass(frozen=True)
class PepTimescales:
    #: Days from becoming looked after to the first PEP (seed KPI: 20).
    initial_days: int = 20


@dataclass(frozen=True)
class School:
    urn: str
    phase: str
    since: date


@dataclass(frozen=True)
class EducationStatus:
    as_of: date
    academic_year: str
    term: str
    current_school: School | None
    designated_teacher_id: str | None
    sen_status: str | None
    ehc_plan_date: date | None
    pupil_premium_plus: bool | None
    pep: PepState
    last_pep_meeting: date | None
    pep_due_by: date | None
    last_pep_rating: str | None
    #: Mid-year school moves from the start of this school year to `as_of`.
    school_moves_this_year: tuple[date, ...]
    #: Attendance this school year: periods ending by `as_of`.
    sessions_possible: int
    sessions_attended: int
    authorised_absence: int
    suspensions_this_year: int
    suspension_days_this_year: float
    permanent_exclusions: tuple[date, ...]

    @property
    def attendance_rate(self) -> float | None:
        """Sessions attended of sessions possible, percent to one place; None if none possible."""
        if self.sessions_possible == 0:
            return None
        exact = Decimal(100 * self.sessions_attended) / Decimal(self.sessions_possible)
        return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def status_on(
    state: EducationState,
    as_of: date,
    calendar: SchoolCalendar,
    looked_after_since: date | None = None,
    timescales: PepTimescales = PepTimescales(),
    date_of_birth: date | None = None,
) -> EducationStatus:
    """The child's education on `as_of` by what the state holds (facts dated after are ignored)."""
    year_start = calendar.year_start(as_of)
    enrolment = state.enrolment_on(as_of)
    teacher = state.in_force(state.designated_teachers, as_of)
    sen = state.in_force(state.sen, as_of)
    attendance = [a for a in state.attendance.values() if year_start <= a.first and a.last <= as_of]
    exclusions = [x for x in state.exclusions.values() if not x.voided and x.start <= as_of]
    suspensions = [x for x in exclusions if x.kind == "suspension" and x.start >= year_start]
    pep, last, due_by, rating = _pep(state, as_of, calendar, looked_after_since, timescales)
    if date_of_birth is not None and not of_compulsory_school_age(date_of_birth, as_of):
        # The statutory PEP is for children of compulsory school age (domain.md):
        # an early-years plan is shown when held, never counted due or overdue.
        pep, due_by = ("current" if pep == "current" else "none"), None
    return EducationStatus(
        as_of=as_of,
        academic_year=calendar.academic_year(as_of),
        term=calendar.term_name(as_of),
        current_school=School(enrolment.urn, enrolment.phase, enrolment.start)
        if enrolment
        else None,
        designated_teacher_id=teacher[0] if teacher else None,
        sen_status=sen[0] if sen else None,
        ehc_plan_date=sen[1] if sen else None,
        pupil_premium_plus=state.in_force(state.pupil_premium_plus, as_of),
        pep=pep,
        last_pep_meeting=last,
        pep_due_by=due_by,
        last_pep_rating=rating,
        school_moves_this_year=tuple(d for d in state.mid_year_moves if year_start <= d <= as_of),
        sessions_possible=sum(a.possible for a in attendance),
        sessions_attended=sum(a.attended for a in attendance),
        authorised_absence=sum(a.authorised for a in attendance),
        suspensions_this_year=len(suspensions),
        suspension_days_this_year=float(sum(x.days or 0 for x in suspensions)),
        permanent_exclusions=tuple(sorted(x.start for x in exclusions if x.kind == "permanent")),
    )


def _pep(
    state: EducationState,
    as_of: date,
    calendar: SchoolCalendar,
    looked_after_since: date | None,
    timescales: PepTimescales,
) -> tuple[PepState, date | None, date | None, str | None]:
    meetings = [p.started for p in state.peps.values() if p.started <= as_of]
    meetings += [r.held for r in state.reviews.values() if r.held <= as_of]
    rated = [r for r in state.reviews.values() if r.held <= as_of and r.rating is not None]
    rating = max(rated, key=lambda r: r.held).rating if rated else None
    if not meetings:
        if looked_after_since is None or looked_after_since > as_of:
            return "none", None, None, rating
        first_due = looked_after_since + timedelta(days=timescales.initial_days)
        return ("overdue" if as_of > first_due else "due"), None, first_due, rating
    last = max(meetings)
    if last >= calendar.previous_term_start(as_of):
        # This term's review is due by its end (already held if `last` is this term).
        due_by = None if last >= calendar.term_start(as_of) else _this_term_end(calendar, as_of)
        return "current", last, due_by, rating
    return "overdue", last, calendar.term_start(as_of) - timedelta(days=1), rating


def _this_term_end(calendar: SchoolCalendar, day: date) -> date:
    start = calendar.term_start(day)
    probe = start
    while calendar.term_start(probe) == start:
        probe += timedelta(days=7)
    return calendar.term_start(probe) - timedelta(days=1)
