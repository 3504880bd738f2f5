"""The case summary: deadlines from the timescales, and the bugs it once had.

Amira (born 1 March 2015) is looked after from Monday 8 January 2024.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from services.casefile.domain import commands as c
from services.casefile.domain import errors
from services.casefile.domain.timescales import DEFAULT_TIMESCALES

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
