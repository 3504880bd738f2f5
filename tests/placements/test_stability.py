"""The stability rules against hand-worked examples.

Each council below is small enough to check by hand: the comments give, per
child, which placements count, and the arithmetic of each indicator. Unless
said otherwise the as-of date is 31 March 2024, so "the 12 months before" is
1 April 2023 to 31 March 2024 inclusive.
"""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from services.placements.domain import PeriodOfCare, PlacementHistory, PlacementSetting
from services.placements.domain.stability import (
    ChildRecord,
    Indicator,
    LegalStatus,
    PlacementSpan,
    child_stability,
    council_stability,
    counted_placements,
    long_term_indicator,
    month_end,
    monthly_trend,
    months_before,
    short_term_indicator,
    stability_index,
    year_window,
)
from shared.dates import age_on, years_before

AS_OF = date(2024, 3, 31)


def span(
    pid: str,
    start: date,
    end: date | None = None,
    place: str = "U6",
    carer: str | None = None,
    postcode: str | None = None,
) -> PlacementSpan:
    return PlacementSpan(
        placement_id=pid,
        start=start,
        end=end,
        placement_type=place,
        carer_id=carer,
        postcode=postcode,
    )


def child(
    cid: str,
    born: date,
    periods: list[PeriodOfCare],
    placements: list[PlacementSpan],
    social_worker_changes: tuple[date, ...] = (),
    mid_year_school_moves: tuple[date, ...] | None = (),
    legal_statuses: tuple[tuple[date, str], ...] | None = None,
) -> ChildRecord:
    """A child; unless said otherwise, under a care order (C2) from each period's start."""
    if legal_statuses is None:
        legal_statuses = tuple((p.start, "C2") for p in periods)
    return ChildRecord(
        child_id=cid,
        date_of_birth=born,
        periods_of_care=periods,
        placements=placements,
        social_worker_changes=social_worker_changes,
        mid_year_school_moves=mid_year_school_moves,
        legal_statuses=tuple(LegalStatus(day, ls) for day, ls in legal_statuses),
    )


# ------------------------------------------------------------------- dates


def test_the_12_months_before_a_date() -> None:
    # DfE's year ending 31 March 2024.
    assert year_window(date(2024, 3, 31)) == (date(2024 - 1, 4, 1), date(2024, 3, 31))
    # 29 Feb 2024 minus a year is 28 Feb 2023 (no 29th), plus one day: 1 March.
    assert year_window(date(2024, 2, 29)) == (date(2023, 3, 1), date(2024, 2, 29))


def test_calendar_arithmetic() -> None:
    # 30 months before 31 March 2024: September 2021, which has 30 days.
    assert months_before(date(2024, 3, 31), 30) == date(2021, 9, 30)
    assert months_before(date(2024, 1, 15), 1) == date(2023, 12, 15)
    assert years_before(date(2024, 2, 29), 2) == date(2022, 2, 28)
    assert month_end(2024, 2) == date(2024, 2, 29)
    assert month_end(2023, 12) == date(2023, 12, 31)
    # Born 29 Feb 2008: 16 on 1 March 2024? No, 2024 is a leap year: on 29 Feb.
    assert age_on(date(2008, 2, 29), date(2024, 2, 28)) == 15
    assert age_on(date(2008, 2, 29), date(2024, 2, 29)) == 16
    # In a common year the birthday is 1 March.
    assert age_on(date(2008, 2, 29), date(2023, 2, 28)) == 14
    assert age_on(date(2008, 2, 29), date(2023, 3, 1)) == 15


@pytest.mark.parametrize(
    ("numerator", "denominator", "percentage"),
    [
        (3, 5, 60.0),
        (1, 3, 33.3),
        (2, 3, 66.7),
        (1, 8, 12.5),
        (1, 16, 6.3),
        (0, 4, 0.0),
        (0, 0, None),
    ],
)
def test_percentages_to_one_place_half_up(
    numerator: int, denominator: int, percentage: float | None
) -> None:
    # 1/16 = 6.25% -> 6.3 (half up, not to even).
    assert Indicator(numerator, denominator).percentage == percentage


# ------------------------------------------------ which placements count


def test_temporary_placement_returning_to_the_same_carer_is_not_a_new_placement() -> None:
    c = child(
        "C",
        date(2014, 3, 1),
        [PeriodOfCare(date(2023, 5, 1))],
        [
            span("c1", date(2023, 5, 1), date(2023, 8, 1), "U6", carer="c-carers"),
            span("c2", date(2023, 8, 1), date(2023, 8, 15), "T2"),  # on holiday
            span("c3", date(2023, 8, 15), date(2024, 1, 10), "U6", carer="c-carers"),
            span("c4", date(2024, 1, 10), None, "U4", carer="other-carers"),
        ],
    )
    # Four recorded placements, but c1 + holiday + c3 is one stay with one carer:
    # counted = [c1 c2 c3], [c4] -> 2 placements, 1 move (10 January 2024).
    counted = counted_placements(c)
    assert [p.placement_ids for p in counted] == [("c1", "c3"), ("c4",)]
    result = child_stability(c, AS_OF)
    assert result.placement_count == 2
    assert result.moves == (date(2024, 1, 10),)
    # In c4 since 10 Jan 2024: 21 days of January + 29 of February + 31 of March = 81.
    assert result.current_placement_id == "c4"
    assert result.days_in_current_placement == 81
    # On holiday on 10 Aug 2023: the recorded placement is the temporary one, but
    # the child's placement began on 1 May: 30 + 30 + 31 + 10 = 101 days.
    on_holiday = child_stability(c, date(2023, 8, 10))
    assert on_holiday.current_placement_id == "c2"
    assert on_holiday.days_in_current_placement == 101


