"""The scorecard's education measures with worked examples (no servers).

Each example names its children and says by hand who is in each cohort and
who counts, so a wrong rule (a day out, the wrong year, 0 % for no data)
fails here.
"""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from services.education.domain import ENGLAND, EducationRecord, PepTimescales
from services.education.domain import errors as e
from services.education.domain.scorecard import (
    ChildFacts,
    first_day_needed,
    key_stage_measure,
    pep_current,
    pep_within_initial_days,
    permanent_exclusions,
    scorecard,
)
from services.education.domain.state import EducationState

#: A Tuesday in the spring term 2024/25: autumn term from 1 Sept 2024.
DAY = date(2025, 2, 11)
#: Of compulsory school age on DAY (aged 10), and a child not yet five.
PUPIL, TODDLER = date(2014, 6, 1), date(2021, 3, 1)


def child(
    name: str,
    born: date | None = PUPIL,
    periods: tuple[tuple[date, date | None], ...] = ((date(2022, 5, 3), None),),
    state: EducationState | None = None,
) -> ChildFacts:
    return ChildFacts(name, born, periods, state or EducationState())


def with_pep(*meetings: date) -> EducationState:
    r = EducationRecord(child_id=uuid4())
    pep = uuid4()
    r.initiate_pep(pep_id=pep, effective_date=meetings[0], targets_set=2)
    for held in meetings[1:]:
        r.record_pep_review(
            pep_id=pep, review_id=uuid4(), effective_date=held, targets_set=2, targets_met=1
        )
    return r.state


def with_results(*results: tuple[str, str, bool | None, bool | None]) -> EducationState:
    r = EducationRecord(child_id=uuid4())
    for stage, year, expected, grade_4 in results:
        if stage == "KS4":
            r.record_key_stage_result(
                key_stage=stage, academic_year=year, attainment8=40.0,
                english_maths_grade_4=grade_4,
            )  # fmt: skip
        else:
            r.record_key_stage_result(
                key_stage=stage, academic_year=year, expected_standard=expected
            )
    return r.state


# --- 1. a current PEP --------------------------------------------------------------------


def test_current_pep_counts_school_age_children_whose_first_pep_is_due() -> None:
    children = [
        # Reviewed this (spring) term: current.
        child("reviewed", state=with_pep(date(2024, 10, 1), date(2025, 1, 20))),
        # Last meeting in the autumn term (the previous term): still current.
        child("autumn", state=with_pep(date(2024, 11, 5))),
        # Last meeting in the summer term 2024, two terms ago: overdue.
        child("summer", state=with_pep(date(2024, 5, 1))),
        # No PEP, looked after since 2022: overdue.
        child("none"),
        # Looked after 11 days ago, no PEP yet: not yet eligible, not counted.
        child("new", periods=((date(2025, 1, 31), None),)),
        # Not of compulsory school age: no statutory PEP.
        child("toddler", born=TODDLER),
        # Left care on DAY: not looked after on it.
        child("left", periods=((date(2022, 5, 3), DAY),)),
    ]
    m = pep_current(children, DAY, ENGLAND)
    assert (m.numerator, m.denominator, m.unknown) == (2, 4, 0)
    assert m.percentage == 50.0 and m.value == 50.0 and m.reason is None
    assert m.target == 90.0
    assert m.children == {"reviewed", "autumn", "summer", "none"}


def test_current_pep_is_null_not_zero_when_nobody_is_due_or_a_birth_date_is_missing() -> None:
    empty = pep_current([child("toddler", born=TODDLER)], DAY, ENGLAND)
    assert (empty.denominator, empty.percentage) == (0, None)
    assert empty.reason is not None and "compulsory school age" in empty.reason
    unknown = pep_current([child("a", state=with_pep(date(2025, 1, 6))), child("b", born=None)],
                          DAY, ENGLAND)  # fmt: skip
    assert (unknown.numerator, unknown.denominator, unknown.unknown) == (1, 1, 1)
    assert unknown.percentage is None and unknown.value is None
    assert unknown.reason == "1 child without a known date of birth (compulsory school age unknown)"
    assert unknown.children == {"a", "b"}


