"""A child's case at a glance: a pure read of the `Child` aggregate's state.

What the API shows at the top of a case and what a worker needs to act on:
the current period of care and legal status, who is allocated, the plans, and
when the next statutory review, visit and health assessment are due, and
whether they are overdue (deadlines from `StatutoryTimescales`).
Pure: the same child, day and timescales always give the same summary.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any
from uuid import UUID

from services.casefile.domain.child import Child
from services.casefile.domain.timescales import (
    DEFAULT_TIMESCALES,
    StatutoryTimescales,
)
from services.casefile.domain.values import AdoptionProgress, PermanencePlanType
from shared.dates import today, year_before


@dataclass(frozen=True)
class CurrentPeriod:
    period_id: UUID
    start_date: date
    legal_status: str
    category_of_need: str


@dataclass(frozen=True)
class AllocatedWorker:
    social_worker_id: str
    team: str
    since: date


@dataclass(frozen=True)
class CaseSummary:
    """The state of a child's case on `as_at` (valid time), as the record now says."""

    child_id: UUID
    as_at: date
    local_child_id: str
    date_of_birth: date
    age: int
    sex: str
    ethnicity: str
    uasc: bool
    looked_after: bool
    current_period: CurrentPeriod | None
    periods_of_care: int
    allocated_worker: AllocatedWorker | None
    social_worker_changes_in_last_year: int
    iro_id: str | None
    care_plan_agreed: date | None
    care_plan_due: date | None
    permanence_plan_type: str | None
    permanence_plan_agreed: date | None
    permanence_plan_due: date | None
    last_review: date | None
    next_review_due: date | None
    next_review_scheduled: date | None
    last_visit: date | None
    #: CPPCR reg. 28, counted from the start of the period of care: casefile does not
    #: know placement moves (placements does), so a move does not restart the count.
    next_visit_due: date | None
    visit_overdue: bool
    last_health_assessment: date | None
    #: The initial health assessment's deadline until one is recorded, then the review's.
    next_health_assessment_due: date | None
    health_assessment_overdue: bool
    open_missing_episodes: int
    care_leaver_status: str | None
    personal_adviser_id: str | None
    pathway_plan_agreed: date | None
    pathway_plan_review_due: date | None
    last_in_touch_contact: date | None
    in_touch_contact_due: date | None
    staying_put: bool
    adoption: AdoptionProgress | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def case_summary(
    child: Child,
    *,
    as_at: date | None = None,
    timescales: StatutoryTimescales = DEFAULT_TIMESCALES,
) -> CaseSummary:
    """Summarise `child`'s case on `as_at` (default: today in England).

    Worked example (CPPCR 2010 reg. 33): a child looked after from Monday
    6 January 2025 with no review yet has the first review due 20 working days
    later, Monday 3 February 2025; once it is held on 30 January the second is
    due by 30 April, and after that six months after the latest.
    """
    day = as_at or today()
    period = child.period_on(day)
    current = None
    care_plan_agreed = care_plan_due = None
    permanence_type = None
    permanence_agreed = permanence_due = None
    last_review = next_review_due = next_review_scheduled = None
    next_visit_due = last_health_assessment = next_health_assessment_due = None
    if period is not None:
        current = CurrentPeriod(
            period_id=period.period_id,
            start_date=period.start_date,
            legal_status=period.legal_status_on(day) or period.legal_status,
            category_of_need=period.category_of_need,
        )
        plans = [
            p.effective_date
            for p in child.care_plans
            if p.period_id == period.period_id and p.effective_date <= day
        ]
        care_plan_agreed = max(plans, default=None)
        if care_plan_agreed is None:
            care_plan_due = timescales.care_plan_due(period.start_date)
        permanence = [
            p
            for p in child.permanence_plans
            if p.period_id == period.period_id and p.effective_date <= day
        ]
        if permanence:
            permanence_type = str(permanence[-1].plan_type)
            permanence_agreed = permanence[-1].effective_date
        else:
            permanence_due = timescales.permanence_plan_due(period.start_date)
        held = [
            r.held_date
            for r in child.reviews_held_in(period)
            if r.held_date is not None and r.held_date <= day
        ]
        last_review = max(held, default=None)
        next_review_due = timescales.next_review_due(period.start_date, held)
        scheduled = [
            r.scheduled_date
            for r in child.reviews.values()
            if not r.is_held and r.scheduled_date is not None and r.scheduled_date >= day
        ]
        next_review_scheduled = min(scheduled, default=None)
        visited = [v.visit_date for v in child.visits.values() if v.visit_date <= day]
        long_term = bool(permanence) and (
            permanence[-1].plan_type is PermanencePlanType.LONG_TERM_FOSTERING
        )
        next_visit_due = timescales.next_visit_due(period.start_date, visited, long_term=long_term)
        assessed = [
            a.effective_date
            for a in child.health_assessments
            if period.start_date <= a.effective_date <= day
        ]
        last_health_assessment = max(assessed, default=None)
        next_health_assessment_due = timescales.next_health_assessment_due(
            period.start_date, assessed, child.details.date_of_birth
        )

    allocation = child.allocation_on(day)
    worker = (
        None
        if allocation is None
        else AllocatedWorker(
            allocation.social_worker_id, allocation.team, allocation.effective_date
        )
    )
    visits = [v.visit_date for v in child.visits.values() if v.visit_date <= day]
    open_missing = [
        m
        for m in child.missing_episodes.values()
        if m.start_date <= day and (m.end_date is None or m.end_date > day)
    ]
    iro = child.iro_on(day)
    status = child.care_leaver_status_on(day)
    adviser = child.personal_adviser_on(day)
    pathway = child.pathway_plan_on(day)
    pathway_last = None
    if pathway is not None:
        pathway_last = max(d for d in (pathway.effective_date, *pathway.review_dates) if d <= day)
    contacts = [c.contact_date for c in child.in_touch_contacts.values() if c.contact_date <= day]
    last_contact = max(contacts, default=None)
    details = child.details
    return CaseSummary(
        child_id=child.id,
        as_at=day,
        local_child_id=details.local_child_id,
        date_of_birth=details.date_of_birth,
        age=child.age_on(day),
        sex=details.sex,
        ethnicity=details.ethnicity,
        uasc=details.uasc and (details.uasc_ceased_date is None or details.uasc_ceased_date > day),
        looked_after=period is not None,
        current_period=current,
        periods_of_care=len([p for p in child.periods.values() if p.start_date <= day]),
        allocated_worker=worker,
        # "In the year" as the Stability Index counts it (Children's Commissioner,
        # Stability Index: changes of social worker in the 12 months): the one
        # definition of the year before a day, shared with placements.
        social_worker_changes_in_last_year=child.social_worker_changes(*year_before(day)),
        iro_id=None if iro is None else iro.iro_id,
        care_plan_agreed=care_plan_agreed,
        care_plan_due=care_plan_due,
        permanence_plan_type=permanence_type,
        permanence_plan_agreed=permanence_agreed,
        permanence_plan_due=permanence_due,
        last_review=last_review,
        next_review_due=next_review_due,
        next_review_scheduled=next_review_scheduled,
        last_visit=max(visits, default=None),
        next_visit_due=next_visit_due,
        visit_overdue=next_visit_due is not None and day > next_visit_due,
        last_health_assessment=last_health_assessment,
        next_health_assessment_due=next_health_assessment_due,
        health_assessment_overdue=(
            next_health_assessment_due is not None and day > next_health_assessment_due
        ),
        open_missing_episodes=len(open_missing),
        care_leaver_status=None if status is None else str(status),
        personal_adviser_id=None if adviser is None else adviser.personal_adviser_id,
        pathway_plan_agreed=None if pathway is None else pathway.effective_date,
        pathway_plan_review_due=(
            None if pathway_last is None else timescales.pathway_plan_review_due(pathway_last)
        ),
        last_in_touch_contact=last_contact,
        in_touch_contact_due=(
            None if last_contact is None else timescales.in_touch_contact_due(last_contact)
        ),
        staying_put=child.staying_put_on(day),
        adoption=child.adoption,
    )