def test_temporary_placement_not_returning_is_followed_by_a_move() -> None:
    c = child(
        "X",
        date(2014, 3, 1),
        [PeriodOfCare(date(2023, 5, 1))],
        [
            span("x1", date(2023, 5, 1), date(2023, 8, 1), "U6", carer="first"),
            span("x2", date(2023, 8, 1), date(2023, 8, 5), "T4"),
            span("x3", date(2023, 8, 5), None, "U6", carer="second"),
        ],
    )
    # The T4 is not counted; x3 is with new carers: 2 placements, a move on 5 August.
    result = child_stability(c, AS_OF)
    assert result.placement_count == 2
    assert result.moves == (date(2023, 8, 5),)


def test_without_carer_ids_the_return_is_judged_by_place_and_postcode() -> None:
    # SSDA903 rule 383: back to the same PLACE at the same PL_POST.
    def record(back_to: str) -> ChildRecord:
        return child(
            "Y",
            date(2014, 3, 1),
            [PeriodOfCare(date(2023, 5, 1))],
            [
                span("y1", date(2023, 5, 1), date(2023, 6, 1), "U6", postcode="AB1 2"),
                span("y2", date(2023, 6, 1), date(2023, 6, 10), "T1"),
                span("y3", date(2023, 6, 10), None, "U6", postcode=back_to),
            ],
        )

    assert child_stability(record("AB1 2"), AS_OF).placement_count == 1
    assert child_stability(record("ZZ9 9"), AS_OF).placement_count == 2


def test_placed_for_adoption_with_current_foster_carers_is_not_a_change_of_placement() -> None:
    # A5 = "placed for adoption ... with current foster carer(s)": same carers, no move.
    c = child(
        "Z",
        date(2021, 3, 1),
        [PeriodOfCare(date(2021, 6, 1))],
        [
            span("z1", date(2021, 6, 1), date(2023, 10, 1), "U5"),
            span("z2", date(2023, 10, 1), None, "A5"),
        ],
    )
    result = child_stability(c, AS_OF)
    assert (result.placement_count, result.move_count) == (1, 0)


def test_days_under_short_breaks_are_not_placements() -> None:
    # DfE excludes "children looked after under an agreed series of short-term
    # placements" (LS V3/V4): judged by the legal status on each day. Short
    # breaks with carers "b" under V4 from 1 May 2023; a care order (C2) from
    # 1 September 2023, placed with carers "a", then long-term with "a".
    c = child(
        "SB",
        date(2014, 3, 1),
        [PeriodOfCare(date(2023, 5, 1))],
        [
            span("s1", date(2023, 5, 1), date(2023, 5, 4), "U6", carer="b"),
            span("s2", date(2023, 7, 1), date(2023, 7, 4), "U6", carer="b"),
            span("s3", date(2023, 9, 1), date(2023, 12, 1), "U6", carer="a"),
            span("s4", date(2023, 12, 1), None, "U4", carer="a"),
        ],
        legal_statuses=((date(2023, 5, 1), "V4"), (date(2023, 9, 1), "C2")),
    )
    # s1 and s2 were under V4: not placements. s3 + s4 are one placement with "a".
    result = child_stability(c, AS_OF)
    assert [p.placement_ids for p in result.placements] == [("s3", "s4")]
    assert (result.placement_count, result.move_count) == (1, 0)
    assert result.in_cohort and result.legal_status == "C2"
    # On 1 August 2023 (under V4, at home between breaks): not in any cohort.
    between = child_stability(c, date(2023, 8, 1))
    assert between.looked_after and not between.in_cohort
    assert between.legal_status == "V4"


def test_a_placement_that_began_under_short_breaks_counts_from_the_care_order() -> None:
    # Placed with carers "r" on a short break under V3 on 1 June 2023; a care
    # order (C2) on 10 June 2023 while there, and the child stays with "r".
    c = child(
        "SBC",
        date(2014, 3, 1),
        [PeriodOfCare(date(2023, 6, 1))],
        [span("r1", date(2023, 6, 1), None, "U6", carer="r")],
        legal_statuses=((date(2023, 6, 1), "V3"), (date(2023, 6, 10), "C2")),
    )
    result = child_stability(c, AS_OF)
    assert [(p.placement_ids, p.start) for p in result.placements] == [(("r1",), date(2023, 6, 10))]
    assert result.current_placement_id == "r1"
    assert result.in_cohort


@pytest.mark.parametrize(
    ("legal_status", "placed", "in_cohort"),
    [
        ("V4", False, False),  # at home between breaks: looked after, excluded
        ("V4", True, False),  # on a break, whatever the placement record says
        ("V3", True, False),
        ("C2", True, True),  # a care order is never a short break
        ("V2", False, True),
    ],
)
def test_short_breaks_are_decided_by_the_legal_status_on_the_day(
    legal_status: str, placed: bool, in_cohort: bool
) -> None:
    c = child(
        "LS",
        date(2012, 3, 1),
        [PeriodOfCare(date(2023, 2, 1))],
        [span("p1", date(2024, 3, 29), None if placed else date(2024, 3, 30), "U6", carer="p")],
        legal_statuses=((date(2023, 2, 1), legal_status),),
    )
    result = child_stability(c, AS_OF)
    assert result.looked_after
    assert result.in_cohort is in_cohort
    short_term = short_term_indicator([c], AS_OF)
    assert short_term.denominator == (1 if in_cohort else 0)
    assert stability_index([c], AS_OF).placement_moves.denominator == (1 if in_cohort else 0)


def test_a_child_still_in_a_temporary_placement_is_presumed_to_be_going_back() -> None:
    c = child(
        "H",
        date(2012, 3, 1),
        [PeriodOfCare(date(2022, 1, 1))],
        [
            span("h1", date(2022, 1, 1), date(2024, 3, 20), "U4", carer="h-carers"),
            span("h2", date(2024, 3, 20), None, "T1"),  # in hospital, not yet back
        ],
    )
    result = child_stability(c, AS_OF)
    # Placement since 1 Jan 2022: 365 + 365 + 31 + 29 + 30 = 820 days.
    assert result.current_placement_id == "h2"
    assert result.days_in_current_placement == 820
    assert result.placement_count == 1
    assert result.long_term_stable is False  # looked after only since Jan 2022