# --- 2. a PEP within 20 days of becoming looked after ------------------------------------


def test_pep_within_20_days_of_entering_care_in_the_year_before() -> None:
    # year_before(11 Feb 2025) is 12 Feb 2024 to 11 Feb 2025.
    children = [
        # Entered 1 Oct 2024, PEP on day 20 (21 Oct): in time.
        child("day-20", periods=((date(2024, 10, 1), None),), state=with_pep(date(2024, 10, 21))),
        # Entered 1 Oct 2024, PEP on day 21 (22 Oct): late.
        child("day-21", periods=((date(2024, 10, 1), None),), state=with_pep(date(2024, 10, 22))),
        # Entered 12 Feb 2024, the window's first day, no PEP: late; since left care.
        child("first-day", periods=((date(2024, 2, 12), date(2024, 6, 1)),)),
        # Entered 11 Feb 2024, a day before the window: not new.
        child("before", periods=((date(2024, 2, 11), None),)),
        # Entered 1 Feb 2025: 20 days not passed, no PEP yet: not yet counted.
        child("pending", periods=((date(2025, 2, 1), None),)),
        # Entered 22 Jan 2025: day 20 is DAY itself, a PEP may still be held today.
        child("due-today", periods=((date(2025, 1, 22), None),)),
        # Entered 1 Feb 2025, PEP already held: counted, in time.
        child("quick", periods=((date(2025, 2, 1), None),), state=with_pep(date(2025, 2, 5))),
        # Entered aged 3: not of compulsory school age then.
        child("toddler", born=TODDLER, periods=((date(2024, 9, 2), None),)),
        # A PEP held before entering care does not count.
        child("earlier-pep", periods=((date(2024, 9, 2), None),), state=with_pep(date(2024, 8, 1))),
    ]
    m = pep_within_initial_days(children, DAY)
    assert (m.numerator, m.denominator, m.unknown) == (2, 5, 0)
    assert m.percentage == 40.0
    assert m.period == (date(2024, 2, 12), DAY)
    assert m.target is None and m.target_note is not None and "tbc" in m.target_note
    # The timescale is data: with 21 days, the PEP on day 21 is in time.
    assert pep_within_initial_days(children, DAY, PepTimescales(21)).numerator == 3


def test_a_child_entering_care_twice_in_the_year_counts_once_on_the_first_entry() -> None:
    twice = child(
        "twice",
        periods=((date(2024, 4, 2), date(2024, 7, 1)), (date(2024, 11, 4), None)),
        state=with_pep(date(2024, 11, 10)),  # in time only for the second entry
    )
    m = pep_within_initial_days([twice], DAY)
    assert (m.numerator, m.denominator) == (0, 1)
    assert m.percentage == 0.0 and m.reason is None  # a real 0 %: one child, late


# --- 3. and 4. key stage results -------------------------------------------------------------

# On 11 Feb 2025 the latest school year ended is 2023/24: 31 March 2024, children in care
# since 1 April 2023 or earlier. Year 6 in 2023/24: aged 10 on 31 August 2023 (born
# 1 Sept 2012 to 31 Aug 2013); Year 11: aged 15 (born 1 Sept 2007 to 31 Aug 2008).
Y6, Y11 = date(2012, 9, 1), date(2008, 8, 31)
LONG = ((date(2023, 4, 1), None),)
RESULTS_START = date(2023, 9, 1)


