"""Compulsory school age (Education Act 1996 s.8), with DfE's worked dates."""

from __future__ import annotations

from datetime import date

import pytest

from shared.dates import of_compulsory_school_age


@pytest.mark.parametrize(
    ("born", "day", "expected"),
    [
        # 5th birthday 2 April 2024: from the next prescribed day, 31 August 2024
        (date(2019, 4, 2), date(2024, 8, 30), False),
        (date(2019, 4, 2), date(2024, 8, 31), True),
        # 5th birthday on a prescribed day (31 December 2023): from that day
        (date(2018, 12, 31), date(2023, 12, 31), True),
        (date(2018, 12, 31), date(2023, 12, 30), False),
        # turns 16 on 1 September 2024: leaves on the last Friday of June 2025
        (date(2008, 9, 1), date(2025, 6, 27), True),
        (date(2008, 9, 1), date(2025, 6, 28), False),
        # turns 16 on 31 August 2024: leaves on the last Friday of June 2024
        (date(2008, 8, 31), date(2024, 6, 28), True),
        (date(2008, 8, 31), date(2024, 6, 29), False),
        # 29 February: the 5th birthday is 1 March in a common year
        (date(2016, 2, 29), date(2021, 3, 31), True),
        (date(2016, 2, 29), date(2021, 3, 30), False),
    ],
)
def test_compulsory_school_age(born: date, day: date, expected: bool) -> None:
    assert of_compulsory_school_age(born, day) is expected
