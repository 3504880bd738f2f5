"""The health record's rules and timescales, with worked examples (no servers)."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from services.health.domain import ChildFacts, HealthRecord, Kind, errors, health_status
from services.health.domain.status import scorecard, sdq_band

CHILD = UUID("11111111-1111-4111-8111-111111111111")
#: Born 1 May 2015; looked after from Monday 8 January 2024.
FACTS = ChildFacts(date(2015, 5, 1), ((date(2024, 1, 8), None),))
TODDLER = ChildFacts(date(2022, 3, 1), ((date(2024, 1, 8), None),))


def record() -> HealthRecord:
    return HealthRecord(child_id=CHILD)


def iha(r: HealthRecord, day: date, facts: ChildFacts = FACTS, **kw: object) -> UUID:
    entry = uuid4()
    r.record_initial_health_assessment(
        entry_id=entry,
        assessment_date=day,
        practitioner_id="dr.okafor",
        outcome=kw.get("outcome", "NO_NEEDS"),  # type: ignore[arg-type]
        facts=facts,
        source=kw.get("source"),  # type: ignore[arg-type]
        source_version=kw.get("source_version"),  # type: ignore[arg-type]
    )
    return entry


def rha(r: HealthRecord, day: date, facts: ChildFacts = FACTS) -> UUID:
    entry = uuid4()
    r.record_review_health_assessment(
        entry_id=entry, assessment_date=day, practitioner_id="dr.okafor", outcome=None, facts=facts
    )
    return entry


def sdq(r: HealthRecord, day: date, score: int | None, reason: str | None = None) -> None:
    r.record_sdq(entry_id=uuid4(), sdq_date=day, score=score, reason=reason, facts=FACTS)


# --------------------------------------------------------------------- the rules


def test_a_review_assessment_cannot_come_before_the_initial_one() -> None:
    r = record()
    with pytest.raises(errors.ReviewBeforeInitialAssessment) as refused:
        rha(r, date(2024, 2, 1))
    assert refused.value.field == "assessment_date"
    iha(r, date(2024, 2, 1))
    with pytest.raises(errors.ReviewBeforeInitialAssessment):
        rha(r, date(2024, 1, 31))
    rha(r, date(2024, 8, 1))
    assert [e.kind for e in r.standing()] == [Kind.IHA, Kind.RHA]


def test_one_initial_assessment_per_period_of_care() -> None:
    r = record()
    iha(r, date(2024, 2, 1))
    with pytest.raises(errors.InitialAssessmentAlreadyRecorded):
        iha(r, date(2024, 3, 1))


def test_an_initial_assessment_follows_becoming_looked_after() -> None:
    with pytest.raises(errors.NotLookedAfterYet):
        iha(record(), date(2023, 12, 1))


@pytest.mark.parametrize(
    ("day", "error"),
    [(date(2015, 4, 30), errors.DateBeforeBirth), (date(2199, 1, 1), errors.DateInFuture)],
)
def test_dates_are_not_before_birth_nor_in_the_future(day: date, error: type) -> None:
    r = record()
    with pytest.raises(error) as refused:
        r.record_dental_check(entry_id=uuid4(), check_date=day, practitioner_id=None, facts=FACTS)
    assert refused.value.field == "check_date"
    assert not r.standing()


@pytest.mark.parametrize("score", [-1, 41])
def test_an_sdq_score_is_0_to_40(score: int) -> None:
    with pytest.raises(errors.ScoreOutOfRange):
        sdq(record(), date(2024, 3, 1), score)


def test_an_sdq_has_a_score_or_a_reason_not_both() -> None:
    with pytest.raises(errors.ScoreOrReason):
        sdq(record(), date(2024, 3, 1), 12, "SDQ2")
    with pytest.raises(errors.ScoreOrReason):
        sdq(record(), date(2024, 3, 1), None, None)
    with pytest.raises(errors.UnknownCode):
        sdq(record(), date(2024, 3, 1), None, "SDQ9")


def test_sdq1_says_the_child_was_under_4_or_over_16() -> None:
    # Aged 8 on 1 March 2024: SDQ1 (age) is wrong (SSDA903 rule 157); SDQ2 is fine.
    with pytest.raises(errors.SdqAgeMismatch) as refused:
        sdq(record(), date(2024, 3, 1), None, "SDQ1")
    assert refused.value.field == "reason"
    sdq(record(), date(2024, 3, 1), None, "SDQ2")


def test_development_checks_are_for_under_fives() -> None:
    r = record()
    with pytest.raises(errors.DevelopmentCheckNotUnderFive):
        r.record_development_check(
            entry_id=uuid4(), check_date=date(2024, 3, 1), practitioner_id=None, facts=FACTS
        )
    r.record_development_check(
        entry_id=uuid4(), check_date=date(2024, 3, 1), practitioner_id=None, facts=TODDLER
    )


def test_an_intervention_needs_misuse_identified_and_received_needs_offered() -> None:
    r = record()
    with pytest.raises(errors.InterventionWithoutMisuse):
        r.record_substance_misuse(
            entry_id=uuid4(),
            recorded_date=date(2024, 3, 1),
            identified=False,
            intervention_offered=True,
            intervention_received=None,
            facts=FACTS,
        )
    with pytest.raises(errors.ReceivedWithoutOffered):
        r.record_substance_misuse(
            entry_id=uuid4(),
            recorded_date=date(2024, 3, 1),
            identified=True,
            intervention_offered=False,
            intervention_received=True,
            facts=FACTS,
        )


def test_a_health_plan_is_reviewed_after_it_was_agreed() -> None:
    r = record()
    with pytest.raises(errors.HealthPlanNotAgreed):
        r.review_health_plan(entry_id=uuid4(), reviewed_date=date(2024, 3, 1), facts=FACTS)
    r.agree_health_plan(entry_id=uuid4(), agreed_date=date(2024, 2, 1), facts=FACTS)
    r.review_health_plan(entry_id=uuid4(), reviewed_date=date(2024, 3, 1), facts=FACTS)


def test_the_same_command_again_records_nothing_and_its_id_with_other_facts_is_refused() -> None:
    r = record()
    entry = uuid4()
    r.record_dental_check(
        entry_id=entry, check_date=date(2024, 3, 1), practitioner_id=None, facts=FACTS
    )
    pending = len(r.pending_events)
    r.record_dental_check(
        entry_id=entry, check_date=date(2024, 3, 1), practitioner_id=None, facts=FACTS
    )
    assert len(r.pending_events) == pending
    with pytest.raises(errors.DuplicateEntryId):
        r.record_dental_check(
            entry_id=entry, check_date=date(2024, 3, 2), practitioner_id=None, facts=FACTS
        )


# --------------------------------------------------------------------- corrections


def test_a_void_takes_an_entry_out_and_keeps_it_in_the_history() -> None:
    r = record()
    entry = uuid4()
    r.record_dental_check(
        entry_id=entry, check_date=date(2024, 3, 1), practitioner_id=None, facts=FACTS
    )
    r.void_entry(entry_id=entry, reason="KEYING", note=None)
    assert r.standing() == [] and r.entries[0].voided
    r.void_entry(entry_id=entry, reason="KEYING", note=None)  # the same correction: nothing new
    with pytest.raises(errors.EntryAlreadyVoided):
        r.void_entry(entry_id=entry, reason="AUDIT", note=None)
    with pytest.raises(errors.EntryNotFound):
        r.void_entry(entry_id=uuid4(), reason="KEYING", note=None)


def test_the_iha_a_review_rests_on_cannot_be_voided_first() -> None:
    r = record()
    first = iha(r, date(2024, 2, 1))
    review = rha(r, date(2024, 8, 1))
    with pytest.raises(errors.EntryNeeded):
        r.void_entry(entry_id=first, reason="KEYING", note=None)
    r.void_entry(entry_id=review, reason="KEYING", note=None)
    r.void_entry(entry_id=first, reason="KEYING", note=None)


def test_a_new_version_of_a_fhir_resource_supersedes_the_entry_it_gave() -> None:
    r = record()
    iha(r, date(2024, 2, 1), source="Encounter/e1", source_version="1")
    iha(r, date(2024, 2, 1), source="Encounter/e1", source_version="1")  # again: nothing
    assert len(r.entries) == 1
    iha(r, date(2024, 2, 2), source="Encounter/e1", source_version="2")
    assert [(e.day, e.voided) for e in r.entries] == [
        (date(2024, 2, 1), True),
        (date(2024, 2, 2), False),
    ]


# --------------------------------------------------------------------- timescales


def test_iha_within_20_working_days_of_becoming_looked_after() -> None:
    # Looked after Monday 8 January 2024: 20 working days is Monday 5 February.
    r = record()
    assert health_status(FACTS, r.entries, date(2024, 2, 5)).initial_health_assessment.state == (
        "due"
    )
    late = health_status(FACTS, r.entries, date(2024, 2, 6)).initial_health_assessment
    assert (late.state, late.due) == ("overdue", date(2024, 2, 5))
    iha(r, date(2024, 2, 5))
    done = health_status(FACTS, r.entries, date(2024, 3, 1)).initial_health_assessment
    assert (done.state, done.last) == ("in_time", date(2024, 2, 5))
    r2 = record()
    iha(r2, date(2024, 2, 6))
    assert health_status(FACTS, r2.entries, date(2024, 3, 1)).initial_health_assessment.state == (
        "late"
    )


def test_rha_six_monthly_under_5_and_yearly_from_5() -> None:
    r = record()
    iha(r, date(2024, 2, 1), facts=TODDLER)  # aged 1
    status = health_status(TODDLER, r.entries, date(2024, 8, 1))
    assert (status.review_health_assessment.state, status.review_health_assessment.due) == (
        "up_to_date",
        date(2024, 8, 1),
    )
    assert health_status(TODDLER, r.entries, date(2024, 8, 2)).review_health_assessment.state == (
        "overdue"
    )
    older = record()
    iha(older, date(2024, 2, 1))  # aged 8
    assert health_status(FACTS, older.entries, date(2024, 8, 2)).review_health_assessment.due == (
        date(2025, 2, 1)
    )


def test_valid_time_counts_only_what_was_done_by_the_day() -> None:
    r = record()
    iha(r, date(2024, 2, 1))
    before = health_status(FACTS, r.entries, date(2024, 1, 31))
    assert before.initial_health_assessment.state == "due"


def test_sdq_bands_and_the_latest_score() -> None:
    assert [sdq_band(s) for s in (0, 13, 14, 16, 17, 40)] == [
        "normal",
        "normal",
        "borderline",
        "borderline",
        "concern",
        "concern",
    ]
    r = record()
    sdq(r, date(2024, 3, 1), 15)
    status = health_status(FACTS, r.entries, date(2024, 6, 1))
    assert (status.sdq_score, status.sdq_band, status.sdq.due) == (
        15,
        "borderline",
        date(2025, 3, 1),
    )


def test_the_scorecard_counts_with_numerators_and_denominators() -> None:
    in_time, late = record(), record()
    iha(in_time, date(2024, 2, 1))
    iha(late, date(2024, 3, 1))
    card = scorecard([(FACTS, in_time.entries), (FACTS, late.entries)], date(2024, 4, 1))
    assert (card.iha_in_time.numerator, card.iha_in_time.denominator) == (1, 2)
    assert card.iha_in_time.percentage == 50.0
    assert card.rha_up_to_date.denominator == 0  # nobody looked after 12 months yet