def test_ks2_counts_year_6_in_care_12_months_at_31_march_with_their_results() -> None:
    children = [
        child("met", Y6, LONG, with_results(("KS2", "2023/24", True, None))),
        child("not-met", Y6, LONG, with_results(("KS2", "2023/24", False, None))),
        # Entered 2 April 2023: 12 months not reached on 31 March 2024.
        child(
            "short", Y6, ((date(2023, 4, 2), None),), with_results(("KS2", "2023/24", True, None))
        ),
        # Left care on 31 March 2024: not looked after at 31 March.
        child(
            "left",
            Y6,
            ((date(2020, 1, 1), date(2024, 3, 31)),),
            with_results(("KS2", "2023/24", True, None)),
        ),
        # Born 31 Aug 2012: Year 7 in 2023/24 (no result this year).
        child("older", date(2012, 8, 31), LONG),
        # Year 5 by age, sat KS2 a year early: in the cohort by the result.
        child("early", date(2013, 9, 1), LONG, with_results(("KS2", "2023/24", True, None))),
        # Year 6 by age, but held back: result recorded for 2024/25. Not in this cohort.
        child("held-back", Y6, LONG, with_results(("KS2", "2024/25", True, None))),
    ]
    m = key_stage_measure(children, "KS2", RESULTS_START, ENGLAND)
    assert (m.numerator, m.denominator, m.unknown) == (2, 3, 0)
    assert m.percentage == 66.7
    assert m.target == 48.0 and m.target_note is not None and "level 4" in m.target_note
    assert m.children == {"met", "not-met", "early"}


def test_ks2_is_null_while_a_year_6_childs_result_is_not_recorded() -> None:
    children = [
        child("met", Y6, LONG, with_results(("KS2", "2023/24", True, None))),
        child("awaited", Y6, LONG),
    ]
    m = key_stage_measure(children, "KS2", RESULTS_START, ENGLAND)
    assert (m.numerator, m.denominator, m.unknown) == (1, 2, 1)
    assert m.percentage is None and m.reason is not None and "KS2" in m.reason
    empty = key_stage_measure([], "KS2", RESULTS_START, ENGLAND)
    assert empty.percentage is None and empty.reason is not None and "Year 6" in empty.reason


def test_ks4_is_grade_4_in_english_and_maths_not_attainment_8() -> None:
    children = [
        child("passed", Y11, LONG, with_results(("KS4", "2023/24", None, True))),
        child("missed", Y11, LONG, with_results(("KS4", "2023/24", None, False))),
        child("one-more", date(2007, 9, 1), LONG, with_results(("KS4", "2023/24", None, False))),
        child("ks2-only", Y6, LONG, with_results(("KS2", "2023/24", True, None))),
    ]
    m = key_stage_measure(children, "KS4", RESULTS_START, ENGLAND)
    assert (m.numerator, m.denominator, m.unknown) == (1, 3, 0)
    assert m.percentage == 33.3
    assert m.target == 36.0 and m.target_note is not None and "A*-C" in m.target_note
    assert "replacing" in m.definition and "grade 4" in m.definition
    # A KS4 result recorded with Attainment 8 only does not say: unknown, no percentage.
    only_a8 = child("a8", Y11, LONG, with_results(("KS4", "2023/24", None, None)))
    unknown = key_stage_measure([*children, only_a8], "KS4", RESULTS_START, ENGLAND)
    assert (unknown.denominator, unknown.unknown, unknown.percentage) == (4, 1, None)


def test_grade_4_in_english_and_maths_is_a_ks4_result_only() -> None:
    r = EducationRecord(child_id=uuid4())
    with pytest.raises(e.MissingResult, match="KS4"):
        r.record_key_stage_result(
            key_stage="KS2", academic_year="2023/24", expected_standard=True,
            english_maths_grade_4=True,
        )  # fmt: skip
    r.record_key_stage_result(key_stage="KS4", academic_year="2023/24", attainment8=41.5)
    r.record_key_stage_result(
        key_stage="KS4", academic_year="2023/24", attainment8=41.5, english_maths_grade_4=True
    )
    assert r.state.results[("KS4", "2023/24")].english_maths_grade_4 is True
    recorded = [type(x).__name__ for x in r.collect_events()]
    assert recorded.count("KeyStageResultRecorded") == 2  # the second adds what was lacking


