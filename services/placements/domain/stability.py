"""Placement stability: DfE's two indicators and the Children's Commissioner's Stability Index.

Pure functions over plain values (`ChildRecord`: a child's date of birth,
periods of care, legal statuses, placement spans, social worker changes and
mid-year school moves), so the read side can call them over projection rows and
the tests over hand-written examples. The counting rules (windows, short breaks,
temporary placements, same-carer changes, re-entry to care) are repeated beside
the code that applies them, each with its DfE or SSDA903 source; all together:
docs/adr/0002-placement-stability-measures.md.

Sources cited below:
- DfE, "Children looked after in England including adoptions", methodology,
  placement stability indicators (short-term: "3 or more placements during the
  year"; long-term: "aged under 16 ... looked after continuously for at least
  2.5 years ... in the same placement for at least 2 years, or placed for
  adoption and their adoptive placement together with their previous placement
  last for at least 2 years"; both exclude "children looked after under an
  agreed series of short-term placements").
- DfE, SSDA903 guide (legal status V3/V4, PLACE T0-T4, reason for new episode
  T/U "change of placement ... with the same carer(s)") and its validation
  rules, as `csc-validator-be-903` (lac_validator) implements them.
- Children's Commissioner, Stability Index (placement moves, mid-year school
  moves, social worker changes, "in the year").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from services.placements.domain.period_of_care import PeriodOfCare, period_covering
from shared.dates import age_on, year_before, years_before
from shared.ssda903 import codes

ChildId = UUID | str
PlacementId = UUID | str

#: PLACE codes meaning "placed for adoption ... with current foster carer(s)".
WITH_CURRENT_FOSTER_CARERS = frozenset({"A3", "A5"})

#: DfE short-term indicator: "three or more placements during the year".
SHORT_TERM_PLACEMENTS = 3
#: DfE long-term indicator: under 16, looked after 2.5 years, same placement 2 years.
LONG_TERM_AGE_LIMIT = 16
LONG_TERM_MONTHS_LOOKED_AFTER = 30
LONG_TERM_YEARS_IN_PLACEMENT = 2
#: National curriculum Years 1 to 11: aged 5 to 15 on the 31 August that starts the
#: school year, i.e. of compulsory school age for the whole year.
SCHOOL_AGE = range(5, 16)


# ---------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class PlacementSpan:
    """One recorded placement, as a projection row holds it."""

    placement_id: PlacementId
    start: date
    end: date | None
    placement_type: str  # SSDA903 PLACE
    carer_id: str | None = None
    postcode: str | None = None  # SSDA903 PL_POST

    @property
    def temporary(self) -> bool:
        return self.placement_type in codes.TEMPORARY_PLACEMENTS

    @property
    def placed_for_adoption(self) -> bool:
        return self.placement_type in codes.PLACED_FOR_ADOPTION

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class LegalStatus:
    """A legal status (SSDA903 LS) in force from `start` (casefile's period of care
    start or legal status change), until the next one or the end of the period."""

    start: date
    legal_status: str


#: Why a measure is null: nothing feeds it (never shown as 0.0 %).
NO_SCHOOL_MOVES_SOURCE = (
    "no data source: mid-year school moves come from the education service, which is not "
    "connected or holds no school record for the child on that date "
    "(docs/adr/0002-placement-stability-measures.md, docs/adr/0021-education-service.md)"
)


@dataclass(frozen=True)
class ChildRecord:
    """What the stability rules need to know about one child.

    `legal_statuses` are the child's legal statuses from casefile (each period
    of care starts with one). `social_worker_changes` are the days the child's
    allocated social worker changed (from the casefile service; the first
    allocation is not a change). `mid_year_school_moves` are the days of school
    moves the education service classed as mid-year (not at the normal
    transition points); `None` means nothing feeds them (no data source), which
    is not the same as none.
    """

    child_id: ChildId
    date_of_birth: date
    periods_of_care: Sequence[PeriodOfCare]
    placements: Sequence[PlacementSpan]
    social_worker_changes: Sequence[date] = ()
    mid_year_school_moves: Sequence[date] | None = None
    legal_statuses: Sequence[LegalStatus] = ()
    #: The first day the education service knows the child's school: before it,
    #: school moves are unknown (None), not none. None: known throughout (or unknown).
    school_record_from: date | None = None


def legal_status_on(child: ChildRecord, day: date) -> str | None:
    """The legal status in force on `day`: the latest from the start of the period of
    care covering `day` up to `day`; `None` if not looked after or not yet known."""
    period = period_covering(child.periods_of_care, day)
    if period is None:
        return None
    return _status_within(child.legal_statuses, period, day)


def _status_within(statuses: Sequence[LegalStatus], period: PeriodOfCare, day: date) -> str | None:
    in_force = [s for s in statuses if period.start <= s.start <= day]
    return max(in_force, key=lambda s: s.start).legal_status if in_force else None


def on_short_breaks(legal_status: str | None) -> bool:
    """Looked after under an agreed series of short-term placements (SSDA903 LS V3/V4).

    DfE excludes these children from both placement stability indicators;
    SSDA903 knows short breaks only by legal status (rules 382, 426), so a
    child under V4 at home between breaks is on short breaks, and a child on a
    care order (C2) never is, whatever a placement says.
    """
    return legal_status in codes.SHORT_BREAK_LEGAL_STATUSES


def social_worker_changes(allocations: Iterable[tuple[date, str]]) -> tuple[date, ...]:
    """The days a child's allocated social worker changed, from their allocations.

    `allocations` are (effective date, social worker) in the order they were
    recorded. The first allocation is not a change, nor is a re-allocation to
    the worker already allocated (a change of team only): the Children's
    Commissioner's Stability Index counts changes of the worker the child
    knows. Several changes on one day each count.
    """
    ordered = sorted(enumerate(allocations), key=lambda item: (item[1][0], item[0]))
    changes: list[date] = []
    previous: str | None = None
    for _, (day, worker) in ordered:
        if previous is not None and worker != previous:
            changes.append(day)
        previous = worker
    return tuple(changes)


# --------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class CountedPlacement:
    """A placement as the stability rules count it.

    One counted placement may join several recorded ones: the stay with one
    carer across temporary placements and same-carer changes (see the module
    docstring). `start` is when the child arrived; `end` when they left (the
    start of a temporary placement they did not come back from, or `None`).
    """

    parts: tuple[PlacementSpan, ...]
    start: date
    end: date | None
    period_start: date
    began_with_move: bool

    @property
    def placement_ids(self) -> tuple[PlacementId, ...]:
        return tuple(dict.fromkeys(p.placement_id for p in self.parts))

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class ChildStability:
    """One child's stability as of a date."""

    child_id: ChildId
    as_of: date
    age: int
    looked_after: bool
    #: SSDA903 LS on `as_of` (None if not looked after or not yet known).
    legal_status: str | None
    #: Looked after on `as_of` and not under short breaks (LS V3/V4): in every cohort.
    in_cohort: bool
    looked_after_since: date | None
    #: Counted placements during the 12 months up to and including `as_of`.
    placements: tuple[CountedPlacement, ...]
    #: Days of placement moves in those 12 months.
    moves: tuple[date, ...]
    #: The recorded placement the child was in at the end of `as_of`.
    current_placement_id: PlacementId | None
    #: Days since the child arrived in the current counted placement (0 on arrival day).
    days_in_current_placement: int | None
    social_worker_changes: tuple[date, ...]
    #: None when nothing feeds school moves (no data source).
    mid_year_school_moves: tuple[date, ...] | None
    school_age: bool
    long_term_cohort: bool
    long_term_stable: bool

    @property
    def placement_count(self) -> int:
        return len(self.placements)

    @property
    def move_count(self) -> int:
        return len(self.moves)