def test_window_boundaries() -> None:
    c = child(
        "B",
        date(2012, 3, 1),
        [PeriodOfCare(date(2022, 1, 1))],
        [
            span("b1", date(2022, 1, 1), date(2023, 3, 31), "U6", carer="1"),
            span("b2", date(2023, 3, 31), date(2023, 4, 1), "U6", carer="2"),
            span("b3", date(2023, 4, 1), None, "K2"),
        ],
    )
    result = child_stability(c, AS_OF)
    # Window 1 Apr 2023 - 31 Mar 2024. b1 ended on 31 March 2023: outside.
    # b2 was left on 1 April (the child woke there): inside. b3: inside.
    assert [p.placement_ids for p in result.placements] == [("b2",), ("b3",)]
    # The move of 31 Mar 2023 is outside, the move of 1 Apr 2023 inside.
    assert result.moves == (date(2023, 4, 1),)


# ------------------------------------------------ the short-term indicator

# A, settled: one placement since 2020.
SETTLED = child(
    "A",
    date(2012, 1, 1),
    [PeriodOfCare(date(2020, 5, 1))],
    [span("a1", date(2020, 5, 1), None, "U4", carer="a")],
)
# B, three placements: K2 (left 1 July 2023, inside the window), U6, U4.
THREE = child(
    "B",
    date(2010, 6, 1),
    [PeriodOfCare(date(2022, 11, 1))],
    [
        span("b1", date(2022, 11, 1), date(2023, 7, 1), "K2"),
        span("b2", date(2023, 7, 1), date(2023, 12, 1), "U6", carer="b2"),
        span("b3", date(2023, 12, 1), None, "U4", carer="b3"),
    ],
)
# C, temporary placement returning to the same carer: 2 placements (see above).
TEMPORARY = child(
    "C",
    date(2014, 3, 1),
    [PeriodOfCare(date(2023, 5, 1))],
    [
        span("c1", date(2023, 5, 1), date(2023, 8, 1), "U6", carer="c"),
        span("c2", date(2023, 8, 1), date(2023, 8, 15), "T2"),
        span("c3", date(2023, 8, 15), date(2024, 1, 10), "U6", carer="c"),
        span("c4", date(2024, 1, 10), None, "U4", carer="c-long-term"),
    ],
)
# D, left and re-entered care: period 1 Feb-Jul 2023 (K2 then U6 with d-carers),
# period 2 from October 2023, back with the same d-carers.
REENTERED = child(
    "D",
    date(2011, 9, 1),
    [PeriodOfCare(date(2023, 2, 1), date(2023, 7, 1)), PeriodOfCare(date(2023, 10, 1))],
    [
        span("d1", date(2023, 2, 1), date(2023, 5, 1), "K2"),
        span("d2", date(2023, 5, 1), date(2023, 7, 1), "U6", carer="d"),
        span("d3", date(2023, 10, 1), None, "U6", carer="d"),
    ],
)
# E, moved on the as-of date itself: U6, U4 from 1 Sep 2023, K2 from 31 Mar 2024.
MOVED_TODAY = child(
    "E",
    date(2009, 2, 1),
    [PeriodOfCare(date(2022, 12, 1))],
    [
        span("e1", date(2022, 12, 1), date(2023, 9, 1), "U6", carer="e1"),
        span("e2", date(2023, 9, 1), date(2024, 3, 31), "U4", carer="e2"),
        span("e3", date(2024, 3, 31), None, "K2"),
    ],
)
# F, three placements but ceased to be looked after on 31 March 2024.
LEFT_TODAY = child(
    "F",
    date(2008, 1, 1),
    [PeriodOfCare(date(2023, 1, 1), date(2024, 3, 31))],
    [
        span("f1", date(2023, 1, 1), date(2023, 6, 1), "U6", carer="f1"),
        span("f2", date(2023, 6, 1), date(2023, 10, 1), "U4", carer="f2"),
        span("f3", date(2023, 10, 1), date(2024, 3, 31), "U5", carer="f3"),
    ],
)
# G, on a short break over 31 March (legal status V3): not in the cohort.
SHORT_BREAK = child(
    "G",
    date(2013, 1, 1),
    [PeriodOfCare(date(2024, 3, 29), date(2024, 4, 2))],
    [span("g1", date(2024, 3, 29), date(2024, 4, 2), "U6", carer="g")],
    legal_statuses=((date(2024, 3, 29), "V3"),),
)
SHORT_TERM_COUNCIL = [SETTLED, THREE, TEMPORARY, REENTERED, MOVED_TODAY, LEFT_TODAY, SHORT_BREAK]


def test_short_term_indicator_as_of_31_march() -> None:
    # Placements during 1 Apr 2023 - 31 Mar 2024:
    #   A 1 | B 3 (b1 b2 b3) | C 2 ([c1 c2 c3] c4) | D 3 (d1 d2, then d3: re-entry is
    #   a new placement) | E 3 (e1 e2 e3: the move on 31 March counts) |
    #   F not looked after on 31 March (ceased that day) | G on a short break.
    # Denominator 5 (A B C D E); numerator 3 (B D E): 3 / 5 = 60.0%.
    indicator = short_term_indicator(SHORT_TERM_COUNCIL, AS_OF)
    assert (indicator.numerator, indicator.denominator) == (3, 5)
    assert indicator.percentage == 60.0


def test_short_term_indicator_the_day_before() -> None:
    # As of 30 March 2024 (window 31 Mar 2023 - 30 Mar 2024):
    #   A 1 | B 3 | C 2 | D 3 | E 2 (e1 e2; the K2 move is tomorrow) |
    #   F 3, and still looked after (ceases tomorrow) | G on a short break.
    # Denominator 6 (A-F); numerator 3 (B D F): 3 / 6 = 50.0%.
    indicator = short_term_indicator(SHORT_TERM_COUNCIL, date(2024, 3, 30))
    assert (indicator.numerator, indicator.denominator) == (3, 6)
    assert indicator.percentage == 50.0