# --- 5. permanent exclusions -------------------------------------------------------------


def excluded(*days: date, void_first: bool = False) -> EducationState:
    r = EducationRecord(child_id=uuid4())
    r.enrol(enrolment_id=uuid4(), urn="100001", phase="secondary", effective_date=date(2023, 9, 4))
    for day in days:
        r.record_exclusion(urn="100001", kind="permanent", effective_date=day, reason="PA")
    if void_first:
        r.void_exclusion(
            exclusion_id=r.exclusion_id("100001", "permanent", days[0]), reason="ERROR"
        )
    return r.state


def test_permanent_exclusions_count_children_excluded_this_school_year_while_in_care() -> None:
    children = [
        child("this-year", state=excluded(date(2024, 11, 12))),
        # Twice this year: one child.
        child("twice", state=excluded(date(2024, 9, 20), date(2025, 1, 14))),
        # Excluded in the last school year: not this one.
        child("last-year", state=excluded(date(2024, 6, 3))),
        # Recorded in error: voided.
        child("voided", state=excluded(date(2024, 10, 1), void_first=True)),
        # Excluded before coming into care (entered 1 Dec 2024).
        child(
            "before-care", periods=((date(2024, 12, 1), None),), state=excluded(date(2024, 10, 7))
        ),
        # Excluded while in care, since left care: still counted.
        child(
            "left",
            periods=((date(2022, 1, 1), date(2024, 12, 20)),),
            state=excluded(date(2024, 12, 2)),
        ),
        # Ceased on 1 September: looked after until 31 August, not in the school year.
        child("gone", periods=((date(2020, 1, 1), date(2024, 9, 1)),)),
    ]
    m = permanent_exclusions(children, DAY, ENGLAND)
    assert (m.numerator, m.denominator) == (3, 6)
    assert m.unit == "count" and m.value == 3.0 and m.target == 0.0
    assert m.period == (date(2024, 9, 1), DAY)
    assert "gone" not in m.children and "left" in m.children
    # Valid time: on 1 October 2024 only the September exclusion had happened.
    assert permanent_exclusions(children, date(2024, 10, 1), ENGLAND).numerator == 1


# --- the whole scorecard -----------------------------------------------------------------


def test_the_scorecard_has_the_seeds_five_measures_and_logs_only_children_counted() -> None:
    children = [
        child("pupil", state=with_pep(date(2025, 1, 6))),
        child("toddler", born=TODDLER),
    ]
    card = scorecard(children, DAY, ENGLAND)
    assert (card.academic_year, card.results_year) == ("2024/25", "2023/24")
    assert [m.key for m in card.measures] == [
        "pep_current",
        "pep_within_20_days",
        "ks2_expected_standard",
        "ks4_english_maths_grade_4",
        "permanent_exclusions",
    ]
    assert card.measures[0].percentage == 100.0
    # Nothing to measure: null with a reason, never 0 %.
    for m in card.measures[1:4]:
        assert m.denominator == 0 and m.percentage is None and m.reason
    # The toddler is counted only among the children looked after this school year.
    assert card.children == {"pupil", "toddler"}
    assert all(m.definition and m.source for m in card.measures)
    # In September the results year is the one just ended.
    assert scorecard([], date(2024, 9, 1), ENGLAND).results_year == "2023/24"
    assert scorecard([], date(2024, 8, 31), ENGLAND).results_year == "2022/23"


def test_the_read_models_are_asked_for_every_child_any_measure_may_count() -> None:
    # The earliest of: the year before (12 Feb 2024), the school year's start (1 Sept 2024)
    # and 31 March of the results year (31 March 2024).
    assert first_day_needed(DAY, ENGLAND) == date(2024, 2, 12)
    assert first_day_needed(date(2024, 10, 1), ENGLAND) == date(2023, 10, 2)
    assert first_day_needed(date(2024, 6, 1), ENGLAND) == date(2023, 3, 31)
