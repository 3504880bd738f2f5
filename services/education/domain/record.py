"""A child's education record: one event-sourced aggregate per child.

Every rule that needs the child's school history is checked here, in one
consistency boundary: enrolments do not overlap, attendance and exclusions
are at a school the child was enrolled at, suspensions stay within the yearly
limit, a PEP review follows its PEP. Each command method checks every rule,
then calls one `@event` method whose body only changes state (through
`EducationState.apply`, shared with the status read model). A command already
in the record (same facts) records nothing: that is how a retry, or a school
sending the same feed again, is recognised. A different fact for the same
thing (another attendance figure for the same period) is recorded as a
correction, beside the original.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.education.domain import codes
from services.education.domain import errors as e
from services.education.domain.calendar import ENGLAND, SchoolCalendar
from services.education.domain.state import EducationState, Enrolment
from shared.dates import today

#: uuid5(NAMESPACE, str(child_id)) is the child's record. Fixed forever.
NAMESPACE = UUID("3b0f6a2c-6a0e-5a7e-9c11-5d2b8e4f0a17")


def _args(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != "self"}


def _code(value: str, codes_list: dict[str, str], what: str, field: str) -> str:
    if value not in codes_list:
        raise e.UnknownCode(f"{value!r} is not a {what} ({', '.join(codes_list)})", field)
    return value


def _urn(urn: str, field: str = "urn") -> str:
    if not codes.URN.fullmatch(urn):
        raise e.InvalidUrn("a school URN is six digits, 100000-999999", field)
    return urn


def _not_future(day: date, field: str) -> None:
    if day > today():
        raise e.DateInFuture(f"{day.isoformat()} is in the future", field)


def classify(enrolments: list[Enrolment], calendar: SchoolCalendar) -> list[Enrolment]:
    """The enrolments that began with a mid-year school move.

    The rule (docs/adr/0021-education-service.md): among main enrolments (not
    dual registrations at alternative provision), earliest first, each one after
    the first is a school move; it is mid-year unless it starts in the normal
    transition window (`SchoolCalendar.at_transition`). The first school known
    is not a move: we do not know where the child was before.
    """
    ordered = sorted((x for x in enrolments if x.phase != "ap"), key=lambda x: x.start)
    return [x for x in ordered[1:] if not calendar.at_transition(x.start)]


class EducationRecord(Aggregate):
    """Everything education records about one child."""

    @staticmethod
    def create_id(child_id: UUID) -> UUID:
        return uuid5(NAMESPACE, str(child_id))

    @event("Opened")
    def __init__(self, child_id: UUID) -> None:
        self.child_id = child_id
        self.state = EducationState()

    # ================================================================= school

    def _moves(self, enrolments: list[Enrolment], calendar: SchoolCalendar) -> dict[str, Any]:
        """What every enrolment event states: the mid-year moves and where the record starts."""
        moved = classify(enrolments, calendar)
        main = [x.start for x in enrolments if x.phase != "ap"]
        return {
            "mid_year_enrolments": [x.enrolment_id for x in moved],
            "mid_year_moves": [x.start for x in moved],
            "school_record_from": min(main) if main else None,
        }

    def _check_no_overlap(self, candidate: Enrolment, ignore: str | None = None) -> None:
        if candidate.phase == "ap":
            return
        for other in self.state.main_enrolments():
            if other.enrolment_id in (candidate.enrolment_id, ignore):
                continue
            starts_before_other_ends = other.end is None or candidate.start <= other.end
            ends_after_other_starts = candidate.end is None or other.start <= candidate.end
            if starts_before_other_ends and ends_after_other_starts:
                raise e.EnrolmentsOverlap(
                    f"the child is enrolled at school {other.urn} from "
                    f"{other.start.isoformat()}"
                    + (f" to {other.end.isoformat()}" if other.end else " (not ended)")
                    + ": record the leaving date first, or record a school move",
                    "effective_date",
                )

    def enrol(
        self,
        enrolment_id: UUID,
        urn: str,
        phase: str,
        effective_date: date,
        calendar: SchoolCalendar = ENGLAND,
    ) -> None:
        """The child starts at a school (URN) on `effective_date`."""
        key = str(enrolment_id)
        known = self.state.enrolments.get(key)
        if known is not None and (known.urn, known.phase, known.start) == (
            urn,
            phase,
            effective_date,
        ):
            return
        if known is not None or key in self.state.voided_enrolments:
            raise e.EnrolmentsOverlap("that enrolment id is already used", "enrolment_id")
        _urn(urn)
        _code(phase, codes.PHASES, "school phase", "phase")
        _not_future(effective_date, "effective_date")
        new = Enrolment(key, urn, phase, effective_date)
        self._check_no_overlap(new)
        moves = self._moves([*self.state.enrolments.values(), new], calendar)
        self._enrolled(
            child_id=self.child_id,
            effective_date=effective_date,
            enrolment_id=key,
            urn=urn,
            phase=phase,
            **moves,
        )

    def leave(
        self, enrolment_id: UUID, effective_date: date, calendar: SchoolCalendar = ENGLAND
    ) -> None:
        """The child's last day on the school's roll."""
        found = self._enrolment(enrolment_id)
        if found.end == effective_date:
            return
        if found.end is not None:
            raise e.EnrolmentEnded(
                f"the enrolment ended on {found.end.isoformat()}; amend it to change that",
                "effective_date",
            )
        if effective_date < found.start:
            raise e.DatesOutOfOrder("the leaving date is before the start", "effective_date")
        _not_future(effective_date, "effective_date")
        self._left(
            child_id=self.child_id,
            effective_date=effective_date,
            enrolment_id=str(found.enrolment_id),
        )

    def move_school(
        self,
        new_enrolment_id: UUID,
        urn: str,
        phase: str,
        effective_date: date,
        calendar: SchoolCalendar = ENGLAND,
    ) -> None:
        """The child leaves the current school and starts at another on `effective_date`."""
        key = str(new_enrolment_id)
        if key in self.state.enrolments:
            self.enrol(new_enrolment_id, urn, phase, effective_date, calendar)
            return
        current = self.state.enrolment_on(effective_date - timedelta(days=1))
        if current is None or current.end is not None:
            raise e.NotEnrolled(
                "the child has no current school to move from: record an enrolment",
                "effective_date",
            )
        if current.start >= effective_date:
            raise e.DatesOutOfOrder(
                "the move is on or before the current school's start", "effective_date"
            )
        _urn(urn)
        _code(phase, codes.PHASES, "school phase", "phase")
        _not_future(effective_date, "effective_date")
        self.leave(UUID(current.enrolment_id), effective_date - timedelta(days=1), calendar)
        self.enrol(new_enrolment_id, urn, phase, effective_date, calendar)

    def amend_enrolment(
        self,
        enrolment_id: UUID,
        reason: str,
        start_date: date | None = None,
        end_date: date | None = None,
        urn: str | None = None,
        phase: str | None = None,
        calendar: SchoolCalendar = ENGLAND,
    ) -> None:
        """Correct an enrolment (a late correction, beside the original)."""
        found = self._enrolment(enrolment_id)
        _code(reason, codes.CORRECTION_REASONS, "correction reason", "reason")
        amended = Enrolment(
            found.enrolment_id,
            _urn(urn) if urn is not None else found.urn,
            _code(phase, codes.PHASES, "school phase", "phase") if phase else found.phase,
            start_date or found.start,
            end_date if end_date is not None else found.end,
        )
        if (amended.urn, amended.phase, amended.start, amended.end) == (
            found.urn,
            found.phase,
            found.start,
            found.end,
        ):
            return
        if amended.end is not None and amended.end < amended.start:
            raise e.DatesOutOfOrder("the end is before the start", "end_date")
        _not_future(amended.start, "start_date")
        self._check_no_overlap(amended)
        others = [x for x in self.state.enrolments.values() if x.enrolment_id != found.enrolment_id]
        moves = self._moves([*others, amended], calendar)
        self._enrolment_amended(
            child_id=self.child_id,
            effective_date=amended.start,
            enrolment_id=found.enrolment_id,
            urn=amended.urn,
            phase=amended.phase,
            start_date=amended.start,
            end_date=amended.end,
            reason=reason,
            **moves,
        )

    def void_enrolment(
        self, enrolment_id: UUID, reason: str, calendar: SchoolCalendar = ENGLAND
    ) -> None:
        """The enrolment was recorded in error: out of the history (the event stays)."""
        _code(reason, codes.CORRECTION_REASONS, "correction reason", "reason")
        if str(enrolment_id) in self.state.voided_enrolments:
            return
        found = self._enrolment(enrolment_id)
        others = [x for x in self.state.enrolments.values() if x.enrolment_id != found.enrolment_id]
        moves = self._moves(others, calendar)
        self._enrolment_voided(
            child_id=self.child_id,
            effective_date=found.start,
            enrolment_id=found.enrolment_id,
            reason=reason,
            **moves,
        )

    def _enrolment(self, enrolment_id: UUID) -> Enrolment:
        found = self.state.enrolments.get(str(enrolment_id))
        if found is None:
            raise e.EnrolmentNotFound(f"no enrolment {enrolment_id}", "enrolment_id")
        return found

    @property
    def school_record_from(self) -> date | None:
        main = self.state.main_enrolments()
        return main[0].start if main else None

    # ================================================================= people and needs

    def name_designated_teacher(
        self,
        teacher_id: str,
        urn: str,
        effective_date: date,
        calendar: SchoolCalendar = ENGLAND,
    ) -> None:
        """The designated teacher for children in care at the child's school, from a day."""
        _urn(urn)
        _not_future(effective_date, "effective_date")
        if self.state.in_force(self.state.designated_teachers, effective_date) == (teacher_id, urn):
            return
        self._designated_teacher_named(
            child_id=self.child_id, effective_date=effective_date, teacher_id=teacher_id, urn=urn
        )

    def record_sen_status(
        self,
        sen_status: str,
        effective_date: date,
        ehc_plan_date: date | None = None,
        calendar: SchoolCalendar = ENGLAND,
    ) -> None:
        """SEN provision (N, K SEN support, E EHC plan: give the plan's date)."""
        _code(sen_status, codes.SEN_STATUS, "SEN status", "sen_status")
        if sen_status == "E" and ehc_plan_date is None:
            raise e.MissingResult("an EHC plan (E) is recorded with its date", "ehc_plan_date")
        if sen_status != "E" and ehc_plan_date is not None:
            raise e.MissingResult("only an EHC plan (E) has a plan date", "ehc_plan_date")
        _not_future(effective_date, "effective_date")
        if ehc_plan_date is not None and ehc_plan_date > effective_date:
            raise e.DatesOutOfOrder("the plan is dated after the status it gives", "ehc_plan_date")
        if self.state.in_force(self.state.sen, effective_date) == (sen_status, ehc_plan_date):
            return
        self._sen_status_recorded(
            child_id=self.child_id,
            effective_date=effective_date,
            sen_status=sen_status,
            ehc_plan_date=ehc_plan_date,
        )

    def record_pupil_premium_plus(
        self, eligible: bool, effective_date: date, calendar: SchoolCalendar = ENGLAND
    ) -> None:
        _not_future(effective_date, "effective_date")
        if self.state.in_force(self.state.pupil_premium_plus, effective_date) == eligible:
            return
        self._pupil_premium_plus_recorded(
            child_id=self.child_id, effective_date=effective_date, eligible=eligible
        )

    # ================================================================= the PEP

    def initiate_pep(
        self,
        pep_id: UUID,
        effective_date: date,
        targets_set: int = 0,
        calendar: SchoolCalendar = ENGLAND,
    ) -> None:
        key = str(pep_id)
        known = self.state.peps.get(key)
        if known is not None:
            if (known.started, known.targets_set) == (effective_date, targets_set):
                return
            raise e.PepMissing("that PEP id is already used", "pep_id")
        _not_future(effective_date, "effective_date")
        self._pep_initiated(
            child_id=self.child_id,
            effective_date=effective_date,
            pep_id=key,
            targets_set=targets_set,
        )

    def record_pep_review(
        self,
        pep_id: UUID,
        review_id: UUID,
        effective_date: date,
        targets_set: int,
        targets_met: int,
        child_views: str | None = None,
        calendar: SchoolCalendar = ENGLAND,
    ) -> None:
        """A termly review: targets set for next term, how many of last term's were met."""
        pep = self.state.peps.get(str(pep_id))
        if pep is None:
            raise e.PepNotFound(f"no PEP {pep_id}", "pep_id")
        known = self.state.reviews.get(str(review_id))
        if known is not None:
            if (known.held, known.targets_set, known.targets_met) == (
                effective_date,
                targets_set,
                targets_met,
            ):
                return
            raise e.PepMissing("that review id is already used", "review_id")
        if effective_date < pep.started:
            raise e.DatesOutOfOrder("the review is before the PEP was initiated", "effective_date")
        _not_future(effective_date, "effective_date")
        earlier = [
            r
            for r in self.state.reviews.values()
            if r.pep_id == pep.pep_id and r.held <= effective_date
        ]
        previous = max(earlier, key=lambda r: r.held).targets_set if earlier else pep.targets_set
        if targets_met > previous:
            raise e.PepMissing(
                f"{targets_met} targets met, but {previous} were set at the previous meeting",
                "targets_met",
            )
        self._pep_review_held(
            child_id=self.child_id,
            effective_date=effective_date,
            pep_id=pep.pep_id,
            review_id=str(review_id),
            targets_set=targets_set,
            targets_met=targets_met,
            child_views=child_views,
        )

    def void_pep_review(
        self, review_id: UUID, reason: str, calendar: SchoolCalendar = ENGLAND
    ) -> None:
        """A PEP review recorded in error (wrong child, wrong date, twice): taken out.

        The review, its targets and its rating no longer count; the history keeps
        it. To correct a review's figures, void it and record the review again.
        """
        _code(reason, codes.CORRECTION_REASONS, "correction reason", "reason")
        if str(review_id) in self.state.voided_reviews:
            return
        review = self.state.reviews.get(str(review_id))
        if review is None:
            raise e.PepNotFound(f"no PEP review {review_id}", "review_id")
        self._pep_review_voided(
            child_id=self.child_id,
            effective_date=review.held,
            pep_id=review.pep_id,
            review_id=review.review_id,
            reason=reason,
        )

    def rate_pep(self, review_id: UUID, rating: str, calendar: SchoolCalendar = ENGLAND) -> None:
        """The Virtual School's quality rating of a PEP review."""
        review = self.state.reviews.get(str(review_id))
        if review is None:
            raise e.PepNotFound(f"no PEP review {review_id}", "review_id")
        _code(rating, codes.PEP_RATINGS, "PEP quality rating", "rating")
        if review.rating == rating:
            return
        self._pep_quality_rated(
            child_id=self.child_id,
            effective_date=review.held,
            pep_id=review.pep_id,
            review_id=review.review_id,
            rating=rating,
        )

    # ================================================================= attendance

    def record_attendance(
        self,
        urn: str,
        period_start: date,
        period_end: date,
        sessions_possible: int,
        sessions_attended: int,
        authorised_absence: int,
        calendar: SchoolCalendar = ENGLAND,
    ) -> None:
        """Sessions possible, attended and authorised absence at a school for a period.

        The same figures again record nothing; other figures for the same
        school and period are a correction (the school's later return).
        """
        _urn(urn)
        if period_end < period_start:
            raise e.DatesOutOfOrder("the period ends before it starts", "period_end")
        _not_future(period_end, "period_end")
        for name, value in (
            ("sessions_possible", sessions_possible),
            ("sessions_attended", sessions_attended),
            ("authorised_absence", authorised_absence),
        ):
            if value < 0:
                raise e.BadFigures("sessions are not negative", name)
        if sessions_attended + authorised_absence > sessions_possible:
            raise e.BadFigures(
                f"{sessions_attended} attended and {authorised_absence} authorised absent "
                f"is more than the {sessions_possible} sessions possible",
                "sessions_attended",
            )
        if sessions_possible > 2 * ((period_end - period_start).days + 1):
            raise e.BadFigures("more than two sessions a day", "sessions_possible")
        if not any(
            x.urn == urn and x.covers(period_start, period_end)
            for x in self.state.enrolments.values()
        ):
            raise e.NotEnrolled(
                f"the child was not enrolled at school {urn} for the whole period", "urn"
            )
        known = self.state.attendance.get((urn, period_start, period_end))
        figures = (sessions_possible, sessions_attended, authorised_absence)
        if known is not None and (known.possible, known.attended, known.authorised) == figures:
            return
        trigger = self._attendance_recorded if known is None else self._attendance_corrected
        trigger(
            child_id=self.child_id,
            effective_date=period_end,
            urn=urn,
            period_start=period_start,
            period_end=period_end,
            sessions_possible=sessions_possible,
            sessions_attended=sessions_attended,
            authorised_absence=authorised_absence,
        )

    # ================================================================= exclusions

    def exclusion_id(self, urn: str, kind: str, start_date: date) -> UUID:
        """One exclusion per school, kind and first day: the same from an API call or a feed."""
        return uuid5(NAMESPACE, f"{self.child_id}/{urn}/{kind}/{start_date.isoformat()}")

    def record_exclusion(
        self,
        urn: str,
        kind: str,
        effective_date: date,
        reason: str,
        days: float | None = None,
        calendar: SchoolCalendar = ENGLAND,
    ) -> None:
        """A suspension (days, in halves) or a permanent exclusion, from its first day."""
        _urn(urn)
        _code(kind, codes.EXCLUSION_KINDS, "kind of exclusion", "kind")
        _code(reason, codes.EXCLUSION_REASONS, "DfE exclusion reason", "reason")
        _not_future(effective_date, "effective_date")
        if kind == "permanent" and days is not None:
            raise e.BadDays("a permanent exclusion has no number of days", "days")
        if kind == "suspension" and (days is None or days <= 0 or days * 2 != int(days * 2)):
            raise e.BadDays("a suspension is a number of days, in halves, above 0", "days")
        if not any(x.urn == urn and x.on(effective_date) for x in self.state.enrolments.values()):
            raise e.NotEnrolled(f"the child was not enrolled at school {urn} that day", "urn")
        key = str(self.exclusion_id(urn, kind, effective_date))
        known = self.state.exclusions.get(key)
        if known is not None and not known.voided and (known.days, known.reason) == (days, reason):
            return
        if kind == "suspension" and days is not None:
            year = calendar.year_start(effective_date)
            taken = sum(
                x.days or 0
                for x in self.state.exclusions.values()
                if x.kind == "suspension"
                and not x.voided
                and x.urn == urn
                and x.exclusion_id != key
                and calendar.year_start(x.start) == year
            )
            if taken + days > codes.MAX_SUSPENSION_DAYS_A_YEAR:
                raise e.BadDays(
                    f"{taken:g} days of suspension at this school this school year already: "
                    f"at most {codes.MAX_SUSPENSION_DAYS_A_YEAR} a year",
                    "days",
                )
        trigger = self._exclusion_recorded if known is None else self._exclusion_corrected
        trigger(
            child_id=self.child_id,
            effective_date=effective_date,
            exclusion_id=key,
            urn=urn,
            kind=kind,
            days=days,
            reason=reason,
        )

    def void_exclusion(
        self, exclusion_id: UUID, reason: str, calendar: SchoolCalendar = ENGLAND
    ) -> None:
        found = self.state.exclusions.get(str(exclusion_id))
        if found is None:
            raise e.ExclusionNotFound(f"no exclusion {exclusion_id}", "exclusion_id")
        _code(reason, codes.CORRECTION_REASONS, "correction reason", "reason")
        if found.voided:
            return
        self._exclusion_voided(
            child_id=self.child_id,
            effective_date=found.start,
            exclusion_id=found.exclusion_id,
            kind=found.kind,
            reason=reason,
        )

    # ================================================================= results

    def record_key_stage_result(
        self,
        key_stage: str,
        academic_year: str,
        expected_standard: bool | None = None,
        attainment8: float | None = None,
        calendar: SchoolCalendar = ENGLAND,
        english_maths_grade_4: bool | None = None,
    ) -> None:
        """KS1/KS2: met the expected standard in reading, writing and maths; KS4: Attainment 8
        and, when known, grade 4 or above in both English and maths (DfE's KS4 measure for
        children looked after; the scorecard's, docs/adr/0021)."""
        _code(key_stage, codes.KEY_STAGES, "key stage", "key_stage")
        match = codes.ACADEMIC_YEAR.fullmatch(academic_year)
        if match is None or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
            raise e.MissingResult("an academic year is written 2023/24", "academic_year")
        if key_stage == "KS4":
            if attainment8 is None or not 0 <= attainment8 <= 90:
                raise e.MissingResult("KS4 reports Attainment 8, 0-90", "attainment8")
        elif expected_standard is None:
            raise e.MissingResult(f"{key_stage} reports the expected standard", "expected_standard")
        if key_stage != "KS4" and english_maths_grade_4 is not None:
            raise e.MissingResult(
                "grade 4 in English and maths is a KS4 result", "english_maths_grade_4"
            )
        known = self.state.results.get((key_stage, academic_year))
        if known is not None and (
            known.expected_standard,
            known.attainment8,
            known.english_maths_grade_4,
        ) == (expected_standard, attainment8, english_maths_grade_4):
            return
        year_end = date(int(match.group(1)) + 1, 8, 31)
        self._key_stage_result_recorded(
            child_id=self.child_id,
            effective_date=min(year_end, today()),
            key_stage=key_stage,
            academic_year=academic_year,
            expected_standard=expected_standard,
            attainment8=attainment8,
            english_maths_grade_4=english_maths_grade_4,
        )

    # ================================================================= events

    @event("Enrolled")
    def _enrolled(
        self,
        child_id: UUID,
        effective_date: date,
        enrolment_id: str,
        urn: str,
        phase: str,
        mid_year_enrolments: list[str],
        mid_year_moves: list[date],
        school_record_from: date | None,
    ) -> None:
        self.state.apply("Enrolled", _args(locals()))

    @event("Left")
    def _left(self, child_id: UUID, effective_date: date, enrolment_id: str) -> None:
        self.state.apply("Left", _args(locals()))

    @event("EnrolmentAmended")
    def _enrolment_amended(
        self,
        child_id: UUID,
        effective_date: date,
        enrolment_id: str,
        urn: str,
        phase: str,
        start_date: date,
        end_date: date | None,
        reason: str,
        mid_year_enrolments: list[str],
        mid_year_moves: list[date],
        school_record_from: date | None,
    ) -> None:
        self.state.apply("EnrolmentAmended", _args(locals()))

    @event("EnrolmentVoided")
    def _enrolment_voided(
        self,
        child_id: UUID,
        effective_date: date,
        enrolment_id: str,
        reason: str,
        mid_year_enrolments: list[str],
        mid_year_moves: list[date],
        school_record_from: date | None,
    ) -> None:
        self.state.apply("EnrolmentVoided", _args(locals()))

    @event("DesignatedTeacherNamed")
    def _designated_teacher_named(
        self, child_id: UUID, effective_date: date, teacher_id: str, urn: str
    ) -> None:
        self.state.apply("DesignatedTeacherNamed", _args(locals()))

    @event("SenStatusRecorded")
    def _sen_status_recorded(
        self, child_id: UUID, effective_date: date, sen_status: str, ehc_plan_date: date | None
    ) -> None:
        self.state.apply("SenStatusRecorded", _args(locals()))

    @event("PupilPremiumPlusRecorded")
    def _pupil_premium_plus_recorded(
        self, child_id: UUID, effective_date: date, eligible: bool
    ) -> None:
        self.state.apply("PupilPremiumPlusRecorded", _args(locals()))

    @event("PepInitiated")
    def _pep_initiated(
        self, child_id: UUID, effective_date: date, pep_id: str, targets_set: int
    ) -> None:
        self.state.apply("PepInitiated", _args(locals()))

    @event("PepReviewHeld")
    def _pep_review_held(
        self,
        child_id: UUID,
        effective_date: date,
        pep_id: str,
        review_id: str,
        targets_set: int,
        targets_met: int,
        child_views: str | None,
    ) -> None:
        self.state.apply("PepReviewHeld", _args(locals()))

    @event("PepQualityRated")
    def _pep_quality_rated(
        self, child_id: UUID, effective_date: date, pep_id: str, review_id: str, rating: str
    ) -> None:
        self.state.apply("PepQualityRated", _args(locals()))

    @event("AttendanceRecorded")
    def _attendance_recorded(
        self,
        child_id: UUID,
        effective_date: date,
        urn: str,
        period_start: date,
        period_end: date,
        sessions_possible: int,
        sessions_attended: int,
        authorised_absence: int,
    ) -> None:
        self.state.apply("AttendanceRecorded", _args(locals()))

    @event("AttendanceCorrected")
    def _attendance_corrected(
        self,
        child_id: UUID,
        effective_date: date,
        urn: str,
        period_start: date,
        period_end: date,
        sessions_possible: int,
        sessions_attended: int,
        authorised_absence: int,
    ) -> None:
        self.state.apply("AttendanceCorrected", _args(locals()))

    @event("ExclusionRecorded")
    def _exclusion_recorded(
        self,
        child_id: UUID,
        effective_date: date,
        exclusion_id: str,
        urn: str,
        kind: str,
        days: float | None,
        reason: str,
    ) -> None:
        self.state.apply("ExclusionRecorded", _args(locals()))

    @event("ExclusionCorrected")
    def _exclusion_corrected(
        self,
        child_id: UUID,
        effective_date: date,
        exclusion_id: str,
        urn: str,
        kind: str,
        days: float | None,
        reason: str,
    ) -> None:
        self.state.apply("ExclusionCorrected", _args(locals()))

    @event("PepReviewVoided")
    def _pep_review_voided(
        self, child_id: UUID, effective_date: date, pep_id: str, review_id: str, reason: str
    ) -> None:
        self.state.apply("PepReviewVoided", _args(locals()))

    @event("ExclusionVoided")
    def _exclusion_voided(
        self, child_id: UUID, effective_date: date, exclusion_id: str, kind: str, reason: str
    ) -> None:
        self.state.apply("ExclusionVoided", _args(locals()))

    @event("KeyStageResultRecorded")
    def _key_stage_result_recorded(
        self,
        child_id: UUID,
        effective_date: date,
        key_stage: str,
        academic_year: str,
        expected_standard: bool | None,
        attainment8: float | None,
        # Absent from results recorded before the scorecard's KS4 measure: unknown.
        english_maths_grade_4: bool | None = None,
    ) -> None:
        self.state.apply("KeyStageResultRecorded", _args(locals()))
