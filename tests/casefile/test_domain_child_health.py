"""That a health assessment was done, learned from the health service, and its withdrawal.

On the `Child` aggregate itself. Amira (born 1 March 2015) is looked after from
8 January 2024; health's entries name the assessments they recorded.
"""

from __future__ import annotations

from datetime import date

import pytest

from casefile.children import amira
from services.casefile.domain import errors
from services.casefile.domain.values import HealthAssessment, HealthAssessmentKind

INITIAL = HealthAssessmentKind.INITIAL
REVIEW = HealthAssessmentKind.REVIEW


def test_an_assessment_from_an_entry_again_records_nothing() -> None:
    child = amira()
    child.record_health_assessment(
        effective_date=date(2024, 2, 1), kind="initial", entry_id="entry-1"
    )
    version = child.version
    child.record_health_assessment(
        effective_date=date(2024, 2, 1), kind="initial", entry_id="entry-1"
    )
    assert child.version == version
    # The same day and kind from another entry is another assessment.
    child.record_health_assessment(
        effective_date=date(2024, 2, 1), kind="initial", entry_id="entry-2"
    )
    assert child.health_assessments == [
        HealthAssessment(date(2024, 2, 1), INITIAL, "entry-1"),
        HealthAssessment(date(2024, 2, 1), INITIAL, "entry-2"),
    ]


def test_what_a_refused_assessment_says() -> None:
    child = amira()
    with pytest.raises(errors.NotLookedAfter) as outside:
        child.record_health_assessment(effective_date=date(2024, 1, 7), kind="initial")
    assert (outside.value.field, outside.value.message) == (
        "effective_date",
        "the child was not looked after on 2024-01-07",
    )
    with pytest.raises(errors.UnknownCode) as unknown:
        child.record_health_assessment(effective_date=date(2024, 2, 1), kind="dental")
    assert (unknown.value.field, unknown.value.message) == ("kind", "'dental' is not a valid kind")


def test_a_withdrawn_entry_no_longer_counts() -> None:
    child = amira()
    child.record_health_assessment(
        effective_date=date(2024, 2, 1), kind="initial", entry_id="entry-1"
    )
    child.record_health_assessment(effective_date=date(2024, 8, 1), kind="review")
    child.record_health_assessment(
        effective_date=date(2025, 2, 1), kind="review", entry_id="entry-3"
    )
    version = child.version
    child.withdraw_health_assessment(entry_id="entry-1")
    assert child.version == version + 1
    event = child.collect_events()[-1]
    assert type(event).__name__ == "HealthAssessmentWithdrawn"
    assert event.entry_id == "entry-1"  # type: ignore[attr-defined]
    assert child.health_assessments == [
        HealthAssessment(date(2024, 8, 1), REVIEW),
        HealthAssessment(date(2025, 2, 1), REVIEW, "entry-3"),
    ]


def test_withdrawing_an_entry_not_in_the_record_records_nothing() -> None:
    child = amira()
    child.record_health_assessment(
        effective_date=date(2024, 2, 1), kind="initial", entry_id="entry-1"
    )
    version = child.version
    child.withdraw_health_assessment(entry_id="entry-9")
    child.withdraw_health_assessment(entry_id="entry-1")
    child.withdraw_health_assessment(entry_id="entry-1")  # again: already gone
    assert child.version == version + 1
    assert child.health_assessments == []
