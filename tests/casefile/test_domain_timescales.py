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