def test_left_and_reentered_care_counts_both_periods_but_entry_is_no_move() -> None:
    result = child_stability(REENTERED, AS_OF)
    assert [p.placement_ids for p in result.placements] == [("d1",), ("d2",), ("d3",)]
    # d1 -> d2 on 1 May 2023 is a move; coming back into care on 1 Oct is not.
    assert result.moves == (date(2023, 5, 1),)
    assert result.looked_after_since == date(2023, 10, 1)


def test_a_move_on_the_as_of_date_counts() -> None:
    result = child_stability(MOVED_TODAY, AS_OF)
    assert result.moves == (date(2023, 9, 1), date(2024, 3, 31))
    assert result.current_placement_id == "e3"
    assert result.days_in_current_placement == 0
    day_before = child_stability(MOVED_TODAY, date(2024, 3, 30))
    assert day_before.moves == (date(2023, 9, 1),)
    assert day_before.current_placement_id == "e2"


# ------------------------------------------------- the long-term indicator
# As of 31 March 2024: looked after since 30 Sep 2021 or earlier (30 months,
# September having 30 days), under 16, and in the same placement since
# 31 March 2022 or earlier.

LONG_SETTLED = child(  # L1: 11, in care and with l1 since June 2021.
    "L1",
    date(2012, 5, 1),
    [PeriodOfCare(date(2021, 6, 1))],
    [span("l1", date(2021, 6, 1), None, "U4", carer="l1")],
)
ONE_DAY_SHORT = child(  # L2: in care since exactly 30 Sep 2021; moved 1 Apr 2022.
    "L2",
    date(2010, 1, 1),
    [PeriodOfCare(date(2021, 9, 30))],
    [
        span("l2a", date(2021, 9, 30), date(2022, 4, 1), "U6", carer="l2a"),
        span("l2b", date(2022, 4, 1), None, "U4", carer="l2b"),
    ],
)
ADOPTED_LONG = child(  # L3: fostered from Jan 2021, placed for adoption (A6) June 2023.
    "L3",
    date(2019, 2, 1),
    [PeriodOfCare(date(2021, 1, 10))],
    [
        span("l3a", date(2021, 1, 10), date(2023, 6, 1), "U6", carer="l3-foster"),
        span("l3b", date(2023, 6, 1), None, "A6", carer="l3-adopters"),
    ],
)
ADOPTED_SHORT = child(  # L3b: K2, then fostered from June 2022, placed for adoption June 2023.
    "L3b",
    date(2019, 2, 1),
    [PeriodOfCare(date(2021, 1, 10))],
    [
        span("m1", date(2021, 1, 10), date(2022, 6, 1), "K2"),
        span("m2", date(2022, 6, 1), date(2023, 6, 1), "U6", carer="m-foster"),
        span("m3", date(2023, 6, 1), None, "A6", carer="m-adopters"),
    ],
)
SIXTEEN_TODAY = child(  # L4: 16th birthday on 31 March 2024.
    "L4",
    date(2008, 3, 31),
    [PeriodOfCare(date(2015, 1, 1))],
    [span("l4", date(2015, 1, 1), None, "U4", carer="l4")],
)
NOT_YET_30_MONTHS = child(  # L5: in care since 1 Oct 2021, one day short.
    "L5",
    date(2012, 1, 1),
    [PeriodOfCare(date(2021, 10, 1))],
    [span("l5", date(2021, 10, 1), None, "U4", carer="l5")],
)
HOSPITAL_STAY = child(  # L6: with l6-carers since May 2021, 19 days in hospital in Nov 2023.
    "L6",
    date(2013, 7, 1),
    [PeriodOfCare(date(2021, 5, 1))],
    [
        span("l6a", date(2021, 5, 1), date(2023, 11, 1), "U4", carer="l6-carers"),
        span("l6b", date(2023, 11, 1), date(2023, 11, 20), "T1"),
        span("l6c", date(2023, 11, 20), None, "U4", carer="l6-carers"),
    ],
)
CAME_BACK = child(  # L7: in care 2019-2021, back since 15 Jan 2022 with the same carers.
    "L7",
    date(2012, 1, 1),
    [PeriodOfCare(date(2019, 1, 1), date(2021, 12, 1)), PeriodOfCare(date(2022, 1, 15))],
    [
        span("l7a", date(2019, 1, 1), date(2021, 12, 1), "U4", carer="l7"),
        span("l7b", date(2022, 1, 15), None, "U4", carer="l7"),
    ],
)
FOSTER_TO_ADOPTERS = child(  # L8: foster carers became adopters (A5) in Sept 2023.
    "L8",
    date(2017, 1, 1),
    [PeriodOfCare(date(2021, 2, 1))],
    [
        span("l8a", date(2021, 2, 1), date(2023, 9, 1), "U5", carer="l8"),
        span("l8b", date(2023, 9, 1), None, "A5", carer="l8"),
    ],
)
LONG_TERM_COUNCIL = [
    LONG_SETTLED,
    ONE_DAY_SHORT,
    ADOPTED_LONG,
    ADOPTED_SHORT,
    SIXTEEN_TODAY,
    NOT_YET_30_MONTHS,
    HOSPITAL_STAY,
    CAME_BACK,
    FOSTER_TO_ADOPTERS,
]


def test_long_term_indicator_as_of_31_march() -> None:
    # Cohort (under 16, looked after since <= 30 Sep 2021):
    #   L1 yes | L2 yes (30 Sep 2021 exactly) | L3 yes | L3b yes |
    #   L4 no (16 today) | L5 no (1 Oct 2021) | L6 yes | L7 no (this period
    #   began 15 Jan 2022: not continuously looked after) | L8 yes.  -> 6
    # Stable (same placement since <= 31 Mar 2022):
    #   L1 yes (June 2021).
    #   L2 no: with l2b since 1 Apr 2022, one day short.
    #   L3 yes by the adoption rule: adoptive placement since 1 Jun 2023 (10
    #      months) + the one before since 10 Jan 2021 = since 10 Jan 2021.
    #   L3b no: adoptive placement + the one before only since 1 Jun 2022
    #      (22 months); the K2 before that is not "the one before".
    #   L6 yes: the hospital stay (T1) and the return to the same carers do not
    #      break the placement, which runs from 1 May 2021.
    #   L8 yes: A5 with the same carers is the same placement, from Feb 2021.
    # Numerator 4 (L1 L3 L6 L8): 4 / 6 = 66.7%.
    indicator = long_term_indicator(LONG_TERM_COUNCIL, AS_OF)
    assert (indicator.numerator, indicator.denominator) == (4, 6)
    assert indicator.percentage == 66.7
    stable = {
        r.child_id: r.long_term_stable
        for r in (child_stability(c, AS_OF) for c in LONG_TERM_COUNCIL)
        if r.long_term_cohort
    }
    assert stable == {
        "L1": True,
        "L2": False,
        "L3": True,
        "L3b": False,
        "L6": True,
        "L8": True,
    }


