"""The education record's rules with worked examples (no servers)."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from services.education.adapters.integration_events import translate
from services.education.domain import ENGLAND, EducationRecord, SchoolCalendar, status_on
from services.education.domain import errors as e
from services.education.domain.status import PepTimescales
from shared.contracts import education as contract

CHILD = UUID("00000000-0000-4000-8000-0000000000e1")
A, B, C = "100001", "100002", "100003"


def record() -> EducationRecord:
    return EducationRecord(child_id=CHILD)


def enrolled(urn: str = A, start: date = date(2023, 9, 4)) -> tuple[EducationRecord, UUID]:
    r = record()
    first = uuid4()
    r.enrol(enrolment_id=first, urn=urn, phase="primary", effective_date=start)
    return r, first


# --- the calendar: school years, terms, the transition window -------------------------


def test_school_years_and_terms_follow_englands_defaults() -> None:
    assert ENGLAND.year_start(date(2024, 8, 31)) == date(2023, 9, 1)
    assert ENGLAND.year_start(date(2024, 9, 1)) == date(2024, 9, 1)
    assert ENGLAND.academic_year(date(2024, 1, 15)) == "2023/24"
    assert ENGLAND.term_name(date(2024, 1, 15)) == "spring"
    assert ENGLAND.term_name(date(2024, 5, 1)) == "summer"
    assert ENGLAND.previous_term_start(date(2024, 1, 15)) == date(2023, 9, 1)


def test_a_council_can_give_its_own_calendar() -> None:
    calendar = SchoolCalendar.model_validate_json(
        '{"year_starts": [8, 20], "transition": [[7, 1], [9, 10]], '
        '"terms": [{"name": "autumn", "starts": [8, 20]}, {"name": "spring", "starts": [1, 5]}]}'
    )
    assert calendar.year_start(date(2024, 8, 25)) == date(2024, 8, 20)
    assert not calendar.at_transition(date(2024, 9, 20))
    with pytest.raises(ValueError, match="first term starts"):
        SchoolCalendar.model_validate(
            {"year_starts": (9, 1), "terms": [{"name": "x", "starts": (1, 1)}]}
        )


# --- school moves: which are mid-year ---------------------------------------------------


def test_a_move_in_january_is_a_mid_year_school_move() -> None:
    r, _ = enrolled()
    r.move_school(
        new_enrolment_id=uuid4(), urn=B, phase="primary", effective_date=date(2024, 1, 15)
    )
    assert r.state.mid_year_moves == (date(2024, 1, 15),)
    first = next(x for x in r.state.enrolments.values() if x.urn == A)
    assert first.end == date(2024, 1, 14)  # the last day on the old roll


def test_a_move_at_the_start_of_the_school_year_is_not_mid_year() -> None:
    r, _ = enrolled(start=date(2022, 9, 5))
    r.move_school(
        new_enrolment_id=uuid4(), urn=B, phase="secondary", effective_date=date(2023, 9, 6)
    )
    assert r.state.mid_year_moves == ()


def test_the_first_school_known_is_not_a_move() -> None:
    r, _ = enrolled(start=date(2024, 2, 1))  # joined mid-year, but from where is not known
    assert r.state.mid_year_moves == ()


def test_a_dual_registration_at_alternative_provision_is_never_a_move() -> None:
    r, _ = enrolled()
    r.enrol(enrolment_id=uuid4(), urn=C, phase="ap", effective_date=date(2024, 2, 1))
    assert r.state.mid_year_moves == ()


def test_two_main_schools_at_once_are_refused() -> None:
    r, _ = enrolled()
    with pytest.raises(e.EnrolmentsOverlap) as refused:
        r.enrol(enrolment_id=uuid4(), urn=B, phase="primary", effective_date=date(2024, 1, 15))
    assert refused.value.field == "effective_date"


def test_voiding_a_school_recorded_in_error_takes_its_move_away() -> None:
    r, _ = enrolled()
    second = uuid4()
    r.move_school(new_enrolment_id=second, urn=B, phase="primary", effective_date=date(2024, 1, 15))
    r.void_enrolment(enrolment_id=second, reason="ERROR")
    assert r.state.mid_year_moves == ()
    events = r.collect_events()
    stated = [x for ev in events for x in translate(ev, {})]
    moves = [x for x in stated if isinstance(x, contract.SchoolMovesStated)]
    assert [m.mid_year_moves for m in moves] == [[], [date(2024, 1, 15)], []]
    assert all(m.school_record_from == date(2023, 9, 4) for m in moves)


def test_amending_a_start_out_of_the_transition_window_reclassifies_the_move() -> None:
    r, _ = enrolled(start=date(2022, 9, 5))
    second = uuid4()
    r.move_school(new_enrolment_id=second, urn=B, phase="primary", effective_date=date(2023, 9, 25))
    assert r.state.mid_year_moves == ()  # in the first weeks of the autumn term
    r.amend_enrolment(enrolment_id=second, reason="LATE", start_date=date(2023, 10, 2))
    assert r.state.mid_year_moves == (date(2023, 10, 2),)


def test_an_unknown_phase_or_a_bad_urn_is_refused_naming_the_field() -> None:
    with pytest.raises(e.UnknownCode) as phase:
        record().enrol(
            enrolment_id=uuid4(), urn=A, phase="college", effective_date=date(2023, 9, 4)
        )
    assert phase.value.field == "phase"
    with pytest.raises(e.InvalidUrn) as urn:
        record().enrol(
            enrolment_id=uuid4(), urn="012345", phase="primary", effective_date=date(2023, 9, 4)
        )
    assert urn.value.field == "urn"


# --- attendance -------------------------------------------------------------------------


def attend(
    r: EducationRecord, possible: int = 120, attended: int = 110, authorised: int = 6
) -> None:
    r.record_attendance(
        urn=A,
        period_start=date(2023, 9, 4),
        period_end=date(2023, 12, 20),
        sessions_possible=possible,
        sessions_attended=attended,
        authorised_absence=authorised,
    )


def test_the_same_attendance_again_records_nothing_and_other_figures_correct_it() -> None:
    r, _ = enrolled()
    attend(r)
    attend(r)
    attend(r, attended=112)
    names = [type(x).__name__ for x in r.collect_events()]
    assert names == ["Opened", "Enrolled", "AttendanceRecorded", "AttendanceCorrected"]
    status = status_on(r.state, date(2024, 1, 10), ENGLAND)
    assert (status.sessions_possible, status.sessions_attended) == (120, 112)
    assert status.attendance_rate == 93.3  # 112 of 120, one place, half up


def test_attendance_that_does_not_add_up_or_at_another_school_is_refused() -> None:
    r, _ = enrolled()
    with pytest.raises(e.BadFigures) as figures:
        attend(r, possible=100, attended=95, authorised=6)
    assert figures.value.field == "sessions_attended"
    with pytest.raises(e.NotEnrolled):
        r.record_attendance(
            urn=B, period_start=date(2023, 9, 4), period_end=date(2023, 12, 20),
            sessions_possible=100, sessions_attended=90, authorised_absence=5,
        )  # fmt: skip


# --- exclusions -------------------------------------------------------------------------


def test_suspensions_are_in_half_days_and_at_most_45_days_a_school_year() -> None:
    r, _ = enrolled()
    with pytest.raises(e.BadDays):
        r.record_exclusion(
            urn=A, kind="suspension", effective_date=date(2023, 10, 2), reason="DB", days=1.25
        )
    r.record_exclusion(
        urn=A, kind="suspension", effective_date=date(2023, 10, 2), reason="DB", days=40
    )
    with pytest.raises(e.BadDays) as too_many:
        r.record_exclusion(
            urn=A, kind="suspension", effective_date=date(2023, 11, 6), reason="DB", days=5.5
        )
    assert "40 days" in too_many.value.message
    r.record_exclusion(
        urn=A, kind="suspension", effective_date=date(2023, 11, 6), reason="DB", days=5
    )


def test_a_permanent_exclusion_has_no_days_and_counts_in_the_status() -> None:
    r, _ = enrolled()
    with pytest.raises(e.BadDays):
        r.record_exclusion(
            urn=A, kind="permanent", effective_date=date(2024, 3, 1), reason="PA", days=3
        )
    r.record_exclusion(urn=A, kind="permanent", effective_date=date(2024, 3, 1), reason="PA")
    assert status_on(r.state, date(2024, 3, 2), ENGLAND).permanent_exclusions == (date(2024, 3, 1),)
    assert status_on(r.state, date(2024, 2, 28), ENGLAND).permanent_exclusions == ()


# --- the PEP ----------------------------------------------------------------------------


def test_a_pep_is_current_while_reviewed_each_term_and_overdue_after_a_missed_term() -> None:
    r, _ = enrolled()
    pep = uuid4()
    r.initiate_pep(pep_id=pep, effective_date=date(2023, 9, 20), targets_set=3)
    review = uuid4()
    r.record_pep_review(
        pep_id=pep, review_id=review, effective_date=date(2024, 1, 20), targets_set=4,
        targets_met=2, child_views="I like art",
    )  # fmt: skip
    assert status_on(r.state, date(2024, 3, 1), ENGLAND).pep == "current"
    assert status_on(r.state, date(2024, 5, 1), ENGLAND).pep == "current"  # due by term end
    assert status_on(r.state, date(2024, 9, 10), ENGLAND).pep == "overdue"  # summer missed


def test_no_pep_is_due_within_20_days_of_becoming_looked_after_then_overdue() -> None:
    r = record()
    since = date(2024, 1, 8)
    assert status_on(r.state, date(2024, 1, 20), ENGLAND, since).pep == "due"
    late = status_on(r.state, date(2024, 1, 29), ENGLAND, since)
    assert (late.pep, late.pep_due_by) == ("overdue", date(2024, 1, 28))
    assert status_on(r.state, date(2024, 1, 29), ENGLAND, since, PepTimescales(30)).pep == "due"


def test_the_statutory_pep_is_due_only_for_children_of_compulsory_school_age() -> None:
    r = record()
    since = date(2024, 1, 8)
    toddler, pupil = date(2021, 6, 1), date(2014, 6, 1)
    early = status_on(r.state, date(2024, 3, 1), ENGLAND, since, date_of_birth=toddler)
    assert (early.pep, early.pep_due_by) == ("none", None)
    school = status_on(r.state, date(2024, 3, 1), ENGLAND, since, date_of_birth=pupil)
    assert school.pep == "overdue"


def test_a_pep_review_recorded_in_error_is_voided_and_no_longer_counts() -> None:
    r = record()
    pep, review = uuid4(), uuid4()
    r.initiate_pep(pep_id=pep, effective_date=date(2024, 1, 10), targets_set=3)
    r.record_pep_review(
        pep_id=pep, review_id=review, effective_date=date(2024, 4, 20), targets_set=4, targets_met=2
    )
    assert status_on(r.state, date(2024, 5, 1), ENGLAND).last_pep_meeting == date(2024, 4, 20)
    with pytest.raises(e.UnknownCode):
        r.void_pep_review(review_id=review, reason="WHIM")  # refused: nothing recorded
    assert str(review) in r.state.reviews
    r.void_pep_review(review_id=review, reason="ERROR")
    r.void_pep_review(review_id=review, reason="ERROR")  # again: nothing more
    assert [type(ev).__name__ for ev in r.collect_events()][-1] == "PepReviewVoided"
    assert str(review) not in r.state.reviews
    assert status_on(r.state, date(2024, 5, 1), ENGLAND).last_pep_meeting == date(2024, 1, 10)
    with pytest.raises(e.PepNotFound):
        r.void_pep_review(review_id=uuid4(), reason="ERROR")


def test_targets_met_cannot_exceed_those_set_at_the_previous_meeting() -> None:
    r = record()
    pep = uuid4()
    r.initiate_pep(pep_id=pep, effective_date=date(2023, 9, 20), targets_set=3)
    with pytest.raises(e.PepMissing) as refused:
        r.record_pep_review(
            pep_id=pep,
            review_id=uuid4(),
            effective_date=date(2024, 1, 20),
            targets_set=2,
            targets_met=4,
        )
    assert refused.value.field == "targets_met"


def test_the_childs_views_are_never_published() -> None:
    r = record()
    pep = uuid4()
    r.initiate_pep(pep_id=pep, effective_date=date(2023, 9, 20), targets_set=3)
    r.record_pep_review(
        pep_id=pep, review_id=uuid4(), effective_date=date(2024, 1, 20), targets_set=2,
        targets_met=1, child_views="I want to stay at this school",
    )  # fmt: skip
    published = [x for ev in r.collect_events() for x in translate(ev, {})]
    assert "stay at this school" not in " ".join(x.model_dump_json() for x in published)
    assert any(isinstance(x, contract.PepReviewed) and x.targets_met == 1 for x in published)


def test_key_stage_results_need_their_measure() -> None:
    r = record()
    with pytest.raises(e.MissingResult):
        r.record_key_stage_result(key_stage="KS4", academic_year="2023/24")
    with pytest.raises(e.MissingResult):
        r.record_key_stage_result(key_stage="KS2", academic_year="2023/25", expected_standard=True)
    r.record_key_stage_result(key_stage="KS2", academic_year="2022/23", expected_standard=True)
    r.record_key_stage_result(key_stage="KS2", academic_year="2022/23", expected_standard=True)
    assert len(r.collect_events()) == 2  # Opened, the result once
