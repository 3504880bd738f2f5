"""Periods of care, as this service learns them from the casefile service.

The casefile service owns periods of care; this service never calls it or
imports its code (DESIGN.md, "How services learn from each other"). The
application layer keeps a projection of casefile's integration events and
passes the child's periods into each command as these value objects, so the
domain can check that a placement lies within one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class PeriodOfCare:
    """From the day a child became looked after to the day they ceased (SSDA903 DECOM..DEC).

    `end` is the day the child ceased to be looked after, so the period covers
    `start <= day < end`: on the day of ceasing the child is no longer looked
    after at the end of the day (DfE counts a child ceasing on 31 March as
    having ceased during the year, not as looked after at 31 March). `None`
    means the child is still looked after.
    """

    start: date
    end: date | None = None

    def __post_init__(self) -> None:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"period of care ends ({self.end}) before it starts ({self.start})")

    def covers(self, day: date) -> bool:
        """Was the child looked after on `day` (at the end of that day)?"""
        return self.start <= day and (self.end is None or day < self.end)

    def allows_end_on(self, day: date) -> bool:
        """Can something that began in this period end on `day`?

        A placement may end on the day the period ends (the child moves out the
        day they leave care), but not after.
        """
        return self.end is None or day <= self.end


def period_covering(periods: Iterable[PeriodOfCare], day: date) -> PeriodOfCare | None:
    """The period of care the child was in on `day`, if any."""
    for period in periods:
        if period.covers(day):
            return period
    return None