def test_placed_for_adoption_child_is_stable_only_through_the_adoption_rule() -> None:
    result = child_stability(ADOPTED_LONG, AS_OF)
    # Days in the adoptive placement alone: 1 Jun 2023 - 31 Mar 2024 = 304 < 2 years.
    assert result.days_in_current_placement == 304
    assert result.long_term_stable
    # The same dates with a foster (not adoptive) second placement are not stable.
    fostered = child(
        "L3-fostered",
        ADOPTED_LONG.date_of_birth,
        list(ADOPTED_LONG.periods_of_care),
        [
            span("f1", date(2021, 1, 10), date(2023, 6, 1), "U6", carer="l3-foster"),
            span("f2", date(2023, 6, 1), None, "U4", carer="other"),
        ],
    )
    assert child_stability(fostered, AS_OF).long_term_cohort
    assert not child_stability(fostered, AS_OF).long_term_stable


# -------------------------------------------------------- the Stability Index

MOVER = child(  # S1: age 10 on 31 Aug 2023; moved Oct 2023; changed school Nov 2023.
    "S1",
    date(2012, 9, 15),
    [PeriodOfCare(date(2022, 1, 1))],
    [
        span("s1a", date(2022, 1, 1), date(2023, 10, 1), "U6", carer="s1a"),
        span("s1b", date(2023, 10, 1), None, "U4", carer="s1b"),
    ],
    mid_year_school_moves=(date(2023, 11, 6),),
)
NEW_WORKER = child(  # S2: age 12; new social worker June 2023; school move before the year.
    "S2",
    date(2011, 4, 1),
    [PeriodOfCare(date(2021, 1, 1))],
    [span("s2", date(2021, 1, 1), None, "U4", carer="s2")],
    social_worker_changes=(date(2023, 6, 1),),
    mid_year_school_moves=(date(2023, 3, 15),),
)
TODDLER = child(  # S3: age 2 on 31 Aug 2023, so not of school age; new worker on 31 Mar 2024.
    "S3",
    date(2020, 10, 1),
    [PeriodOfCare(date(2023, 1, 1))],
    [span("s3", date(2023, 1, 1), None, "U6", carer="s3")],
    social_worker_changes=(date(2024, 3, 31),),
)
STEADY = child(  # S4: age 8, nothing changed.
    "S4",
    date(2015, 1, 1),
    [PeriodOfCare(date(2020, 1, 1))],
    [span("s4", date(2020, 1, 1), None, "U4", carer="s4")],
)
NEW_TO_CARE = child(  # S5: age 7; worker and school changed in April 2023, before care began.
    "S5",
    date(2016, 6, 1),
    [PeriodOfCare(date(2023, 5, 1))],
    [span("s5", date(2023, 5, 1), None, "U6", carer="s5")],
    social_worker_changes=(date(2023, 4, 20),),
    mid_year_school_moves=(date(2023, 4, 25),),
)
INDEX_COUNCIL = [MOVER, NEW_WORKER, TODDLER, STEADY, NEW_TO_CARE]


def test_stability_index_as_of_31_march() -> None:
    # Cohort: S1-S5, all looked after on 31 March 2024 -> 5.
    # Placement moves in the year: S1 (1 Oct 2023); S5's entry is not a move.
    #   1 / 5 = 20.0%.
    # Mid-year school moves, school-age cohort (Years 1-11: aged 5-15 on 31 Aug
    #   2023): S1 (10), S2 (12), S4 (8), S5 (7); not S3 (2) -> 4. With a move in
    #   the year while looked after: S1 only (S2's was 15 Mar 2023, before the
    #   window; S5's was before care began). 1 / 4 = 25.0%.
    # Social worker changes while looked after in the year: S2 (June 2023), S3
    #   (31 March 2024, the as-of date); not S5 (before care). 2 / 5 = 40.0%.
    index = stability_index(INDEX_COUNCIL, AS_OF)
    assert (index.placement_moves.numerator, index.placement_moves.denominator) == (1, 5)
    assert index.placement_moves.percentage == 20.0
    assert index.school_moves is not None
    assert (index.school_moves.numerator, index.school_moves.denominator) == (1, 4)
    assert index.school_moves.percentage == 25.0
    assert (
        index.social_worker_changes.numerator,
        index.social_worker_changes.denominator,
    ) == (2, 5)
    assert index.social_worker_changes.percentage == 40.0


# ------------------------------------------------------------ council + trend


def test_council_stability_gathers_all_three() -> None:
    council = council_stability(SHORT_TERM_COUNCIL, AS_OF)
    assert council.as_of == AS_OF
    assert council.short_term == short_term_indicator(SHORT_TERM_COUNCIL, AS_OF)
    assert council.long_term == long_term_indicator(SHORT_TERM_COUNCIL, AS_OF)
    assert council.stability_index == stability_index(SHORT_TERM_COUNCIL, AS_OF)