@dataclass(frozen=True)
class Indicator:
    """A share of a cohort: numerator of denominator."""

    numerator: int
    denominator: int

    @property
    def percentage(self) -> float | None:
        """Percent to one decimal place, half up; `None` for an empty cohort."""
        if self.denominator == 0:
            return None
        exact = Decimal(100 * self.numerator) / Decimal(self.denominator)
        return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class StabilityIndex:
    """Children's Commissioner's Stability Index: share of the cohort with 1+ of each.

    A measure nothing feeds is `None`, and `unavailable` says why (by measure
    name): never a 0.0 % made of missing data.
    """

    placement_moves: Indicator
    school_moves: Indicator | None
    social_worker_changes: Indicator
    unavailable: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CouncilStability:
    """All three measures for one council as of one date."""

    as_of: date
    short_term: Indicator
    long_term: Indicator
    stability_index: StabilityIndex


# ----------------------------------------------------------------------- dates


def year_window(as_of: date) -> tuple[date, date]:
    """The 12 months before `as_of`: (first day, `as_of`), both included.

    `shared.dates.year_before`, the one definition every measure shares (DfE:
    "during the year"; the year ending 31 March 2024 is 1 April 2023 to
    31 March 2024).
    """
    return year_before(as_of)


def months_before(day: date, months: int) -> date:
    """The same day of the month `months` earlier, clipped to that month's end."""
    index = day.year * 12 + (day.month - 1) - months
    return _clipped(index // 12, index % 12 + 1, day.day)


def month_end(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def _clipped(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, month_end(year, month).day))


# ---------------------------------------------------------- counted placements


def counted_placements(child: ChildRecord) -> tuple[CountedPlacement, ...]:
    """The child's placements as the stability rules count them, earliest first.

    Per period of care, in date order: the days under short breaks (legal
    status V3/V4 on the day) are dropped; temporary placements are skipped but
    remembered, so that the next placement can be recognised as a return to
    the same carer; a placement with the same carer as the counted placement
    before it extends that one; anything else is a new counted placement, and
    a move unless it is the period's first. Recorded placements are clipped to
    the period they started in, so a placement left open after the child left
    care ends with the period.
    """
    counted: list[CountedPlacement] = []
    for period in sorted(child.periods_of_care, key=lambda p: p.start):
        spans = sorted(
            (
                part
                for span in child.placements
                if period.covers(span.start)
                for part in _outside_short_breaks(_clip(span, period), child, period)
            ),
            key=lambda s: s.start,
        )
        stays: list[list[PlacementSpan]] = []
        # `away_now`: in a temporary placement not yet ended. Both are set before they
        # are read (the first placement of a period starts a stay whatever they hold),
        # so any other start value behaves the same: not mutated.
        after_temporary = False  # pragma: no mutate
        away_now = False  # pragma: no mutate
        for span in spans:
            if span.temporary:
                after_temporary = bool(stays)
                away_now = after_temporary and span.end is None
                continue
            if stays and _same_carer(stays[-1][-1], span, after_temporary):
                stays[-1].append(span)
            else:
                stays.append([span])
            after_temporary = away_now = False
        for index, parts in enumerate(stays):
            last = index == len(stays) - 1
            counted.append(
                CountedPlacement(
                    parts=tuple(parts),
                    start=parts[0].start,
                    # A child still in a temporary placement is presumed to be going
                    # back: SSDA903 rule 383 requires the return to the usual placement.
                    end=None if last and away_now else parts[-1].end,
                    period_start=period.start,
                    began_with_move=index > 0,
                )
            )
    return tuple(counted)


def _outside_short_breaks(
    span: PlacementSpan, child: ChildRecord, period: PeriodOfCare
) -> tuple[PlacementSpan, ...]:
    """The parts of `span` on days the child was not under short breaks (LS V3/V4).

    DfE's placement stability indicators exclude "children looked after under
    an agreed series of short-term placements" (SSDA903 legal status V3/V4):
    those are not placements for these measures. Judged by the legal status on
    each day (SSDA903 rule 382 knows short breaks by LS alone), so a placement
    that began under V4 and continued under a care order counts from the day
    the care order took effect.
    """
    statuses = sorted(
        (s for s in child.legal_statuses if period.covers(s.start)), key=lambda s: s.start
    )
    if not any(on_short_breaks(s.legal_status) for s in statuses):
        return (span,)
    # Days the legal status changes within the span, and the status from each.
    cuts = [span.start] + [
        s.start
        for s in statuses
        if span.start < s.start and (span.end is None or s.start < span.end)
    ]
    parts: list[PlacementSpan] = []
    for index, start in enumerate(cuts):
        end = cuts[index + 1] if index + 1 < len(cuts) else span.end
        if on_short_breaks(_status_within(statuses, period, start)):
            continue
        if parts and parts[-1].end == start:
            parts[-1] = replace(parts[-1], end=end)
        else:
            parts.append(replace(span, start=start, end=end))
    return tuple(parts)


def _same_carer(before: PlacementSpan, after: PlacementSpan, after_temporary: bool) -> bool:
    """Is `after` a continuation of `before` with the same carer (not a new placement)?

    DfE counts placements with carers, not records: the SSDA903 guide's reason
    for new episode T/U ("change of placement ... with the same carer(s)", e.g.
    U6 short-term fostering becoming U4 long-term) and a return from a temporary
    placement (PLACE T0-T4, rule 383) are not new placements; DfE: "a child
    being placed for adoption with their existing foster carer is not included
    as a change of placement". The carers are identified by `carer_id`, which
    the API requires wherever this answer changes a count (docs/adr/0002). The
    fallbacks below only read records made before it was required.
    """
    if before.placement_id == after.placement_id:
        return True  # one placement, split only by a spell of short breaks
    if before.carer_id is not None and after.carer_id is not None:
        return before.carer_id == after.carer_id
    if after.placement_type in WITH_CURRENT_FOSTER_CARERS:
        # PLACE A3/A5: "placed for adoption ... with current foster carer(s)".
        return True
    if after_temporary:
        # SSDA903 rule 383 (lac2025_26): the return from a temporary placement is
        # to the same PLACE at the same PL_POST.
        return (
            after.placement_type == before.placement_type
            and before.postcode is not None
            and after.postcode == before.postcode
        )
    return False


def _clip(span: PlacementSpan, period: PeriodOfCare) -> PlacementSpan:
    if period.end is None or (span.end is not None and span.end <= period.end):
        return span
    return replace(span, end=period.end)


# ------------------------------------------------------------------- per child


@dataclass(frozen=True)
class _Timeline:
    """A child's record with its counted placements worked out once (for trends)."""

    child: ChildRecord
    counted: tuple[CountedPlacement, ...]


def _timeline(child: ChildRecord) -> _Timeline:
    return _Timeline(child, counted_placements(child))


def child_stability(child: ChildRecord, as_of: date) -> ChildStability:
    """Placements, moves, current placement and the cohort tests for one child on `as_of`."""
    return _child_stability(_timeline(child), as_of)


def _child_stability(timeline: _Timeline, as_of: date) -> ChildStability:
    child = timeline.child
    first, last = year_window(as_of)
    period = period_covering(child.periods_of_care, as_of)

    # During the window: lived there on any day of it, counting moving-out day.
    in_window = tuple(
        c for c in timeline.counted if c.start <= last and (c.end is None or c.end >= first)
    )
    moves = tuple(
        c.start for c in timeline.counted if c.began_with_move and first <= c.start <= last
    )

    actual = None
    if period is not None:
        actual = next(
            (
                _clip(s, period)
                for s in child.placements
                if period.covers(s.start) and _clip(s, period).covers(as_of)
            ),
            None,
        )
    index, current = next(
        ((i, c) for i, c in enumerate(timeline.counted) if c.covers(as_of)), (None, None)
    )
    if current is not None:
        days: int | None = (as_of - current.start).days
    elif actual is not None:
        days = (as_of - actual.start).days
    else:
        days = None

    # DfE: both indicators' cohorts are the children looked after on the date,
    # excluding "children looked after under an agreed series of short-term
    # placements" (SSDA903 LS V3/V4), judged by the legal status on the day, not
    # by any placement: a child under V4 at home between breaks is excluded, a
    # child on a care order (C2) is in. An unknown status (not yet published by
    # casefile) is not a short break.
    legal_status = _status_within(child.legal_statuses, period, as_of) if period else None
    in_cohort = period is not None and not on_short_breaks(legal_status)
    age = age_on(child.date_of_birth, as_of)
    long_term_cohort = (
        in_cohort
        and period is not None
        and age < LONG_TERM_AGE_LIMIT
        and period.start <= months_before(as_of, LONG_TERM_MONTHS_LOOKED_AFTER)
    )
    long_term_stable = long_term_cohort and _long_term_stable(timeline, index, as_of)

    school_year_start = date(as_of.year if as_of.month >= 9 else as_of.year - 1, 8, 31)
    return ChildStability(
        child_id=child.child_id,
        as_of=as_of,
        age=age,
        looked_after=period is not None,
        legal_status=legal_status,
        in_cohort=in_cohort,
        looked_after_since=period.start if period is not None else None,
        placements=in_window,
        moves=moves,
        current_placement_id=actual.placement_id if actual is not None else None,
        days_in_current_placement=days,
        social_worker_changes=_while_looked_after(child, child.social_worker_changes, first, last),
        mid_year_school_moves=(
            None
            if child.mid_year_school_moves is None
            or (child.school_record_from is not None and as_of < child.school_record_from)
            else _while_looked_after(child, child.mid_year_school_moves, first, last)
        ),
        school_age=age_on(child.date_of_birth, school_year_start) in SCHOOL_AGE,
        long_term_cohort=long_term_cohort,
        long_term_stable=long_term_stable,
    )


def _long_term_stable(timeline: _Timeline, index: int | None, as_of: date) -> bool:
    """DfE long-term indicator, numerator test (NI 063).

    In the same placement for at least 2 years: the current counted placement
    began on or before `as_of` minus 2 years (same carer throughout, temporary
    absences and same-carer changes included). Or placed for adoption, where
    the adoptive placement and the one before it together last 2 years: the
    child is placed for adoption on `as_of` and the counted placement before the
    adoptive one, in the same period of care, began on or before that date.
    """
    if index is None:
        return False
    since = years_before(as_of, LONG_TERM_YEARS_IN_PLACEMENT)
    current = timeline.counted[index]
    if current.start <= since:
        return True
    started = [p for p in current.parts if p.start <= as_of]
    placed_for_adoption = bool(started) and started[-1].placed_for_adoption
    if placed_for_adoption and current.began_with_move:
        return timeline.counted[index - 1].start <= since
    return False


def _while_looked_after(
    child: ChildRecord, days: Iterable[date], first: date, last: date
) -> tuple[date, ...]:
    """Days in the window on which the child was looked after (either end of a period counts)."""
    return tuple(
        sorted(
            day
            for day in days
            if first <= day <= last
            and any(
                p.start <= day and (p.end is None or day <= p.end) for p in child.periods_of_care
            )
        )
    )


# ----------------------------------------------------------------- per council


def short_term_indicator(children: Iterable[ChildRecord], as_of: date) -> Indicator:
    """DfE short-term placement stability indicator (formerly NI 062).

    Denominator: children looked after on `as_of`, not under an agreed series
    of short-term placements (legal status V3/V4 on `as_of`).
    Numerator: those with 3 or more counted placements during the 12 months up
    to and including `as_of`.
    """
    return _short_term([child_stability(c, as_of) for c in children])


def long_term_indicator(children: Iterable[ChildRecord], as_of: date) -> Indicator:
    """DfE long-term placement stability indicator (formerly NI 063).

    Denominator: children looked after on `as_of` (not under short breaks, LS V3/V4), aged
    under 16 on `as_of`, whose current period of care began on or before
    `as_of` minus 30 months (looked after continuously for at least 2.5 years;
    for 31 March, from 30 September two and a half years before or earlier).
    Numerator: those in the same counted placement since `as_of` minus 2 years
    or earlier, or placed for adoption with the adoptive placement and the one
    before it together beginning that early.
    """
    return _long_term([child_stability(c, as_of) for c in children])


def stability_index(children: Iterable[ChildRecord], as_of: date) -> StabilityIndex:
    """Children's Commissioner's Stability Index for the children looked after on `as_of`.

    Each measure is the share with one or more in the 12 months up to and
    including `as_of`: placement moves (as counted above), mid-year school moves
    (denominator: the cohort in national curriculum Years 1-11, aged 5-15 on the
    31 August starting the school year), and social worker changes. School moves
    and social worker changes count on days the child was looked after.
    """
    return _stability_index([child_stability(c, as_of) for c in children])


def council_stability(children: Iterable[ChildRecord], as_of: date) -> CouncilStability:
    """The short-term and long-term indicators and the Stability Index, on one date."""
    return _council([_timeline(c) for c in children], as_of)


def monthly_trend(
    start_month: date, end_month: date, children: Iterable[ChildRecord]
) -> tuple[CouncilStability, ...]:
    """Every measure as of the last day of each month from `start_month` to `end_month`.

    Only the year and month of the two dates matter; both months are included.
    """
    if (start_month.year, start_month.month) > (end_month.year, end_month.month):
        raise ValueError("start_month is after end_month")
    timelines = [_timeline(c) for c in children]
    trend = []
    year, month = start_month.year, start_month.month
    while (year, month) <= (end_month.year, end_month.month):
        trend.append(_council(timelines, month_end(year, month)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(trend)


def _council(timelines: Sequence[_Timeline], as_of: date) -> CouncilStability:
    rows = [_child_stability(t, as_of) for t in timelines]
    return CouncilStability(
        as_of=as_of,
        short_term=_short_term(rows),
        long_term=_long_term(rows),
        stability_index=_stability_index(rows),
    )


def _short_term(rows: Sequence[ChildStability]) -> Indicator:
    cohort = [r for r in rows if r.in_cohort]
    return Indicator(
        numerator=sum(1 for r in cohort if r.placement_count >= SHORT_TERM_PLACEMENTS),
        denominator=len(cohort),
    )


def _long_term(rows: Sequence[ChildStability]) -> Indicator:
    cohort = [r for r in rows if r.long_term_cohort]
    return Indicator(
        numerator=sum(1 for r in cohort if r.long_term_stable), denominator=len(cohort)
    )


def _stability_index(rows: Sequence[ChildStability]) -> StabilityIndex:
    cohort = [r for r in rows if r.in_cohort]
    school = [r for r in cohort if r.school_age]
    # A child whose school moves nothing feeds cannot be counted as having none:
    # the measure is null, with the reason, never 0.0 %.
    if any(r.mid_year_school_moves is None for r in school):
        school_moves = None
        unavailable = {"school_moves": NO_SCHOOL_MOVES_SOURCE}
    else:
        school_moves = Indicator(sum(1 for r in school if r.mid_year_school_moves), len(school))
        unavailable = {}
    return StabilityIndex(
        placement_moves=Indicator(sum(1 for r in cohort if r.moves), len(cohort)),
        school_moves=school_moves,
        social_worker_changes=Indicator(
            sum(1 for r in cohort if r.social_worker_changes), len(cohort)
        ),
        unavailable=unavailable,
    )
