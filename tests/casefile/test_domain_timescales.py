"""Statutory timescales: data with defaults, counted in England's working days."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from services.casefile.domain.timescales import (
    DEFAULT_TIMESCALES,
    StatutoryTimescales,
    add_months,
    add_working_days,
)


def test_working_days_skip_weekends_and_english_bank_holidays() -> None:
    """Looked after Friday 20 December 2024; 20 working days on:

    Dec 23, 24 (2); 25 and 26 are bank holidays; 27, 30, 31 (5); 1 January is a
    bank holiday; Jan 2, 3 (7); 6-10 (12); 13-17 (17); 20, 21, 22 (20).
    """
    assert add_working_days(date(2024, 12, 20), 20) == date(2025, 1, 22)
    assert DEFAULT_TIMESCALES.first_review_due(date(2024, 12, 20)) == date(2025, 1, 22)


def test_one_off_bank_holidays_count() -> None:
    # Monday 8 May 2023 was the coronation bank holiday: Friday 5 May + 1 working day = 9 May.
    assert add_working_days(date(2023, 5, 5), 1) == date(2023, 5, 9)


def test_add_months_keeps_to_the_end_of_short_months() -> None:
    assert add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert add_months(date(2023, 8, 31), 6) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 15), 3) == date(2025, 2, 15)


def test_review_sequence() -> None:
    t = DEFAULT_TIMESCALES
    started = date(2024, 1, 8)
    assert t.next_review_due(started, []) == date(2024, 2, 5)
    assert t.next_review_due(started, [date(2024, 2, 2)]) == date(2024, 5, 2)
    assert t.next_review_due(started, [date(2024, 4, 29), date(2024, 2, 2)]) == date(2024, 10, 29)


def test_council_overrides() -> None:
    # The seed strategy measures the care plan at 20 working days, not the statutory 10.
    council = StatutoryTimescales.from_mapping({"care_plan_working_days": 20})
    assert council.care_plan_due(date(2024, 1, 8)) == date(2024, 2, 5)
    assert DEFAULT_TIMESCALES.care_plan_due(date(2024, 1, 8)) == date(2024, 1, 22)
    assert replace(DEFAULT_TIMESCALES, in_touch_weeks=4).in_touch_contact_due(
        date(2025, 7, 1)
    ) == date(2025, 7, 29)
    with pytest.raises(ValueError, match="unknown timescales"):
        StatutoryTimescales.from_mapping({"care_plan_days": 20})


def test_pathway_plan_due_by_16th_birthday() -> None:
    assert DEFAULT_TIMESCALES.pathway_plan_due(date(2008, 2, 29)) == date(2024, 2, 29)
    assert DEFAULT_TIMESCALES.pathway_plan_due(date(2009, 2, 28)) == date(2025, 2, 28)


def test_a_council_is_told_every_timescale_it_named_that_does_not_exist() -> None:
    with pytest.raises(ValueError, match=r"^unknown timescales: care_plan_days, visit_days$"):
        StatutoryTimescales.from_mapping(
            {"visit_days": 5, "care_plan_days": 20, "in_touch_weeks": 4}
        )


def test_working_days_count_the_bank_holidays_of_the_councils_nation() -> None:
    """Friday 29 December 2023 + 2 working days: 1 January is a bank holiday everywhere,
    2 January in Scotland only."""
    england = DEFAULT_TIMESCALES
    scotland = StatutoryTimescales.from_mapping({"bank_holiday_subdivision": "SCT"})
    assert england.add_working_days(date(2023, 12, 29), 2) == date(2024, 1, 3)
    assert scotland.add_working_days(date(2023, 12, 29), 2) == date(2024, 1, 4)
    assert scotland.first_review_due(date(2023, 12, 29)) == date(2024, 1, 30)
    assert england.first_review_due(date(2023, 12, 29)) == date(2024, 1, 29)


def test_later_reviews_are_due_six_months_after_the_latest() -> None:
    held = [date(2024, 2, 2), date(2024, 10, 1), date(2024, 4, 29)]
    assert DEFAULT_TIMESCALES.next_review_due(date(2024, 1, 8), held) == date(2025, 4, 1)


def test_a_placement_not_agreed_long_term_is_visited_six_weekly_after_its_first_year() -> None:
    start = date(2024, 1, 8)
    assert DEFAULT_TIMESCALES.next_visit_due(start, [date(2025, 3, 3)]) == date(2025, 4, 14)


def test_an_assessment_on_the_day_care_began_is_the_initial_one() -> None:
    """Looked after from Monday 8 January 2024, assessed that day, aged 8: next in a year."""
    due = DEFAULT_TIMESCALES.next_health_assessment_due(
        date(2024, 1, 8), [date(2024, 1, 8)], date(2015, 3, 1)
    )
    assert due == date(2025, 1, 8)
