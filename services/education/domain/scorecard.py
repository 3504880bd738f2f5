"""The scorecard's education measures as of a day: pure functions of each child's facts.

The Corporate Parenting Board's scorecard (seed 001, section 3.5, "Looked After
Children Education") has five education rows. Each is computed here for any
day, from each child's education record as state (valid time: only facts dated
on or before the day count; recorded time is the caller's, who folds the state
from the events recorded by then) and casefile's date of birth and periods of
care. A period of care covers `start <= day < end` (DfE counts a child ceasing
on 31 March as not looked after at 31 March).

1. `pep_current`: of the children looked after on the day and of compulsory
   school age then (Education Act 1996 s.8, `of_compulsory_school_age`), whose
   first PEP is due (the seed's "eligible": not those looked after for fewer
   than `PepTimescales.initial_days` with no PEP yet), those whose PEP is
   `current` by the status rule (a PEP meeting this term or last; status.py).
2. `pep_within_20_days`: of the children who became looked after in the year
   before the day (`shared.dates.year_before`; a child entering twice counts
   once, on the first entry) and were of compulsory school age on that day,
   those with a PEP meeting (initiation or review) within `initial_days` of
   it. A child whose `initial_days` have not yet passed, with no PEP yet, is
   not counted (not yet due).
3. `ks2_expected_standard` and 4. `ks4_english_maths_grade_4`: for the latest
   school year ended before the day (its results are in), the children looked
   after on its 31 March continuously for at least 12 months (the period of
   care covering 31 March began on or before the first day of
   `year_before(31 March)`, 1 April the year before), in Year 6 (Year 11) that
   school year: by age (10 (15) on 31 August before the year starts), or
   with a KS2 (KS4) result recorded for that year (taught out of their year
   group); not a child of that age whose result is recorded for another year.
   KS2: reached the expected standard in reading, writing and maths (DfE's
   measure since 2016; the seed's "level 4" is its old name). KS4: grade 4 or
   above in English and maths (DfE's measure for 9-1 GCSEs since 2017; it
   replaces the seed's "five A*-C including English and maths", which DfE no
   longer publishes: the seed's 36% target was set for that measure).
5. `permanent_exclusions`: the number of children with a permanent exclusion
   starting in the school year up to the day, while looked after (any school,
   in or out of the county); of the children looked after on any day of it.

A percentage is `None`, with the reason, when its denominator is 0 or when a
child's data is missing (`unknown`: a child whose date of birth is not known,
who may be in the cohort; a child in the cohort with no result recorded): never
0 % for want of data (docs/adr/0002's rule).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from services.education.domain.calendar import SchoolCalendar
from services.education.domain.state import EducationState
from services.education.domain.status import PepTimescales, status_on
from shared.dates import age_on, of_compulsory_school_age, year_before

Unit = Literal["percent", "count"]
SEED = "Corporate Parenting Board scorecard, 2016 (seed 001, section 3.5)"


@dataclass(frozen=True)
class ChildFacts:
    """What the scorecard knows of a child: casefile's facts and the education record."""

    child_id: str
    date_of_birth: date | None
    #: Periods of care, (start, end): looked after on `start <= day < end`.
    periods: tuple[tuple[date, date | None], ...]
    state: EducationState


@dataclass(frozen=True)
class Measure:
    key: str
    title: str
    unit: Unit
    numerator: int
    denominator: int
    #: Children whose data is missing: who may be in the cohort, or are in it
    #: without the fact measured. While any, the percentage is None.
    unknown: int
    #: The first and last day the measure looks at.
    period: tuple[date, date]
    target: float | None
    target_note: str | None
    definition: str
    source: str
    #: Every child counted (the denominator and the unknown): their reads are logged.
    children: frozenset[str]

    @property
    def percentage(self) -> float | None:
        if self.denominator == 0 or self.unknown:
            return None
        exact = Decimal(100 * self.numerator) / Decimal(self.denominator)
        return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))

    @property
    def value(self) -> float | None:
        """The figure to set beside the target: the percentage, or the count."""
        if self.unit == "count":
            return float(self.numerator)
        return self.percentage

    @property
    def reason(self) -> str | None:
        """Why the percentage is None (nothing when it is given)."""
        if self.unknown:
            return (
                f"{self.unknown} {'child' if self.unknown == 1 else 'children'} "
                f"{_MISSING[self.key]}"
            )
        if self.denominator == 0:
            return _EMPTY[self.key]
        return None


