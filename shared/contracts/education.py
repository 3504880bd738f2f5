"""What the education service tells others: its published language, version 1.

Minimised (docs/adr/0010-published-language-minimised.md, 0021): no UPN, no
school URN (where a child in care goes to school is where they can be found),
no free text (the child's views stay in the record), no SEN detail, no
attendance figures (nobody outside education needs them yet), no exclusion
reasons. What others need:

- placements' Stability Index: the child's mid-year school moves
  (`SchoolMovesStated`, restated in full whenever an enrolment changes, so a
  correction or a void reaches the consumer without it replaying our rules);
- the scorecard, deadlines and chronology: PEPs, exclusions, key stage results.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from shared.contracts.base import IntegrationEvent

SERVICE = "education"

#: The Corporate Parenting services: stability, deadlines, scorecard, chronology.
CORPORATE_PARENT: frozenset[str] = frozenset(
    {"placements", "casefile", "notifications", "performance"}
)


class EducationEvent(IntegrationEvent):
    service: ClassVar[str] = SERVICE
    audience: ClassVar[frozenset[str]] = CORPORATE_PARENT


class SchoolMovesStated(EducationEvent):
    """The child's school history as it now stands: where it starts and its mid-year moves.

    Published after every change to the child's enrolments (a new school, a
    leaving date, a correction, a void), always in full: the consumer replaces
    what it had. `school_record_from` is the first day education knows the
    child's school (None: no enrolment recorded, so school moves are unknown,
    not none); `mid_year_moves` are the days the child started at a new school
    during a school year, outside the normal transition window (the rule and
    the calendar are education's: docs/adr/0021-education-service.md).
    """

    event_type: ClassVar[str] = "school-moves.stated.v1"

    school_record_from: date | None
    mid_year_moves: list[date]


class PepInitiated(EducationEvent):
    event_type: ClassVar[str] = "pep.initiated.v1"

    pep_id: str
    pep_date: date


class PepReviewed(EducationEvent):
    """A termly PEP review was held (counts only: the child's views stay in education)."""

    event_type: ClassVar[str] = "pep.reviewed.v1"

    pep_id: str
    review_id: str
    review_date: date
    targets_set: int
    targets_met: int


class PepReviewVoided(EducationEvent):
    """A PEP review recorded in error was taken out (a reason code, never the note)."""

    event_type: ClassVar[str] = "pep.review-voided.v1"

    pep_id: str
    review_id: str
    reason: str


class ExclusionRecorded(EducationEvent):
    """A suspension or permanent exclusion (no reason, no school); restated if corrected."""

    event_type: ClassVar[str] = "exclusion.recorded.v1"

    exclusion_id: str
    kind: Literal["suspension", "permanent"]
    start_date: date
    days: float | None
    voided: bool = False


class KeyStageResultRecorded(EducationEvent):
    """A key stage result for the scorecard (KS2 expected standard, KS4 Attainment 8 and
    grade 4 or above in English and maths, `None` when not recorded)."""

    event_type: ClassVar[str] = "key-stage.result-recorded.v1"

    key_stage: Literal["KS1", "KS2", "KS4"]
    academic_year: str
    expected_standard: bool | None
    attainment8: float | None
    english_maths_grade_4: bool | None = None
