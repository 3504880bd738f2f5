"""A child's education record as state: built from its events, by the aggregate and the read model.

`EducationState.apply(kind, data)` is the one place an event changes the
record. The aggregate calls it from each `@event` method; the status read
model (projections/status.py) folds the same events, stored as JSON, through
it. So the record and what is reported of it cannot drift apart. Dates may
arrive as `date` (the aggregate) or ISO text (the read model).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _req(value: Any) -> date:
    day = _day(value)
    assert day is not None
    return day


@dataclass(frozen=True)
class Enrolment:
    enrolment_id: str
    urn: str
    phase: str
    start: date
    end: date | None = None
    #: Classified when recorded (the calendar of the day decides; a later change
    #: of calendar does not rewrite the past).
    mid_year_move: bool = False

    def covers(self, first: date, last: date) -> bool:
        """Enrolled on every day first..last (both included; `end` is the last day)."""
        return self.start <= first and (self.end is None or last <= self.end)

    def on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


@dataclass(frozen=True)
class PepReview:
    review_id: str
    pep_id: str
    held: date
    targets_set: int
    targets_met: int
    rating: str | None = None


@dataclass(frozen=True)
class Pep:
    pep_id: str
    started: date
    targets_set: int


@dataclass(frozen=True)
class Attendance:
    urn: str
    first: date
    last: date
    possible: int
    attended: int
    authorised: int

    @property
    def key(self) -> tuple[str, date, date]:
        return (self.urn, self.first, self.last)


@dataclass(frozen=True)
class Exclusion:
    exclusion_id: str
    urn: str
    kind: str
    start: date
    days: float | None
    reason: str
    voided: bool = False


@dataclass(frozen=True)
class Dated:
    """A fact that holds from `since` until the next of its kind."""

    since: date
    value: Any


@dataclass(frozen=True)
class KeyStageResult:
    key_stage: str
    academic_year: str
    expected_standard: bool | None
    attainment8: float | None
    #: KS4: grade 4 or above in both English and maths; None if not recorded.
    english_maths_grade_4: bool | None = None


@dataclass
class EducationState:
    enrolments: dict[str, Enrolment] = field(default_factory=dict)
    voided_enrolments: set[str] = field(default_factory=set)
    voided_reviews: set[str] = field(default_factory=set)
    #: Days of mid-year moves, as the latest enrolment event stated them.
    mid_year_moves: tuple[date, ...] = ()
    designated_teachers: list[Dated] = field(default_factory=list)
    sen: list[Dated] = field(default_factory=list)
    pupil_premium_plus: list[Dated] = field(default_factory=list)
    peps: dict[str, Pep] = field(default_factory=dict)
    reviews: dict[str, PepReview] = field(default_factory=dict)
    attendance: dict[tuple[str, date, date], Attendance] = field(default_factory=dict)
    exclusions: dict[str, Exclusion] = field(default_factory=dict)
    results: dict[tuple[str, str], KeyStageResult] = field(default_factory=dict)

    # ----------------------------------------------------------------- reading

    def main_enrolments(self) -> list[Enrolment]:
        """Enrolments that are not voided and not dual registrations, earliest first."""
        return sorted(
            (e for e in self.enrolments.values() if e.phase != "ap"), key=lambda e: e.start
        )

    def enrolment_on(self, day: date) -> Enrolment | None:
        found = [e for e in self.main_enrolments() if e.on(day)]
        return found[-1] if found else None

    @staticmethod
    def in_force(facts: list[Dated], day: date) -> Any:
        held = [f for f in facts if f.since <= day]
        return max(held, key=lambda f: f.since).value if held else None

    # ----------------------------------------------------------------- changing

    def apply(self, kind: str, data: Mapping[str, Any]) -> None:
        """Change the record by one event (`kind` is the event's name)."""
        getattr(self, f"_{kind}")(data)
        if "mid_year_moves" in data:
            self.mid_year_moves = tuple(_req(d) for d in data["mid_year_moves"])

    def _Opened(self, d: Mapping[str, Any]) -> None:
        pass

    def _Enrolled(self, d: Mapping[str, Any]) -> None:
        self.enrolments[d["enrolment_id"]] = Enrolment(
            enrolment_id=d["enrolment_id"],
            urn=d["urn"],
            phase=d["phase"],
            start=_req(d["effective_date"]),
        )
        self._reclassified(d)

    def _Left(self, d: Mapping[str, Any]) -> None:
        e = self.enrolments[d["enrolment_id"]]
        self.enrolments[e.enrolment_id] = replace(e, end=_req(d["effective_date"]))

    def _EnrolmentAmended(self, d: Mapping[str, Any]) -> None:
        e = self.enrolments[d["enrolment_id"]]
        self.enrolments[e.enrolment_id] = replace(
            e,
            urn=d["urn"],
            phase=d["phase"],
            start=_req(d["start_date"]),
            end=_day(d["end_date"]),
        )
        self._reclassified(d)

    def _EnrolmentVoided(self, d: Mapping[str, Any]) -> None:
        self.enrolments.pop(d["enrolment_id"], None)
        self.voided_enrolments.add(d["enrolment_id"])
        self._reclassified(d)

    def _reclassified(self, d: Mapping[str, Any]) -> None:
        moved = set(d.get("mid_year_enrolments", ()))
        for key, e in list(self.enrolments.items()):
            self.enrolments[key] = replace(e, mid_year_move=key in moved)

    def _DesignatedTeacherNamed(self, d: Mapping[str, Any]) -> None:
        self.designated_teachers.append(
            Dated(_req(d["effective_date"]), (d["teacher_id"], d["urn"]))
        )

    def _SenStatusRecorded(self, d: Mapping[str, Any]) -> None:
        value = (d["sen_status"], _day(d["ehc_plan_date"]))
        self.sen.append(Dated(_req(d["effective_date"]), value))

    def _PupilPremiumPlusRecorded(self, d: Mapping[str, Any]) -> None:
        self.pupil_premium_plus.append(Dated(_req(d["effective_date"]), bool(d["eligible"])))

    def _PepInitiated(self, d: Mapping[str, Any]) -> None:
        self.peps[d["pep_id"]] = Pep(d["pep_id"], _req(d["effective_date"]), d["targets_set"])

    def _PepReviewHeld(self, d: Mapping[str, Any]) -> None:
        self.reviews[d["review_id"]] = PepReview(
            review_id=d["review_id"],
            pep_id=d["pep_id"],
            held=_req(d["effective_date"]),
            targets_set=d["targets_set"],
            targets_met=d["targets_met"],
        )

    def _PepQualityRated(self, d: Mapping[str, Any]) -> None:
        review = self.reviews[d["review_id"]]
        self.reviews[review.review_id] = replace(review, rating=d["rating"])

    def _AttendanceRecorded(self, d: Mapping[str, Any]) -> None:
        row = Attendance(
            urn=d["urn"],
            first=_req(d["period_start"]),
            last=_req(d["period_end"]),
            possible=d["sessions_possible"],
            attended=d["sessions_attended"],
            authorised=d["authorised_absence"],
        )
        self.attendance[row.key] = row

    _AttendanceCorrected = _AttendanceRecorded

    def _ExclusionRecorded(self, d: Mapping[str, Any]) -> None:
        self.exclusions[d["exclusion_id"]] = Exclusion(
            exclusion_id=d["exclusion_id"],
            urn=d["urn"],
            kind=d["kind"],
            start=_req(d["effective_date"]),
            days=d["days"],
            reason=d["reason"],
        )

    _ExclusionCorrected = _ExclusionRecorded

    def _PepReviewVoided(self, d: Mapping[str, Any]) -> None:
        self.reviews.pop(d["review_id"], None)
        self.voided_reviews.add(d["review_id"])

    def _ExclusionVoided(self, d: Mapping[str, Any]) -> None:
        e = self.exclusions[d["exclusion_id"]]
        self.exclusions[e.exclusion_id] = replace(e, voided=True)

    def _KeyStageResultRecorded(self, d: Mapping[str, Any]) -> None:
        result = KeyStageResult(
            d["key_stage"],
            d["academic_year"],
            d["expected_standard"],
            d["attainment8"],
            d.get("english_maths_grade_4"),
        )
        self.results[(result.key_stage, result.academic_year)] = result