def test_monthly_trend_at_each_month_end() -> None:
    # Council A (settled), B (three placements), E (moved on 31 March 2024).
    #   31 Jan 2024 (window 1 Feb 2023 -):  A 1, B 3, E 2 -> short-term 1/3 = 33.3
    #   29 Feb 2024 (window 1 Mar 2023 -):  A 1, B 3, E 2 -> 1/3 = 33.3
    #   31 Mar 2024 (window 1 Apr 2023 -):  A 1, B 3, E 3 -> 2/3 = 66.7
    # Long-term: only A is in the cohort (B, E in care since late 2022), and
    #   stable (since May 2020): 1/1 = 100.0 each month.
    # Placement moves in each window: B (Jul, Dec 2023) and E (Sep 2023): 2/3.
    trend = monthly_trend(date(2024, 1, 1), date(2024, 3, 15), [SETTLED, THREE, MOVED_TODAY])
    assert [t.as_of for t in trend] == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]
    assert [t.short_term.percentage for t in trend] == [33.3, 33.3, 66.7]
    assert [t.long_term.percentage for t in trend] == [100.0, 100.0, 100.0]
    assert [t.stability_index.placement_moves.percentage for t in trend] == [66.7, 66.7, 66.7]
    assert [
        t.stability_index.school_moves and t.stability_index.school_moves.percentage for t in trend
    ] == [0.0, 0.0, 0.0]


def test_monthly_trend_runs_forwards() -> None:
    with pytest.raises(ValueError):
        monthly_trend(date(2024, 3, 1), date(2024, 1, 1), [])
    assert len(monthly_trend(date(2023, 11, 30), date(2024, 2, 1), [])) == 4


# --------------------------------------------- from the aggregate to the rules


def test_the_aggregates_spans_feed_the_rules() -> None:
    periods = [PeriodOfCare(date(2023, 5, 1))]
    history = PlacementHistory(child_id=uuid4())
    home = PlacementSetting(provider="PR1", carer_id="c", postcode="AB1 2CD")
    history.start_placement(
        placement_id=uuid4(),
        effective_date=date(2023, 5, 1),
        placement_type="U6",
        setting=home,
        periods_of_care=periods,
    )
    history.change_placement(
        new_placement_id=uuid4(),
        effective_date=date(2023, 8, 1),
        placement_type="T2",
        setting=PlacementSetting(),
        reason_place_change=None,
        periods_of_care=periods,
    )
    history.change_placement(
        new_placement_id=uuid4(),
        effective_date=date(2023, 8, 15),
        placement_type="U6",
        setting=home,
        reason_place_change=None,
        periods_of_care=periods,
    )
    record = ChildRecord(
        child_id=history.child_id,
        date_of_birth=date(2014, 3, 1),
        periods_of_care=periods,
        placements=history.spans(),
    )
    result = child_stability(record, AS_OF)
    assert (result.placement_count, result.move_count) == (1, 0)


# ------------------------------------------------ measures without a data source


def test_school_moves_without_a_data_source_are_null_with_a_reason_never_zero() -> None:
    # Nothing feeds school moves (the education service is not connected): the
    # records say None (unknown), which is not "no moves".
    unknown = [
        ChildRecord(
            child_id=c.child_id,
            date_of_birth=c.date_of_birth,
            periods_of_care=c.periods_of_care,
            placements=c.placements,
            legal_statuses=c.legal_statuses,
        )
        for c in INDEX_COUNCIL
    ]
    index = stability_index(unknown, AS_OF)
    assert index.school_moves is None
    assert "no data source" in index.unavailable["school_moves"]
    # The other measures are still counted.
    assert (index.placement_moves.numerator, index.placement_moves.denominator) == (1, 5)
    assert child_stability(unknown[0], AS_OF).mid_year_school_moves is None
    trend = monthly_trend(date(2024, 1, 1), date(2024, 3, 1), unknown)
    assert [t.stability_index.school_moves for t in trend] == [None, None, None]
    # Fed, and none in the year: a real 0.0 %.
    fed = stability_index([STEADY], AS_OF)
    assert fed.school_moves == Indicator(0, 1) and fed.unavailable == {}


# ------------------------------------------------ one definition of "the year before"


def test_one_year_before_for_every_measure() -> None:
    from shared.dates import year_before

    # 12 calendar months, not 365 days: the year to 31 March 2024 holds
    # 29 February 2024 and starts on 1 April 2023 (365 days back is 2 April).
    assert year_before(date(2024, 3, 31)) == (date(2023, 4, 1), date(2024, 3, 31))
    assert year_before(date(2024, 2, 29)) == (date(2023, 3, 1), date(2024, 2, 29))
    assert year_before(date(2023, 3, 31)) == (date(2022, 4, 1), date(2023, 3, 31))
    assert year_window(date(2024, 3, 31)) == year_before(date(2024, 3, 31))
    # A social worker change on 1 April 2023 is in the year to 31 March 2024.
    c = child(
        "Y1",
        date(2012, 1, 1),
        [PeriodOfCare(date(2020, 1, 1))],
        [span("y", date(2020, 1, 1), None, "U4", carer="y")],
        social_worker_changes=(date(2023, 4, 1),),
    )
    assert child_stability(c, AS_OF).social_worker_changes == (date(2023, 4, 1),)


# ------------------------------------------------- legal status and social workers


def test_the_legal_status_on_a_day_is_the_latest_of_the_period_covering_it() -> None:
    from services.placements.domain.stability import legal_status_on

    periods = [PeriodOfCare(date(2022, 1, 1), date(2022, 6, 1)), PeriodOfCare(date(2023, 1, 1))]
    c = child(
        "ls",
        date(2012, 1, 1),
        periods,
        [],
        legal_statuses=(
            (date(2022, 1, 1), "V2"),
            (date(2023, 2, 1), "C2"),
            (date(2023, 5, 1), "E1"),
        ),
    )
    assert [
        legal_status_on(c, day)
        for day in (
            date(2022, 3, 1),  # first period: V2
            date(2022, 7, 1),  # not looked after
            date(2023, 1, 15),  # second period, before its first status is known
            date(2023, 2, 1),  # the day the care order took effect
            date(2023, 4, 30),
            date(2023, 5, 1),
        )
    ] == ["V2", None, None, "C2", "C2", "E1"]