_MISSING = {
    "pep_current": "without a known date of birth (compulsory school age unknown)",
    "pep_within_20_days": "without a known date of birth (compulsory school age unknown)",
    "ks2_expected_standard": "in or possibly in the cohort without a KS2 result recorded "
    "(reading, writing and maths) or a known date of birth",
    "ks4_english_maths_grade_4": "in or possibly in the cohort without a KS4 result recorded "
    "with grade 4 in English and maths, or a known date of birth",
    "permanent_exclusions": "with missing data",
}
_EMPTY = {
    "pep_current": "no child looked after on the day was of compulsory school age with a PEP due",
    "pep_within_20_days": "no child of compulsory school age became looked after in the year "
    "before the day with a first PEP due by then",
    "ks2_expected_standard": "no child in Year 6 had been looked after for 12 months at 31 March",
    "ks4_english_maths_grade_4": "no child in Year 11 had been looked after for 12 months at "
    "31 March",
    "permanent_exclusions": "no child was looked after in the school year",
}


@dataclass(frozen=True)
class EducationScorecard:
    as_of: date
    #: The school year the day is in ("2024/25"): PEPs, exclusions.
    academic_year: str
    #: The latest school year ended before the day ("2023/24"): key stage results.
    results_year: str
    measures: tuple[Measure, ...]

    @property
    def children(self) -> frozenset[str]:
        return frozenset().union(*(m.children for m in self.measures))


def looked_after_since(periods: Iterable[tuple[date, date | None]], day: date) -> date | None:
    """The start of the period of care covering `day` (`start <= day < end`), if any."""
    for start, end in periods:
        if start <= day and (end is None or day < end):
            return start
    return None


def first_day_needed(as_of: date, calendar: SchoolCalendar) -> date:
    """The earliest day a child must have been looked after on to count in any measure."""
    results_start = calendar.year_start(calendar.year_start(as_of) - timedelta(days=1))
    return min(
        year_before(as_of)[0],
        calendar.year_start(as_of),
        date(results_start.year + 1, 3, 31),
    )


def _meetings(state: EducationState, until: date) -> list[date]:
    """The days of PEP meetings (initiations and reviews) held by `until`."""
    held = [p.started for p in state.peps.values() if p.started <= until]
    return held + [r.held for r in state.reviews.values() if r.held <= until]


def scorecard(
    children: Sequence[ChildFacts],
    as_of: date,
    calendar: SchoolCalendar,
    timescales: PepTimescales = PepTimescales(),
) -> EducationScorecard:
    """The five education measures on `as_of` (module docstring: their definitions)."""
    results_start = calendar.year_start(calendar.year_start(as_of) - timedelta(days=1))
    return EducationScorecard(
        as_of=as_of,
        academic_year=calendar.academic_year(as_of),
        results_year=calendar.academic_year(results_start),
        measures=(
            pep_current(children, as_of, calendar, timescales),
            pep_within_initial_days(children, as_of, timescales),
            key_stage_measure(children, "KS2", results_start, calendar),
            key_stage_measure(children, "KS4", results_start, calendar),
            permanent_exclusions(children, as_of, calendar),
        ),
    )


