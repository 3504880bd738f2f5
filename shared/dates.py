"""The council's calendar: what day it is in England, and how old a child is on a day.

A child's record is kept in whole days as the council lives them. Servers and
containers run in UTC, so `date.today()` is yesterday between 00:00 and 01:00
in British Summer Time; every "today" in Belonging comes from here.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

ENGLAND = ZoneInfo("Europe/London")


def today() -> date:
    """The date now in England: the day a command is recorded on."""
    return datetime.now(ENGLAND).date()


def age_on(date_of_birth: date, day: date) -> int:
    """Age in whole years on `day`.

    Someone born on 29 February turns a year older on 1 March in common years
    (as the Family Law Reform Act 1969 s.9 is read for children in care).
    """
    had_birthday = (day.month, day.day) >= (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - (0 if had_birthday else 1)
