"""School years and terms as data: England's defaults, overridable by a council.

The Stability Index counts *mid-year* school moves: a child starting at a new
school during a school year rather than at the normal point of transition
(Children's Commissioner for England, Stability Index technical report: moves
"outside the normal transition points"). Which days count is a calendar
question, so it is data here (docs/adr/0008-statutory-timescales-as-data.md):

- a school year starts on `year_starts` (1 September) and ends the day before
  the next one starts;
- a start at a new school inside `transition` (20 July to 30 September by
  default: joining over the summer or in the first weeks of the autumn term)
  is at the normal transition point; any other start, after a previous school,
  is a mid-year move;
- the terms (autumn, spring, summer) say which term a day belongs to: a PEP is
  reviewed each term, so a PEP is current on a day if a review was held in that
  term or the term before it is the one the PEP was started in.

A council's own dates are given as JSON in `EDUCATION_SCHOOL_CALENDAR`
(`SchoolCalendar.model_validate_json`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

MonthDay = Annotated[tuple[int, int], Field(description="(month, day)")]


class Term(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    #: The (month, day) the term starts; it lasts until the next term starts.
    starts: MonthDay


def _valid(month_day: tuple[int, int]) -> None:
    month, day = month_day
    date(2001, month, day)  # ValueError if there is no such day (29 Feb is not allowed)


class SchoolCalendar(BaseModel):
    """When school years and terms start, and the normal transition window."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year_starts: MonthDay = (9, 1)
    transition: tuple[MonthDay, MonthDay] = ((7, 20), (9, 30))
    terms: tuple[Term, ...] = (
        Term(name="autumn", starts=(9, 1)),
        Term(name="spring", starts=(1, 1)),
        Term(name="summer", starts=(4, 1)),
    )

    @model_validator(mode="after")
    def _checked(self) -> SchoolCalendar:
        for month_day in (self.year_starts, *self.transition, *(t.starts for t in self.terms)):
            _valid(month_day)
        if not self.terms:
            raise ValueError("a school year has at least one term")
        if self.terms[0].starts != self.year_starts:
            raise ValueError("the first term starts when the school year starts")
        return self

    # ------------------------------------------------------------------ years

    def year_start(self, day: date) -> date:
        """The first day of the school year `day` is in."""
        month, dom = self.year_starts
        start = date(day.year, month, dom)
        return start if day >= start else date(day.year - 1, month, dom)

    def year_end(self, day: date) -> date:
        start = self.year_start(day)
        return date(start.year + 1, start.month, start.day) - timedelta(days=1)

    def academic_year(self, day: date) -> str:
        """ "2024/25" for a day in the school year starting in 2024."""
        start = self.year_start(day).year
        return f"{start}/{(start + 1) % 100:02d}"

    # ------------------------------------------------------------------ terms

    def term_start(self, day: date) -> date:
        """The first day of the term `day` is in."""
        starts = self._term_starts(self.year_start(day))
        return max(s for s in starts if s <= day)

    def previous_term_start(self, day: date) -> date:
        return self.term_start(self.term_start(day) - timedelta(days=1))

    def term_name(self, day: date) -> str:
        start = self.term_start(day)
        return next(t.name for t in self.terms if (start.month, start.day) == t.starts)

    def _term_starts(self, year_start: date) -> list[date]:
        starts = []
        for term in self.terms:
            month, dom = term.starts
            year = year_start.year if (month, dom) >= self.year_starts else year_start.year + 1
            starts.append(date(year, month, dom))
        return sorted(starts)

    # ------------------------------------------------------------------ moves

    def at_transition(self, day: date) -> bool:
        """Whether a start at a new school on `day` is at the normal transition point."""
        (m1, d1), (m2, d2) = self.transition
        here = (day.month, day.day)
        if (m1, d1) <= (m2, d2):
            return (m1, d1) <= here <= (m2, d2)
        return here >= (m1, d1) or here <= (m2, d2)  # a window across the new year


ENGLAND = SchoolCalendar()
