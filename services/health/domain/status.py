"""A child's health status as of a day: what is done, due and overdue, as pure functions.

Timescales are data (`HealthTimescales`, England's defaults from the statutory
guidance "Promoting the health and well-being of looked-after children", 2015,
and the council's scorecard; docs/adr/0008), counted in the council's calendar
(`shared.dates`: working days without England's bank holidays).

Valid time: only entries dated on or before the day count. Recorded time is the
caller's: give the entries as they were recorded by then (the aggregate's
history, or the projection's rows).

- IHA: within `iha_working_days` working days of the period of care starting;
  `in_time` / `late` once done, `due` / `overdue` until then.
- RHA: six-monthly while the child was under 5 on the last assessment (initial
  or review), yearly from 5 (`up_to_date` / `overdue`; `awaiting_iha` before one).
- Dental: every `dental_months` from the last check; the first within
  `dental_months` of becoming looked after.
- SDQ: within `sdq_first_months` of becoming looked after for ages 2-17, then
  every `sdq_months` for ages 4-16. The latest score's band is DfE's:
  0-13 normal, 14-16 borderline, 17-40 a cause for concern.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from services.health.domain.model import ChildFacts, Entry, Kind
from shared.dates import add_months, add_working_days, age_on


@dataclass(frozen=True)
class HealthTimescales:
    iha_working_days: int = 20
    rha_months_under_5: int = 6
    rha_months_from_5: int = 12
    rha_yearly_from_age: int = 5
    dental_months: int = 12
    sdq_first_months: int = 3
    sdq_months: int = 12
    sdq_first_ages: tuple[int, int] = (2, 17)
    sdq_annual_ages: tuple[int, int] = (4, 16)
    bank_holiday_subdivision: str = "ENG"

    @classmethod
    def from_mapping(cls, overrides: Mapping[str, Any]) -> HealthTimescales:
        known = {f.name for f in fields(cls)}
        unknown = set(overrides) - known
        if unknown:
            raise ValueError(f"unknown timescales: {', '.join(sorted(unknown))}")
        return replace(cls(), **overrides)


DEFAULT_TIMESCALES = HealthTimescales()

#: DfE's SDQ bands (total difficulties score).
SDQ_BANDS: tuple[tuple[int, int, str], ...] = (
    (0, 13, "normal"),
    (14, 16, "borderline"),
    (17, 40, "concern"),
)


def sdq_band(score: int) -> str:
    for low, high, band in SDQ_BANDS:
        if low <= score <= high:
            return band
    raise ValueError(f"an SDQ score is 0-40, not {score}")


@dataclass(frozen=True)
class Deadline:
    """One timescale on the day: the last date done, when the next is due, and the state."""

    state: str
    last: date | None = None
    due: date | None = None


@dataclass(frozen=True)
class HealthStatus:
    as_of: date
    age: int
    looked_after: bool
    looked_after_since: date | None
    initial_health_assessment: Deadline
    review_health_assessment: Deadline
    dental_check: Deadline
    sdq: Deadline
    sdq_score: int | None
    sdq_band: str | None
    sdq_reason: str | None
    immunisations_up_to_date: bool | None
    immunisations_checked: date | None
    last_development_check: date | None
    substance_misuse_identified: bool | None
    lead_health_professional: str | None
    health_plan_agreed: date | None
    health_plan_reviewed: date | None


def _last(entries: Sequence[Entry], *kinds: Kind) -> Entry | None:
    found = [e for e in entries if e.kind in kinds]
    return max(found, key=lambda e: e.day) if found else None


def _state(day: date, due: date) -> str:
    return "up_to_date" if day <= due else "overdue"


def health_status(
    facts: ChildFacts,
    entries: Sequence[Entry],
    day: date,
    timescales: HealthTimescales = DEFAULT_TIMESCALES,
) -> HealthStatus:
    """The child's health status on `day` (valid time), from the entries given."""
    known = [e for e in entries if not e.voided and e.day <= day]
    age = age_on(facts.date_of_birth, day)
    period = facts.looked_after_on(day)
    since = period[0] if period else None
    na = Deadline("not_looked_after")

    # IHA: the first initial assessment on or after the period began.
    iha_state, rha, dental, sdq = na, na, na, na
    if since is not None:
        due = add_working_days(
            since, timescales.iha_working_days, timescales.bank_holiday_subdivision
        )
        done = [e for e in known if e.kind == Kind.IHA and e.day >= since]
        first = min(done, key=lambda e: e.day) if done else None
        if first is not None:
            iha_state = Deadline("in_time" if first.day <= due else "late", first.day, due)
        else:
            iha_state = Deadline("due" if day <= due else "overdue", None, due)

        last = _last(known, Kind.IHA, Kind.RHA)
        if last is None:
            rha = Deadline("awaiting_iha")
        else:
            under_5 = age_on(facts.date_of_birth, last.day) < timescales.rha_yearly_from_age
            months = timescales.rha_months_under_5 if under_5 else timescales.rha_months_from_5
            next_due = add_months(last.day, months)
            rha = Deadline(_state(day, next_due), last.day, next_due)

        last_dental = _last(known, Kind.DENTAL)
        dental_from = last_dental.day if last_dental else since
        dental_due = add_months(dental_from, timescales.dental_months)
        dental = Deadline(
            _state(day, dental_due), last_dental.day if last_dental else None, dental_due
        )

        sdqs = [e for e in known if e.kind == Kind.SDQ]
        last_sdq = max(sdqs, key=lambda e: e.day) if sdqs else None
        first_low, first_high = timescales.sdq_first_ages
        annual_low, annual_high = timescales.sdq_annual_ages
        since_care = [e for e in sdqs if e.day >= since]
        if not since_care:
            if first_low <= age <= first_high:
                sdq_due = add_months(since, timescales.sdq_first_months)
                sdq = Deadline(_state(day, sdq_due), last_sdq.day if last_sdq else None, sdq_due)
            else:
                sdq = Deadline("not_applicable", last_sdq.day if last_sdq else None)
        elif annual_low <= age <= annual_high:
            assert last_sdq is not None
            sdq_due = add_months(last_sdq.day, timescales.sdq_months)
            sdq = Deadline(_state(day, sdq_due), last_sdq.day, sdq_due)
        else:
            assert last_sdq is not None
            sdq = Deadline("not_applicable", last_sdq.day)

    latest_sdq = _last(known, Kind.SDQ)
    score = latest_sdq.details.get("score") if latest_sdq else None
    immunisations = _last(known, Kind.IMMUNISATIONS)
    development = _last(known, Kind.DEVELOPMENT)
    misuse = _last(known, Kind.SUBSTANCE_MISUSE)
    lead = _last(known, Kind.LEAD_PROFESSIONAL)
    agreed = _last(known, Kind.PLAN_AGREED)
    reviewed = _last(known, Kind.PLAN_REVIEWED)
    return HealthStatus(
        as_of=day,
        age=age,
        looked_after=period is not None,
        looked_after_since=since,
        initial_health_assessment=iha_state,
        review_health_assessment=rha,
        dental_check=dental,
        sdq=sdq,
        sdq_score=score,
        sdq_band=sdq_band(score) if score is not None else None,
        sdq_reason=latest_sdq.details.get("reason") if latest_sdq else None,
        immunisations_up_to_date=(
            bool(immunisations.details["up_to_date"]) if immunisations else None
        ),
        immunisations_checked=immunisations.day if immunisations else None,
        last_development_check=development.day if development else None,
        substance_misuse_identified=bool(misuse.details["identified"]) if misuse else None,
        lead_health_professional=lead.details["professional_id"] if lead else None,
        health_plan_agreed=agreed.day if agreed else None,
        health_plan_reviewed=reviewed.day if reviewed else None,
    )