def pep_current(
    children: Sequence[ChildFacts],
    as_of: date,
    calendar: SchoolCalendar,
    timescales: PepTimescales = PepTimescales(),
) -> Measure:
    numerator = denominator = unknown = 0
    counted: set[str] = set()
    for child in children:
        since = looked_after_since(child.periods, as_of)
        if since is None:
            continue
        if child.date_of_birth is None:
            unknown += 1
            counted.add(child.child_id)
            continue
        if not of_compulsory_school_age(child.date_of_birth, as_of):
            continue
        status = status_on(child.state, as_of, calendar, since, timescales, child.date_of_birth)
        if status.pep == "due":  # looked after fewer than initial_days, no PEP yet
            continue
        denominator += 1
        numerator += status.pep == "current"
        counted.add(child.child_id)
    return Measure(
        key="pep_current",
        title="Looked-after children of compulsory school age with a current PEP",
        unit="percent",
        numerator=numerator,
        denominator=denominator,
        unknown=unknown,
        period=(as_of, as_of),
        target=90.0,
        target_note=None,
        definition="Of the children looked after on the day and of compulsory school age "
        "(Education Act 1996 s.8) whose first PEP was due by then "
        f"({timescales.initial_days} days after becoming looked after), those with a current "
        "PEP: a PEP meeting (initiation or termly review) held this term or last term.",
        source=f"{SEED}: 'Percentage of eligible looked after children of statutory school "
        "age who have a current Personal Education Plan'; DfE statutory guidance 'Promoting "
        "the education of looked-after and previously looked-after children' (2018): the "
        "PEP is reviewed each term.",
        children=frozenset(counted),
    )


def pep_within_initial_days(
    children: Sequence[ChildFacts],
    as_of: date,
    timescales: PepTimescales = PepTimescales(),
) -> Measure:
    first, last = year_before(as_of)
    numerator = denominator = unknown = 0
    counted: set[str] = set()
    for child in children:
        entries = sorted(start for start, _ in child.periods if first <= start <= last)
        if not entries:
            continue
        entered = entries[0]
        if child.date_of_birth is None:
            unknown += 1
            counted.add(child.child_id)
            continue
        if not of_compulsory_school_age(child.date_of_birth, entered):
            continue
        due = entered + timedelta(days=timescales.initial_days)
        in_time = any(entered <= m <= due for m in _meetings(child.state, as_of))
        if not in_time and as_of <= due:
            continue  # not yet due
        denominator += 1
        numerator += in_time
        counted.add(child.child_id)
    days = timescales.initial_days
    return Measure(
        key="pep_within_20_days",
        title=f"New looked-after children of compulsory school age with a PEP within {days} days",
        unit="percent",
        numerator=numerator,
        denominator=denominator,
        unknown=unknown,
        period=(first, last),
        target=None,
        target_note="The seed gives no target ('tbc').",
        definition="Of the children who became looked after in the year before the day (each "
        "child once, on their first entry in it) and were of compulsory school age that day, "
        f"those with a PEP meeting (initiation or review) within {days} days of becoming "
        f"looked after. A child within their {days} days with no PEP yet is not counted.",
        source=f"{SEED}: 'Percentage of new looked after children of statutory school age "
        f"who have a PEP within 20 days of becoming looked after' ({days} days: "
        "EDUCATION_PEP_INITIAL_DAYS).",
        children=frozenset(counted),
    )


