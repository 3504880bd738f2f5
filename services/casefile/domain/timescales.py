"""Statutory timescales as data, with England's defaults, and the calendar they count in.

Every deadline is a field of `StatutoryTimescales` (never a literal in code)
with England's default, which a council overrides with `from_mapping(...)`.
Working days exclude weekends and England's bank holidays (the `holidays` package).
See docs/adr/0008-statutory-timescales-as-data.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from typing import Any

# The calendar every service counts in (shared, so health's timescales count the same days).
from shared.dates import add_months as add_months
from shared.dates import add_working_days as add_working_days
from shared.dates import age_on
from shared.dates import is_working_day as is_working_day


@dataclass(frozen=True)
class StatutoryTimescales:
    """Deadlines the casefile computes, with England's statutory defaults.

    Regulations: the Care Planning, Placement and Case Review (England)
    Regulations 2010 ("CPPCR") and the Care Leavers (England) Regulations 2010.
    """

    #: CPPCR reg. 4: the care plan within 10 working days of the first placement.
    care_plan_working_days: int = 10
    #: Seed strategy KPI (statutory: by the second review).
    permanence_plan_days: int = 120
    #: CPPCR reg. 33(1)(a): first review within 20 working days of becoming looked after.
    first_review_working_days: int = 20
    #: CPPCR reg. 33(1)(b): second review within 3 months of the first.
    second_review_months: int = 3
    #: CPPCR reg. 33(1)(c): later reviews at intervals of not more than 6 months.
    later_review_months: int = 6
    #: CPPCR reg. 28: a visit within 1 week of a placement starting ...
    first_visit_days: int = 7
    #: ... then at intervals of not more than 6 weeks in the first year ...
    visit_interval_weeks: int = 6
    #: ... then not more than 3 months where the placement is agreed to be long-term.
    long_term_visit_interval_months: int = 3
    #: Statutory guidance on the health of looked-after children (2015): the initial
    #: health assessment within 20 working days of becoming looked after ...
    initial_health_assessment_working_days: int = 20
    #: ... then reviewed every 6 months while the child is under 5 ...
    health_review_months_under_5: int = 6
    #: ... and every 12 months from their 5th birthday.
    health_review_months_from_5: int = 12
    #: The age from which health assessments are reviewed yearly.
    health_review_yearly_from_age: int = 5
    #: Pathway plan by the 16th birthday of an eligible child.
    pathway_plan_by_age: int = 16
    #: Care Leavers (England) Regulations 2010: pathway plan reviewed at least every 6 months.
    pathway_plan_review_months: int = 6
    #: Seed strategy KPI: a care leaver in touch at least every 8 weeks.
    in_touch_weeks: int = 8
    #: Whose bank holidays count as non-working days (a `holidays` GB subdivision).
    bank_holiday_subdivision: str = "ENG"

    @classmethod
    def from_mapping(cls, overrides: Mapping[str, Any]) -> StatutoryTimescales:
        """Defaults with a council's overrides; unknown names are refused, not ignored."""
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown timescales: {', '.join(sorted(unknown))}")
        return replace(cls(), **overrides)

    def add_working_days(self, start: date, days: int) -> date:
        return add_working_days(start, days, self.bank_holiday_subdivision)

    def care_plan_due(self, became_looked_after: date) -> date:
        return self.add_working_days(became_looked_after, self.care_plan_working_days)

    def permanence_plan_due(self, became_looked_after: date) -> date:
        return became_looked_after + timedelta(days=self.permanence_plan_days)

    def first_review_due(self, became_looked_after: date) -> date:
        return self.add_working_days(became_looked_after, self.first_review_working_days)

    def next_review_due(self, became_looked_after: date, reviews_held: Iterable[date]) -> date:
        """When the next looked-after review is due in a period of care (CPPCR reg. 33)."""
        held = sorted(reviews_held)
        if not held:
            return self.first_review_due(became_looked_after)
        if len(held) == 1:
            return add_months(held[0], self.second_review_months)
        return add_months(held[-1], self.later_review_months)

    def next_visit_due(
        self, placement_start: date, visits: Iterable[date], *, long_term: bool = False
    ) -> date:
        """The last day for the next statutory visit (CPPCR reg. 28(2)).

        Within `first_visit_days` of the placement starting; then within
        `visit_interval_weeks` of the last visit while that visit was in the
        placement's first year; after it, within `long_term_visit_interval_months`
        where the placement is agreed to be long-term, else `visit_interval_weeks`.
        Visits before the placement started do not count.
        """
        made = [v for v in visits if v >= placement_start]
        if not made:
            return placement_start + timedelta(days=self.first_visit_days)
        last = max(made)
        if long_term and last >= add_months(placement_start, 12):
            return add_months(last, self.long_term_visit_interval_months)
        return last + timedelta(weeks=self.visit_interval_weeks)

    def initial_health_assessment_due(self, became_looked_after: date) -> date:
        return self.add_working_days(
            became_looked_after, self.initial_health_assessment_working_days
        )

    def next_health_assessment_due(
        self, became_looked_after: date, assessments: Iterable[date], date_of_birth: date
    ) -> date:
        """The initial assessment's deadline until one is done; then the next review's,
        six-monthly while the child is under 5 on the last assessment, yearly after."""
        done = [a for a in assessments if a >= became_looked_after]
        if not done:
            return self.initial_health_assessment_due(became_looked_after)
        last = max(done)
        under_5 = age_on(date_of_birth, last) < self.health_review_yearly_from_age
        months = self.health_review_months_under_5 if under_5 else self.health_review_months_from_5
        return add_months(last, months)

    def pathway_plan_due(self, date_of_birth: date) -> date:
        return add_months(date_of_birth, 12 * self.pathway_plan_by_age)

    def pathway_plan_review_due(self, last_agreed_or_reviewed: date) -> date:
        return add_months(last_agreed_or_reviewed, self.pathway_plan_review_months)

    def in_touch_contact_due(self, last_contact: date) -> date:
        return last_contact + timedelta(weeks=self.in_touch_weeks)


DEFAULT_TIMESCALES = StatutoryTimescales()
