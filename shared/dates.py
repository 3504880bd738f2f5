"""The council's calendar: what day it is in England, and how old a child is on a day.

A child's record is kept in whole days as the council lives them, between 1900
and 2199 (`Day`, `Moment`: how every date in a request is checked). Servers and
containers run in UTC, so `date.today()` is yesterday between 00:00 and 01:00
in British Summer Time; every "today" in Belonging comes from here.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import holidays
from pydantic import AfterValidator, BeforeValidator, Field

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


def years_before(day: date, years: int) -> date:
    """The same date `years` earlier; 29 February becomes 28 February."""
    year = day.year - years
    if (day.month, day.day) == (2, 29) and not _leap(year):
        return date(year, 2, 28)
    return day.replace(year=year)


def year_before(day: date) -> tuple[date, date]:
    """The year before `day`: (first day, `day`), both included. The one definition.

    DfE's "during the year" for the year ending 31 March 2024 is 1 April 2023
    to 31 March 2024 (the SSDA903 collection year; the placement stability
    indicators count placements "during the year"), so the window starts the
    day after `day` minus one year: always twelve calendar months, 366 days
    when a 29 February falls in it and 365 otherwise, never a fixed count of
    days. For a 29 February the window starts on 1 March of the year before.
    Every "in the last year" measure uses this: the placement stability
    indicators and the Children's Commissioner's Stability Index (placements),
    and the case summary's social worker changes (casefile).
    """
    return years_before(day, 1) + timedelta(days=1), day


@lru_cache(maxsize=8)
def _birthday(date_of_birth: date, years: int) -> date:
    """The `years`th birthday; 29 February falls on 1 March in a common year."""
    try:
        return date_of_birth.replace(year=date_of_birth.year + years)
    except ValueError:
        return date(date_of_birth.year + years, 3, 1)


def of_compulsory_school_age(date_of_birth: date, day: date) -> bool:
    """Whether a child is of compulsory school age on `day` (Education Act 1996 s.8).

    It begins on the first prescribed day (31 August, 31 December, 31 March)
    on or after the fifth birthday, and ends on the last Friday in June of the
    school year (1 September to 31 August) in which the child turns 16.
    """
    fifth = _birthday(date_of_birth, 5)
    prescribed = sorted(
        date(year, month, 31) for year in (fifth.year, fifth.year + 1) for month in (3, 8, 12)
    )
    begins = next(d for d in prescribed if d >= fifth)
    sixteenth = _birthday(date_of_birth, 16)
    leaving_year = sixteenth.year + (1 if sixteenth.month >= 9 else 0)
    june_end = date(leaving_year, 6, 30)
    ends = june_end - timedelta(days=(june_end.weekday() - 4) % 7)  # the last Friday
    return begins <= day <= ends


@lru_cache(maxsize=512)
def _bank_holidays(subdivision: str, year: int) -> frozenset[date]:
    """One year's bank holidays, worked out once per process.

    Building a `holidays` calendar reads its translations from disk; doing it
    for every day counted cost a case read 4 ms (docs/bench-api.md). A frozen
    set is safe to share between request threads, unlike the calendar, which
    fills in years as it is asked.
    """
    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=year))


def is_working_day(day: date, subdivision: str = "ENG") -> bool:
    """Not a weekend nor a bank holiday of `subdivision` (a `holidays` GB subdivision)."""
    return day.weekday() < 5 and day not in _bank_holidays(subdivision, day.year)


def add_working_days(start: date, days: int, subdivision: str = "ENG") -> date:
    """The date `days` working days after `start` (`start` itself is day 0).

    "Within 20 working days of" a Monday that starts an ordinary week is the
    Monday four weeks later. Every statutory timescale in working days counts here.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, subdivision):
            counted += 1
    return day


def add_months(start: date, months: int) -> date:
    """The same day `months` calendar months later, or the month's last day if it is shorter.

    31 August plus 6 months is 28 February (29th in a leap year).
    """
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


#: The days a record may speak of: from 1900 (the oldest date of birth a care
#: record could hold, with room) to 2199. Outside them is a typing error, and
#: some (year 1, year 9999) cannot even be stored or counted from.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*")


def _written(pattern: re.Pattern[str], message: str) -> Callable[[object], object]:
    """A check that a value is written as `pattern`: a string, never a number
    (pydantic would read a number as Unix time)."""

    def check(value: object) -> object:
        if isinstance(value, int | float) or (
            isinstance(value, str) and not pattern.fullmatch(value.strip())
        ):
            raise ValueError(message)
        return value

    return check


_iso_day = _written(_ISO_DAY, "a date is written YYYY-MM-DD")
_iso_moment = _written(_ISO_MOMENT, "a moment is written YYYY-MM-DDTHH:MM:SS, with its offset")


#: The days from FIRST_DAY to LAST_DAY as the OpenAPI document gives them: JSON
#: Schema bounds no dates, so the years are in the pattern.
DAY_PATTERN = r"^(19[0-9]{2}|20[0-9]{2}|21[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def _documented_day(schema: dict[str, Any]) -> None:
    """The document says which days are taken (pydantic's `ge`/`le` are not JSON Schema)."""
    schema.pop("ge", None)
    schema.pop("le", None)
    schema["pattern"] = DAY_PATTERN


#: A day, as every date in a request is checked.
Day = Annotated[
    date,
    BeforeValidator(_iso_day),
    Field(ge=FIRST_DAY, le=LAST_DAY, json_schema_extra=_documented_day),
]


def _moment_within(value: datetime) -> datetime:
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    # The day as written, as the document's pattern reads it (in UTC it may be a
    # day either side, and 1900 to 2199 leaves room for that).
    if not FIRST_DAY <= moment.date() <= LAST_DAY:
        raise ValueError(f"a moment between {FIRST_DAY} and {LAST_DAY}")
    return moment


#: A moment as the OpenAPI document gives it: RFC 3339 with its offset, on a day
#: from FIRST_DAY to LAST_DAY. (The server also takes a space for the `T`, and
#: a moment without an offset as UTC.)
MOMENT_PATTERN = (
    r"^(19[0-9]{2}|20[0-9]{2}|21[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)

#: A moment (recorded time), as every date-time in a request is checked.
Moment = Annotated[
    datetime,
    BeforeValidator(_iso_moment),
    AfterValidator(_moment_within),
    Field(json_schema_extra={"pattern": MOMENT_PATTERN}),
]