def test_social_worker_changes_are_changes_of_the_worker_the_child_knows() -> None:
    from services.placements.domain.stability import social_worker_changes

    allocations = [
        (date(2023, 1, 10), "sw-1"),  # the first allocation: not a change
        (date(2023, 3, 1), "sw-1"),  # re-allocated to the same worker (a change of team)
        (date(2023, 6, 1), "sw-2"),
        (date(2023, 6, 1), "sw-3"),  # two changes on one day, in the order recorded
        (date(2023, 4, 1), "sw-4"),  # recorded late: counts on its own day
    ]
    assert social_worker_changes(allocations) == (
        date(2023, 4, 1),
        date(2023, 6, 1),
        date(2023, 6, 1),
    )
    # On one day, the order recorded decides who the child knows at the end of it.
    same_day = [
        (date(2023, 1, 10), "sw-5"),
        (date(2023, 6, 1), "sw-9"),
        (date(2023, 6, 1), "sw-1"),
        (date(2023, 7, 1), "sw-1"),  # still sw-1: no change
    ]
    assert social_worker_changes(same_day) == (date(2023, 6, 1), date(2023, 6, 1))
    assert social_worker_changes([]) == ()
    assert social_worker_changes([(date(2023, 1, 10), "sw-1")]) == ()


@pytest.mark.parametrize(
    ("change", "counted"),
    [
        (date(2023, 1, 9), False),  # before care began
        (date(2023, 1, 10), True),  # the day care began
        (date(2023, 12, 1), True),  # the day care ended
        (date(2023, 12, 2), False),
    ],
)
def test_social_worker_changes_count_on_either_end_of_a_period_of_care(
    change: date, counted: bool
) -> None:
    c = child(
        "sw",
        date(2012, 1, 1),
        [PeriodOfCare(date(2023, 1, 10), date(2023, 12, 1))],
        [span("p", date(2023, 1, 10), date(2023, 12, 1), carer="c")],
        social_worker_changes=(change,),
    )
    as_of = date(2023, 12, 31)  # the year before is calendar 2023
    assert child_stability(c, as_of).social_worker_changes == ((change,) if counted else ())


# ------------------------------------------------------- counted placements


def test_short_breaks_cut_a_placement_by_the_legal_status_of_each_day() -> None:
    """P (2 Feb to 1 Oct): V3, then C2 from 1 Mar, E1 from 1 May, V4 from 1 Jul, C2 from 1 Oct.

    P counts from 1 Mar to 1 Jul (C2 then E1: one part); 1 Jul to 1 Oct is under
    short breaks. Q (from 1 Oct, other carers) is a move.
    """
    c = child(
        "sb",
        date(2012, 1, 1),
        [PeriodOfCare(date(2023, 1, 1))],
        [
            span("P", date(2023, 2, 1), date(2023, 10, 1), carer="c-1"),
            span("Q", date(2023, 10, 1), carer="c-2"),
        ],
        legal_statuses=(
            (date(2023, 1, 1), "V3"),
            (date(2023, 3, 1), "C2"),
            (date(2023, 5, 1), "E1"),
            (date(2023, 7, 1), "V4"),
            (date(2023, 10, 1), "C2"),
        ),
    )
    counted = counted_placements(c)
    assert [[(p.placement_id, p.start, p.end) for p in x.parts] for x in counted] == [
        [("P", date(2023, 3, 1), date(2023, 7, 1))],
        [("Q", date(2023, 10, 1), None)],
    ]
    assert [(x.start, x.end, x.began_with_move, x.period_start) for x in counted] == [
        (date(2023, 3, 1), date(2023, 7, 1), False, date(2023, 1, 1)),
        (date(2023, 10, 1), None, True, date(2023, 1, 1)),
    ]


def test_one_placement_split_by_short_breaks_is_one_counted_placement() -> None:
    """P (carers not recorded) from 1 Feb: C2, V4 from 1 May, C2 again from 1 Jul."""
    c = child(
        "split",
        date(2012, 1, 1),
        [PeriodOfCare(date(2023, 2, 1))],
        [span("P", date(2023, 2, 1))],
        legal_statuses=(
            (date(2023, 2, 1), "C2"),
            (date(2023, 5, 1), "V4"),
            (date(2023, 7, 1), "C2"),
        ),
    )
    (counted,) = counted_placements(c)
    assert [(p.start, p.end) for p in counted.parts] == [
        (date(2023, 2, 1), date(2023, 5, 1)),
        (date(2023, 7, 1), None),
    ]
    assert counted.placement_ids == ("P",)
    stability = child_stability(c, date(2023, 6, 1))  # under V4 that day, in P
    assert (stability.in_cohort, stability.current_placement_id) == (False, "P")
    assert stability.days_in_current_placement == (date(2023, 6, 1) - date(2023, 2, 1)).days


def test_placements_without_carers_not_after_a_temporary_one_are_two() -> None:
    c = child(
        "nc",
        date(2012, 1, 1),
        [PeriodOfCare(date(2023, 1, 10), date(2024, 1, 1))],
        [
            span("a", date(2023, 1, 10), date(2023, 6, 1), postcode="AB1 2CD"),
            span("b", date(2023, 6, 1), None, postcode="AB1 2CD"),  # left open after care ended
        ],
    )
    counted = counted_placements(c)
    assert [(x.start, x.end) for x in counted] == [
        (date(2023, 1, 10), date(2023, 6, 1)),
        (date(2023, 6, 1), date(2024, 1, 1)),  # clipped to the end of care
    ]


def test_a_return_naming_carers_to_a_placement_recorded_without_them() -> None:
    """Usual U6 (no carer_id, at AB1 2CD), a T2 stay, back to U6 at AB1 2CD naming carers."""
    c = child(
        "ret",
        date(2012, 1, 1),
        [PeriodOfCare(date(2023, 1, 10))],
        [
            span("usual", date(2023, 1, 10), date(2023, 6, 1), postcode="AB1 2CD"),
            span("away", date(2023, 6, 1), date(2023, 6, 8), place="T2"),
            span("back", date(2023, 6, 8), carer="c-1", postcode="AB1 2CD"),
        ],
    )
    (counted,) = counted_placements(c)
    assert counted.placement_ids == ("usual", "back")