def key_stage_measure(
    children: Sequence[ChildFacts],
    key_stage: Literal["KS2", "KS4"],
    results_start: date,
    calendar: SchoolCalendar,
) -> Measure:
    """KS2 or KS4 for the school year starting on `results_start` (module docstring)."""
    academic_year = calendar.academic_year(results_start)
    march_31 = date(results_start.year + 1, 3, 31)
    twelve_months_from, _ = year_before(march_31)
    age_at_start = 10 if key_stage == "KS2" else 15  # Year 6, Year 11
    august_31 = date(results_start.year, 8, 31)
    numerator = denominator = unknown = 0
    counted: set[str] = set()
    for child in children:
        since = looked_after_since(child.periods, march_31)
        if since is None or since > twelve_months_from:
            continue
        result = child.state.results.get((key_stage, academic_year))
        if result is None:
            elsewhere = any(k == key_stage for k, _ in child.state.results)
            if child.date_of_birth is None:
                if not elsewhere:  # may be in the year group: not known
                    unknown += 1
                    counted.add(child.child_id)
                continue
            if elsewhere or age_on(child.date_of_birth, august_31) != age_at_start:
                continue
            outcome = None
        else:
            outcome = (
                result.expected_standard if key_stage == "KS2" else result.english_maths_grade_4
            )
        denominator += 1
        counted.add(child.child_id)
        if outcome is None:
            unknown += 1
        else:
            numerator += outcome
    if key_stage == "KS2":
        return Measure(
            key="ks2_expected_standard",
            title="Looked-after children in Year 6, in care 12+ months, reaching the expected "
            "standard in reading, writing and maths (KS2)",
            unit="percent",
            numerator=numerator,
            denominator=denominator,
            unknown=unknown,
            period=(results_start, calendar.year_end(results_start)),
            target=48.0,
            target_note="Set for 'level 4 in reading, writing and maths', the measure's name "
            "before DfE's 2016 assessments.",
            definition=f"Of the children in Year 6 in {academic_year} looked after "
            f"continuously for at least 12 months at {march_31.isoformat()}, those who reached "
            "the expected standard in reading, writing and maths at Key Stage 2 (the results "
            "recorded for that year).",
            source=f"{SEED}: '% of looked after children in year 6 who were in care for at "
            "least 12 months and achieved level 4 in Reading, Writing and Maths at Key Stage "
            "2'; DfE 'Outcomes for children in need, including children looked after by local "
            "authorities in England' (the expected standard since 2016).",
            children=frozenset(counted),
        )
    return Measure(
        key="ks4_english_maths_grade_4",
        title="Looked-after children in Year 11, in care 12+ months, achieving grade 4 or "
        "above in English and maths (KS4)",
        unit="percent",
        numerator=numerator,
        denominator=denominator,
        unknown=unknown,
        period=(results_start, calendar.year_end(results_start)),
        target=36.0,
        target_note="Set for the seed's 'five A*-C GCSEs including English and maths', which "
        "DfE no longer publishes; this measure replaces it and is not comparable.",
        definition=f"Of the children in Year 11 in {academic_year} looked after continuously "
        f"for at least 12 months at {march_31.isoformat()}, those who achieved grade 4 or "
        "above in both English and maths at Key Stage 4 (the results recorded for that year). "
        "DfE's current measure, replacing the seed's 'five A*-C including English and maths'.",
        source=f"{SEED}: '% of LAC in Year 11 who were in care for at least 12 months and "
        "achieved the equivalent of at least five A*-C grades at GCSE, including English and "
        "maths'; DfE 'Outcomes for children in need, including children looked after by local "
        "authorities in England' (grade 4 or above in English and maths, 9-1 GCSEs since 2017).",
        children=frozenset(counted),
    )


def permanent_exclusions(
    children: Sequence[ChildFacts], as_of: date, calendar: SchoolCalendar
) -> Measure:
    year_start = calendar.year_start(as_of)
    numerator = denominator = 0
    counted: set[str] = set()
    for child in children:
        if not any(
            start <= as_of and (end is None or end > year_start) for start, end in child.periods
        ):
            continue
        denominator += 1
        counted.add(child.child_id)
        numerator += any(
            x.kind == "permanent"
            and not x.voided
            and year_start <= x.start <= as_of
            and looked_after_since(child.periods, x.start) is not None
            for x in child.state.exclusions.values()
        )
    return Measure(
        key="permanent_exclusions",
        title="Looked-after children with a permanent exclusion this school year",
        unit="count",
        numerator=numerator,
        denominator=denominator,
        unknown=0,
        period=(year_start, as_of),
        target=0.0,
        target_note=None,
        definition=f"The number of children with a permanent exclusion starting in the school "
        f"year {calendar.academic_year(as_of)} up to the day while they were looked after "
        "(any school, in or out of the county), of the children looked after on any day of "
        "it (the denominator; the percentage is their share).",
        source=f"{SEED}: 'Number of looked after children with permanent exclusions (includes "
        "out of county)'.",
        children=frozenset(counted),
    )
