"""The case summary: deadlines from the timescales, and the bugs it once had.

Amira (born 1 March 2015) is looked after from Monday 8 January 2024.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from services.casefile.application import Casefile
from services.casefile.domain import commands as c
from services.casefile.domain import errors
from services.casefile.domain.summary import AllocatedWorker
from services.casefile.domain.timescales import DEFAULT_TIMESCALES
from services.casefile.domain.values import AdoptionProgress

from .conftest import CARE_STARTS, Case


def end_period(case: Case, day: date, period_id: UUID | None = None) -> None:
    case.app.execute(
        case.child_id,
        c.EndPeriodOfCare.model_construct(end_date=day, reason_ceased="E4A"),
        path={"period_id": period_id or case.period_id},
    )


def start_period(case: Case, day: date) -> UUID:
    period_id = uuid4()
    case.app.execute(
        case.child_id,
        c.StartPeriodOfCare.model_construct(
            period_id=period_id, start_date=day, legal_status="V2", category_of_need="N1"
        ),
    )
    return period_id


def visit(case: Case, day: date) -> None:
    case.app.execute(
        case.child_id,
        c.RecordVisit.model_construct(visit_id=uuid4(), visit_date=day, seen_alone=True),
    )


def go_missing(case: Case, start: date, end: date | None = None) -> UUID:
    episode_id = uuid4()
    case.app.execute(
        case.child_id,
        c.StartMissingEpisode.model_construct(
            episode_id=episode_id, start_date=start, missing_type="M"
        ),
    )
    if end is not None:
        case.app.execute(
            case.child_id,
            c.EndMissingEpisode.model_construct(
                end_date=end, return_interview_offered=True, return_interview_accepted=True
            ),
            path={"episode_id": episode_id},
        )
    return episode_id


# --------------------------------------------------------------------------- bugs


def test_a_plan_from_an_earlier_period_does_not_hide_the_new_periods_deadline(
    case: Case,
) -> None:
    """A plan agreed on the day a period ended belongs to it, not to the next one that day."""
    last_day = date(2024, 6, 28)  # a Friday
    case.app.execute(case.child_id, c.AgreeCarePlan.model_construct(effective_date=last_day))
    case.app.execute(
        case.child_id,
        c.AgreePermanencePlan.model_construct(effective_date=last_day, plan_type="return_home"),
    )
    end_period(case, last_day)
    second = start_period(case, last_day)

    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 7, 1))
    assert summary.current_period is not None and summary.current_period.period_id == second
    assert summary.care_plan_agreed is None
    assert summary.care_plan_due == DEFAULT_TIMESCALES.care_plan_due(last_day)
    assert summary.permanence_plan_agreed is None
    assert summary.permanence_plan_due == DEFAULT_TIMESCALES.permanence_plan_due(last_day)
    # The earlier period still had its plan, and the new period may agree its own that day.
    assert case.app.summarise_case(case.child_id, as_at=date(2024, 6, 27)).care_plan_due
    case.app.execute(case.child_id, c.AgreeCarePlan.model_construct(effective_date=last_day))
    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 7, 1))
    assert (summary.care_plan_agreed, summary.care_plan_due) == (last_day, None)
    assert len(case.app.get_case(case.child_id).care_plans) == 2
    # Agreeing it again records nothing.
    version = case.version
    case.app.execute(case.child_id, c.AgreeCarePlan.model_construct(effective_date=last_day))
    assert case.version == version


def test_a_missing_episode_may_start_on_the_day_the_last_one_ended(case: Case) -> None:
    """Missing episodes are whole days that may touch, as periods of care and placements do:
    the child who returned in the morning and went missing again that night."""
    first = go_missing(case, date(2024, 4, 3), date(2024, 4, 3))
    second = go_missing(case, date(2024, 4, 3))
    child = case.app.get_case(case.child_id)
    assert set(child.missing_episodes) == {first, second}
    assert case.app.summarise_case(case.child_id, as_at=date(2024, 4, 3)).open_missing_episodes == 1
    # Still refused: starting again while an episode that day is not over.
    with pytest.raises(errors.MissingEpisodesOverlap):
        go_missing(case, date(2024, 4, 3))
    with pytest.raises(errors.MissingEpisodesOverlap):
        go_missing(case, date(2024, 4, 4))


def test_missing_episodes_that_share_days_are_refused(case: Case) -> None:
    go_missing(case, date(2024, 4, 3), date(2024, 4, 6))
    with pytest.raises(errors.MissingEpisodesOverlap) as caught:
        go_missing(case, date(2024, 4, 3))
    assert caught.value.field == "start_date"
    with pytest.raises(errors.MissingEpisodesOverlap):
        go_missing(case, date(2024, 4, 5))
    go_missing(case, date(2024, 4, 6))  # the day it ended


def test_care_plan_due_is_shown_from_the_first_day(case: Case) -> None:
    summary = case.app.summarise_case(case.child_id, as_at=CARE_STARTS)
    assert summary.care_plan_due == date(2024, 1, 22)


def test_social_worker_changes_count_the_calendar_year_before(case: Case) -> None:
    """On 1 March 2024 the year before starts on 2 March 2023: 366 days, with 29 February."""
    allocate = c.AllocateSocialWorker.model_construct
    case.app.execute(
        case.child_id,
        allocate(effective_date=date(2023, 1, 10), social_worker_id="sw-1", team="t", reason=None),
    )
    case.app.execute(
        case.child_id,
        allocate(
            effective_date=date(2023, 3, 2), social_worker_id="sw-2", team="t", reason="LEFTRL"
        ),
    )
    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 3, 1))
    assert summary.social_worker_changes_in_last_year == 1


# --------------------------------------------------------------------------- visits due


def test_first_visit_due_within_a_week_of_the_placement(case: Case) -> None:
    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 1, 15))
    assert (summary.next_visit_due, summary.visit_overdue) == (date(2024, 1, 15), False)
    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 1, 16))
    assert (summary.next_visit_due, summary.visit_overdue) == (date(2024, 1, 15), True)


def test_visits_then_due_every_six_weeks(case: Case) -> None:
    visit(case, date(2024, 1, 12))
    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 2, 23))
    assert (summary.next_visit_due, summary.visit_overdue) == (date(2024, 2, 23), False)
    assert case.app.summarise_case(case.child_id, as_at=date(2024, 2, 24)).visit_overdue
    # A visit recorded later, for a later day, is not counted before that day.
    visit(case, date(2024, 2, 20))
    assert case.app.summarise_case(case.child_id, as_at=date(2024, 2, 19)).next_visit_due == date(
        2024, 2, 23
    )
    assert case.app.summarise_case(case.child_id, as_at=date(2024, 2, 20)).next_visit_due == date(
        2024, 4, 2
    )


def test_after_the_first_year_a_long_term_placement_is_visited_every_three_months(
    case: Case,
) -> None:
    visit(case, date(2025, 1, 7))  # the last day of the placement's first year
    assert case.app.summarise_case(case.child_id, as_at=date(2025, 1, 8)).next_visit_due == date(
        2025, 2, 18
    )
    case.app.execute(
        case.child_id,
        c.AgreePermanencePlan.model_construct(
            effective_date=date(2024, 6, 3), plan_type="long_term_fostering"
        ),
    )
    assert case.app.summarise_case(case.child_id, as_at=date(2025, 1, 8)).next_visit_due == date(
        2025, 2, 18
    )
    visit(case, date(2025, 1, 8))  # the first day of the second year
    summary = case.app.summarise_case(case.child_id, as_at=date(2025, 1, 9))
    assert (summary.next_visit_due, summary.visit_overdue) == (date(2025, 4, 8), False)


def test_not_long_term_stays_six_weekly(case: Case) -> None:
    case.app.execute(
        case.child_id,
        c.AgreePermanencePlan.model_construct(
            effective_date=date(2024, 6, 3), plan_type="adoption"
        ),
    )
    visit(case, date(2025, 1, 8))
    assert case.app.summarise_case(case.child_id, as_at=date(2025, 1, 9)).next_visit_due == date(
        2025, 2, 19
    )


def test_visits_in_an_earlier_period_do_not_count(case: Case) -> None:
    visit(case, date(2024, 3, 1))
    end_period(case, date(2024, 6, 28))
    start_period(case, date(2024, 7, 1))
    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 7, 2))
    assert (summary.last_visit, summary.next_visit_due) == (date(2024, 3, 1), date(2024, 7, 8))
    between = case.app.summarise_case(case.child_id, as_at=date(2024, 6, 29))
    assert (between.next_visit_due, between.visit_overdue) == (None, False)
    assert (between.next_health_assessment_due, between.health_assessment_overdue) == (None, False)


# --------------------------------------------------------------------------- health assessments


def test_initial_health_assessment_due_in_20_working_days(case: Case) -> None:
    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 2, 5))
    assert summary.next_health_assessment_due == date(2024, 2, 5)
    assert (summary.last_health_assessment, summary.health_assessment_overdue) == (None, False)
    assert case.app.summarise_case(case.child_id, as_at=date(2024, 2, 6)).health_assessment_overdue
    case.app.execute(
        case.child_id, c.RecordHealthAssessment(effective_date=date(2024, 2, 9), kind="initial")
    )
    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 2, 9))
    assert summary.last_health_assessment == date(2024, 2, 9)
    # Amira is 8: reviewed yearly.
    assert (summary.next_health_assessment_due, summary.health_assessment_overdue) == (
        date(2025, 2, 9),
        False,
    )
    version = case.version
    case.app.execute(
        case.child_id, c.RecordHealthAssessment(effective_date=date(2024, 2, 9), kind="initial")
    )
    assert case.version == version


def test_health_assessment_needs_the_child_looked_after(case: Case) -> None:
    with pytest.raises(errors.NotLookedAfter):
        case.app.execute(
            case.child_id, c.RecordHealthAssessment(effective_date=date(2024, 1, 5), kind="review")
        )
    with pytest.raises(errors.UnknownCode) as caught:
        case.app.execute(
            case.child_id,
            c.RecordHealthAssessment.model_construct(effective_date=CARE_STARTS, kind="dental"),
        )
    assert caught.value.field == "kind"


@pytest.mark.parametrize(
    ("born", "due"),
    [
        (date(2021, 3, 1), date(2024, 7, 30)),  # 2: six-monthly
        (date(2019, 1, 31), date(2024, 7, 30)),  # 4 on the day (5 the next): six-monthly
        (date(2019, 1, 30), date(2025, 1, 30)),  # 5 on the day: yearly
    ],
)
def test_review_health_assessments_by_age(born: date, due: date) -> None:
    t = DEFAULT_TIMESCALES
    assert t.next_health_assessment_due(date(2024, 1, 8), [date(2024, 1, 30)], born) == due
    # An assessment before this period of care does not count.
    assert t.next_health_assessment_due(date(2024, 1, 8), [date(2024, 1, 5)], born) == date(
        2024, 2, 5
    )


def test_visit_timescales_directly() -> None:
    t = DEFAULT_TIMESCALES
    start = date(2024, 1, 8)
    assert t.next_visit_due(start, []) == date(2024, 1, 15)
    assert t.next_visit_due(start, [date(2024, 1, 5)]) == date(2024, 1, 15)
    assert t.next_visit_due(start, [date(2024, 1, 8)]) == date(2024, 2, 19)
    assert t.next_visit_due(start, [date(2025, 1, 8), date(2024, 3, 1)], long_term=True) == date(
        2025, 4, 8
    )
    assert t.next_visit_due(start, [date(2025, 1, 7)], long_term=True) == date(2025, 2, 18)


# --------------------------------------------------------------------------- the whole summary


def looked_after_kai(app: Casefile) -> Case:
    """Kai, born 10 May 2007, looked after from Monday 10 January 2022 (V2, N4)."""
    child_id = app.register_child(
        c.RegisterChild(
            local_child_id="KAI04",
            date_of_birth=date(2007, 5, 10),
            sex="M",
            ethnicity="APKN",
            registration_date=date(2022, 1, 10),
        )
    )
    period_id = uuid4()
    app.execute(
        child_id,
        c.StartPeriodOfCare(
            period_id=period_id,
            start_date=date(2022, 1, 10),
            legal_status="V2",
            category_of_need="N4",
        ),
    )
    return Case(app, child_id, period_id)


def hold_review(case: Case, day: date, review_id: UUID | None = None) -> None:
    case.app.execute(
        case.child_id,
        c.RecordReview.model_construct(
            review_date=day, iro_id="iro-3", participation="PN1", child_views_recorded=True
        ),
        path={"review_id": review_id or uuid4()},
    )


def schedule_review(case: Case, review_id: UUID, day: date) -> None:
    case.app.execute(
        case.child_id,
        c.ScheduleReview.model_construct(
            review_id=review_id, scheduled_date=day, effective_date=date(2024, 6, 3)
        ),
    )


def test_kais_case_on_monday_1_july_2024_counts_what_happened_that_day(app: Casefile) -> None:
    """Everything dated 1 July 2024 is on Kai's case that day; what is planned after, is not.

    A care order (C2) from 1 March 2022. sw-1 (north-1) was his worker; sw-2 (north-2)
    takes over on the day. Reviews held 4 February and 4 May 2022, and on the day (brought
    forward from 3 July); the next is scheduled for 1 December. Health assessments on the
    first day in care and on 3 June 2024. Missing since 28 June. Eligible for leaving care
    from his 16th birthday, with a pathway plan agreed that day, reviewed 1 November 2023
    and on the day.
    """
    kai = looked_after_kai(app)
    run = kai.app.execute
    who = kai.child_id
    run(
        who,
        c.ChangeLegalStatus(effective_date=date(2022, 3, 1), legal_status="C2"),
        path={"period_id": kai.period_id},
    )
    allocate = c.AllocateSocialWorker.model_construct
    run(who, allocate(effective_date=date(2022, 1, 10), social_worker_id="sw-1", team="north-1"))
    run(
        who,
        allocate(
            effective_date=date(2024, 7, 1),
            social_worker_id="sw-2",
            team="north-2",
            reason="LEFTRL",
        ),
    )
    run(who, c.AppointIro(effective_date=date(2022, 1, 20), iro_id="iro-3"))
    run(who, c.AgreeCarePlan(effective_date=date(2024, 7, 1)))
    run(
        who,
        c.AgreePermanencePlan(effective_date=date(2024, 7, 1), plan_type="long_term_fostering"),
    )
    hold_review(kai, date(2022, 2, 4))
    hold_review(kai, date(2022, 5, 4))
    brought_forward, next_one = uuid4(), uuid4()
    schedule_review(kai, brought_forward, date(2024, 7, 3))
    schedule_review(kai, next_one, date(2024, 12, 1))
    hold_review(kai, date(2024, 7, 1), brought_forward)
    visit(kai, date(2024, 7, 1))
    for day, kind in ((date(2022, 1, 10), "initial"), (date(2024, 6, 3), "review")):
        run(who, c.RecordHealthAssessment(effective_date=day, kind=kind))
    go_missing(kai, date(2024, 6, 28))
    run(who, c.RecordEligibility(effective_date=date(2023, 5, 10), status="eligible"))
    run(who, c.AppointPersonalAdviser(effective_date=date(2023, 5, 1), personal_adviser_id="pa-9"))
    run(who, c.AgreePathwayPlan(effective_date=date(2023, 5, 10)))
    for day in (date(2023, 11, 1), date(2024, 7, 1)):
        run(who, c.ReviewPathwayPlan(effective_date=day))
    run(
        who,
        c.RecordInTouchContact(contact_id=uuid4(), contact_date=date(2024, 7, 1), in_touch="YES"),
    )

    summary = app.summarise_case(who, as_at=date(2024, 7, 1))
    assert summary.as_dict() == {
        "child_id": who,
        "as_at": date(2024, 7, 1),
        "local_child_id": "KAI04",
        "date_of_birth": date(2007, 5, 10),
        "age": 17,
        "sex": "M",
        "ethnicity": "APKN",
        "uasc": False,
        "looked_after": True,
        "current_period": {
            "period_id": kai.period_id,
            "start_date": date(2022, 1, 10),
            "legal_status": "C2",
            "category_of_need": "N4",
        },
        "periods_of_care": 1,
        "allocated_worker": {
            "social_worker_id": "sw-2",
            "team": "north-2",
            "since": date(2024, 7, 1),
        },
        "social_worker_changes_in_last_year": 1,
        "iro_id": "iro-3",
        "care_plan_agreed": date(2024, 7, 1),
        "care_plan_due": None,
        "permanence_plan_type": "long_term_fostering",
        "permanence_plan_agreed": date(2024, 7, 1),
        "permanence_plan_due": None,
        "last_review": date(2024, 7, 1),
        "next_review_due": date(2025, 1, 1),  # six months after the latest
        # Not 3 July: that review was held on the day.
        "next_review_scheduled": date(2024, 12, 1),
        "last_visit": date(2024, 7, 1),
        # Long-term fostering, after the placement's first year: three-monthly.
        "next_visit_due": date(2024, 10, 1),
        "visit_overdue": False,
        "last_health_assessment": date(2024, 6, 3),
        "next_health_assessment_due": date(2025, 6, 3),  # 17: yearly
        "health_assessment_overdue": False,
        "open_missing_episodes": 1,
        "care_leaver_status": "eligible",
        "personal_adviser_id": "pa-9",
        "pathway_plan_agreed": date(2023, 5, 10),
        "pathway_plan_review_due": date(2025, 1, 1),  # six months after the latest review
        "last_in_touch_contact": date(2024, 7, 1),
        "in_touch_contact_due": date(2024, 8, 26),  # eight weeks on
        "staying_put": False,
        "adoption": None,
    }

    # Early on, only what had happened by then: the first review, the first assessment.
    early = app.summarise_case(who, as_at=date(2022, 2, 28))
    assert early.current_period is not None and early.current_period.legal_status == "V2"
    assert (early.last_review, early.next_review_due) == (date(2022, 2, 4), date(2022, 5, 4))
    assert (early.last_health_assessment, early.next_health_assessment_due) == (
        date(2022, 1, 10),
        date(2023, 1, 10),  # 14: yearly
    )
    assert early.allocated_worker == AllocatedWorker("sw-1", "north-1", date(2022, 1, 10))
    assert (early.care_leaver_status, early.personal_adviser_id) == (None, None)
    assert (early.pathway_plan_agreed, early.pathway_plan_review_due) == (None, None)
    # A review scheduled for the day is still the next one scheduled on that day.
    assert app.summarise_case(who, as_at=date(2024, 12, 1)).next_review_scheduled == date(
        2024, 12, 1
    )


def test_before_she_is_looked_after_amira_has_no_period_no_plans_and_no_deadlines(
    app: Casefile, child_id: UUID
) -> None:
    """Registered 2 January 2024, not yet looked after: nothing is due."""
    summary = app.summarise_case(child_id, as_at=date(2024, 1, 5))
    assert summary.as_dict() == {
        "child_id": child_id,
        "as_at": date(2024, 1, 5),
        "local_child_id": "AMIRA01",
        "date_of_birth": date(2015, 3, 1),
        "age": 8,
        "sex": "F",
        "ethnicity": "BAFR",
        "uasc": False,
        "looked_after": False,
        "current_period": None,
        "periods_of_care": 0,
        "allocated_worker": None,
        "social_worker_changes_in_last_year": 0,
        "iro_id": None,
        "care_plan_agreed": None,
        "care_plan_due": None,
        "permanence_plan_type": None,
        "permanence_plan_agreed": None,
        "permanence_plan_due": None,
        "last_review": None,
        "next_review_due": None,
        "next_review_scheduled": None,
        "last_visit": None,
        "next_visit_due": None,
        "visit_overdue": False,
        "last_health_assessment": None,
        "next_health_assessment_due": None,
        "health_assessment_overdue": False,
        "open_missing_episodes": 0,
        "care_leaver_status": None,
        "personal_adviser_id": None,
        "pathway_plan_agreed": None,
        "pathway_plan_review_due": None,
        "last_in_touch_contact": None,
        "in_touch_contact_due": None,
        "staying_put": False,
        "adoption": None,
    }


def test_the_summary_shows_the_plan_for_adoption(case: Case) -> None:
    case.app.execute(case.child_id, c.RecordAdoptionDecision(effective_date=date(2024, 3, 1)))
    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 3, 1))
    assert summary.adoption == AdoptionProgress(decision_date=date(2024, 3, 1))


@pytest.mark.parametrize(
    ("uasc", "ceased", "as_at", "shown"),
    [
        (False, None, date(2024, 1, 8), False),
        (True, None, date(2024, 1, 8), True),
        (True, date(2024, 1, 9), date(2024, 1, 8), True),  # the day before it ceased
        (True, date(2024, 1, 9), date(2024, 1, 9), False),  # the day it ceased
    ],
)
def test_a_child_is_shown_as_uasc_until_the_day_that_status_ceased(
    app: Casefile, uasc: bool, ceased: date | None, as_at: date, shown: bool
) -> None:
    child_id = app.register_child(
        c.RegisterChild(
            local_child_id="UASC01",
            date_of_birth=date(2008, 6, 1),
            sex="M",
            ethnicity="AOTH",
            registration_date=date(2024, 1, 2),
            uasc=uasc,
            uasc_ceased_date=ceased,
        )
    )
    assert app.summarise_case(child_id, as_at=as_at).uasc is shown
