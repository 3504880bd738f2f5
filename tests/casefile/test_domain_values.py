"""Periods of care as values: whole days that may touch but not share a day of care.

Amira is looked after from Monday 8 January 2024 (C1), under a care order (C2) from
1 March 2024.
"""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from services.casefile.domain.values import LegalStatusSpell, PeriodOfCare

AMIRAS = PeriodOfCare(
    period_id=uuid4(),
    start_date=date(2024, 1, 8),
    category_of_need="N1",
    legal_statuses=(
        LegalStatusSpell(date(2024, 1, 8), "C1"),
        LegalStatusSpell(date(2024, 3, 1), "C2"),
    ),
    end_date=date(2024, 6, 28),
    reason_ceased="E4A",
)


@pytest.mark.parametrize(
    ("start", "end", "overlaps"),
    [
        (date(2023, 12, 1), date(2024, 1, 8), False),  # ends the day hers starts
        (date(2023, 12, 1), date(2024, 1, 9), True),  # shares 8 January
        (date(2024, 6, 28), None, False),  # starts the day hers ended
        (date(2024, 6, 27), None, True),  # shares 27 June
        (date(2024, 2, 1), date(2024, 2, 2), True),  # within it
    ],
)
def test_periods_of_care_overlap_only_if_they_share_a_day_of_care(
    start: date, end: date | None, overlaps: bool
) -> None:
    assert AMIRAS.overlaps(start, end) is overlaps


@pytest.mark.parametrize(
    ("day", "legal_status"),
    [
        (date(2024, 1, 7), None),  # before she was looked after
        (date(2024, 1, 8), "C1"),
        (date(2024, 2, 29), "C1"),
        (date(2024, 3, 1), "C2"),  # from the day it changed
        (date(2024, 6, 28), "C2"),  # the last day, on which things may still happen
        (date(2024, 6, 29), None),
    ],
)
def test_the_legal_status_on_a_day_is_the_one_in_force_that_day(
    day: date, legal_status: str | None
) -> None:
    assert AMIRAS.legal_status_on(day) == legal_status