@dataclass(frozen=True)
class Indicator:
    numerator: int
    denominator: int

    @property
    def percentage(self) -> float | None:
        if self.denominator == 0:
            return None
        return round(100 * self.numerator / self.denominator, 1)


@dataclass(frozen=True)
class HealthScorecard:
    """The scorecard's health measures on a day (seed 001, section 3.5), with their counts.

    - IHA in time: of the children looked after on the day whose IHA was due by then
      or is done, those whose IHA was done within the timescale.
    - RHA, dental: of the children looked after continuously for 12 months or more,
      those whose review health assessment (dental check) is not overdue.
    - SDQ: of the children aged 4-16 looked after for 12 months or more, those with
      an SDQ score dated in the 12 months up to the day.
    """

    as_of: date
    looked_after: int
    iha_in_time: Indicator
    rha_up_to_date: Indicator
    dental_up_to_date: Indicator
    sdq_in_last_year: Indicator


def scorecard(
    children: Sequence[tuple[ChildFacts, Sequence[Entry]]],
    day: date,
    timescales: HealthTimescales = DEFAULT_TIMESCALES,
) -> HealthScorecard:
    looked_after = iha_n = iha_d = rha_n = long_d = dental_n = sdq_n = sdq_d = 0
    year_ago = add_months(day, -12)
    for facts, entries in children:
        status = health_status(facts, entries, day, timescales)
        if not status.looked_after or status.looked_after_since is None:
            continue
        looked_after += 1
        iha = status.initial_health_assessment
        if iha.state in ("in_time", "late", "overdue"):
            iha_d += 1
            iha_n += iha.state == "in_time"
        if status.looked_after_since <= year_ago:
            long_d += 1
            rha_n += status.review_health_assessment.state == "up_to_date"
            dental_n += status.dental_check.state == "up_to_date"
            low, high = timescales.sdq_annual_ages
            if low <= status.age <= high:
                sdq_d += 1
                scored = [
                    e
                    for e in entries
                    if e.kind == Kind.SDQ
                    and not e.voided
                    and year_ago < e.day <= day
                    and e.details.get("score") is not None
                ]
                sdq_n += bool(scored)
    return HealthScorecard(
        as_of=day,
        looked_after=looked_after,
        iha_in_time=Indicator(iha_n, iha_d),
        rha_up_to_date=Indicator(rha_n, long_d),
        dental_up_to_date=Indicator(dental_n, long_d),
        sdq_in_last_year=Indicator(sdq_n, sdq_d),
    )