def test_a_placement_ended_before_care_ended_keeps_its_end() -> None:
    c = child(
        "gap",
        date(2012, 1, 1),
        [PeriodOfCare(date(2023, 1, 10), date(2024, 1, 1))],
        [span("a", date(2023, 1, 10), date(2023, 9, 1), carer="c-1")],
    )
    assert [(x.start, x.end) for x in counted_placements(c)] == [
        (date(2023, 1, 10), date(2023, 9, 1))
    ]
    # Looked after on 1 Dec 2023 but in no recorded placement.
    stability = child_stability(c, date(2023, 12, 1))
    assert stability.current_placement_id is None
    assert stability.days_in_current_placement is None


def test_not_looked_after_has_no_current_placement_nor_days_in_it() -> None:
    c = child("out", date(2012, 1, 1), [PeriodOfCare(date(2023, 1, 10), date(2023, 3, 1))], [])
    stability = child_stability(c, AS_OF)
    assert (stability.as_of, stability.age, stability.looked_after) == (AS_OF, 12, False)
    assert stability.days_in_current_placement is None


# ------------------------------------------------------- long-term boundaries


def long_term_child(placements: list[PlacementSpan]) -> ChildRecord:
    """Born 2012, looked after since 1 Jan 2020 (more than 2.5 years before 31 Mar 2024)."""
    return child("lt", date(2012, 1, 1), [PeriodOfCare(date(2020, 1, 1))], placements)


@pytest.mark.parametrize(
    ("start", "stable"),
    [(date(2022, 3, 30), True), (date(2022, 3, 31), True), (date(2022, 4, 1), False)],
)
def test_long_term_same_placement_since_two_years_before_or_earlier(
    start: date, stable: bool
) -> None:
    c = long_term_child(
        [span("a", date(2020, 1, 1), start, carer="c-1"), span("b", start, carer="c-2")]
    )
    s = child_stability(c, AS_OF)
    assert (s.long_term_cohort, s.long_term_stable) == (True, stable)


@pytest.mark.parametrize(
    ("foster_start", "stable"),
    [(date(2022, 3, 31), True), (date(2022, 4, 1), False)],
)
def test_long_term_placed_for_adoption_on_the_day_counts_the_placement_before(
    foster_start: date, stable: bool
) -> None:
    """Placed for adoption with new adopters (A6) on the as-of date itself."""
    c = long_term_child(
        [
            span("first", date(2020, 1, 1), foster_start, carer="c-0"),
            span("foster", foster_start, AS_OF, carer="c-1"),
            span("adoptive", AS_OF, place="A6", carer="adopters"),
        ]
    )
    s = child_stability(c, AS_OF)
    assert s.days_in_current_placement == 0
    assert (s.long_term_cohort, s.long_term_stable) == (True, stable)


def test_long_term_cohort_in_no_placement_is_not_stable() -> None:
    c = long_term_child([span("a", date(2020, 1, 1), date(2024, 1, 1), carer="c-1")])
    s = child_stability(c, AS_OF)
    assert (s.long_term_cohort, s.long_term_stable) == (True, False)


# ------------------------------------------------------------- school age


@pytest.mark.parametrize(
    ("as_of", "born", "school_age"),
    [
        (date(2024, 3, 31), date(2018, 8, 31), True),  # 5 on 31 Aug 2023: Year 1
        (date(2024, 3, 31), date(2018, 9, 1), False),  # 4 on 31 Aug 2023: Reception
        (date(2024, 3, 31), date(2008, 8, 31), True),  # 15 on 31 Aug 2023: Year 11
        (date(2024, 3, 31), date(2007, 8, 31), False),  # 16: past Year 11
        (date(2023, 9, 1), date(2018, 8, 31), True),  # the new school year from September
        (date(2023, 8, 31), date(2018, 8, 31), False),  # still the year before
    ],
)
def test_school_age_is_age_on_the_31_august_starting_the_school_year(
    as_of: date, born: date, school_age: bool
) -> None:
    c = child("s", born, [PeriodOfCare(date(2023, 1, 10))], [span("a", date(2023, 1, 10))])
    assert child_stability(c, as_of).school_age is school_age


def test_school_moves_are_known_from_the_day_the_school_record_begins() -> None:
    from dataclasses import replace

    c = replace(
        child("s", date(2012, 1, 1), [PeriodOfCare(date(2023, 1, 10))], []),
        school_record_from=AS_OF,
    )
    assert child_stability(c, AS_OF).mid_year_school_moves == ()
    assert child_stability(c, date(2024, 3, 30)).mid_year_school_moves is None


# ----------------------------------------------------------- trend and periods


def test_a_trend_of_one_month_and_a_trend_backwards() -> None:
    (only,) = monthly_trend(date(2024, 3, 5), date(2024, 3, 20), [])
    assert only.as_of == AS_OF
    with pytest.raises(ValueError, match=r"^start_month is after end_month$"):
        monthly_trend(date(2024, 4, 1), date(2024, 3, 31), [])


def test_a_period_of_care_may_end_the_day_it_starts_but_not_before() -> None:
    assert not PeriodOfCare(date(2024, 1, 1), date(2024, 1, 1)).covers(date(2024, 1, 1))
    with pytest.raises(
        ValueError, match=r"^period of care ends \(2023-12-31\) before it starts \(2024-01-01\)$"
    ):
        PeriodOfCare(date(2024, 1, 1), date(2023, 12, 31))


def test_a_child_on_short_breaks_throughout_has_days_in_the_placement_but_none_counted() -> None:
    c = child(
        "v4",
        date(2012, 1, 1),
        [PeriodOfCare(date(2023, 1, 10))],
        [span("respite", date(2023, 1, 10), carer="c-1")],
        legal_statuses=((date(2023, 1, 10), "V4"),),
    )
    s = child_stability(c, AS_OF)
    assert (s.placements, s.current_placement_id, s.in_cohort) == ((), "respite", False)
    assert s.days_in_current_placement == (AS_OF - date(2023, 1, 10)).days
