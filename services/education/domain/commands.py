"""The commands a child's education record accepts: each names the `EducationRecord` method.

Shapes are checked here (types, lengths, unknown fields); codes and every rule
that needs the child's history are checked by the domain. Either way bad
input is a 422 naming the field, and nothing is recorded.
"""

from __future__ import annotations

from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import BeforeValidator, Field, StrictBool, StrictFloat

from services.education.domain import codes
from shared.commands import Command, Note, PersonId, code
from shared.dates import Day

Urn = Annotated[
    str,
    Field(
        min_length=6, max_length=6, description="The school's URN (six digits)", examples=["100001"]
    ),
]
Phase = Annotated[str, code(codes.PHASES, "Phase of the school (`ap`: a dual registration)")]
Reason = Annotated[str, code(codes.CORRECTION_REASONS, "Why the record is corrected")]


def _json_integer(value: object) -> object:
    """A JSON integer (`3`, or `3.0`, which JSON Schema also calls one): never a
    string or a boolean, which pydantic's lax mode would turn into numbers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be a valid integer")
    return value


Count = Annotated[int, Field(ge=0, le=10_000), BeforeValidator(_json_integer)]


class Enrol(Command):
    """The child starts at a school (no current school: else record a school move)."""

    handler: ClassVar[str] = "enrol"
    creates: ClassVar[str | None] = "enrolment_id"

    enrolment_id: UUID | None = Field(default=None, description="Derived from the key if omitted")
    urn: Urn
    phase: Phase
    effective_date: Day = Field(description="The first day on the school's roll")


class MoveSchool(Command):
    """The child leaves the current school (the day before) and starts at another."""

    handler: ClassVar[str] = "move_school"
    creates: ClassVar[str | None] = "new_enrolment_id"

    new_enrolment_id: UUID | None = Field(
        default=None, description="Derived from the key if omitted"
    )
    urn: Urn
    phase: Phase
    effective_date: Day = Field(description="The first day at the new school")


class Leave(Command):
    """The child leaves the school of the enrolment in the path."""

    handler: ClassVar[str] = "leave"

    effective_date: Day = Field(description="The last day on the school's roll")


class AmendEnrolment(Command):
    """Correct the enrolment in the path (a late correction, beside the original)."""

    handler: ClassVar[str] = "amend_enrolment"

    reason: Reason
    start_date: Day | None = None
    end_date: Day | None = None
    urn: Urn | None = None
    phase: Phase | None = None


class VoidEnrolment(Command):
    """The enrolment in the path was recorded in error."""

    handler: ClassVar[str] = "void_enrolment"

    reason: Reason


class NameDesignatedTeacher(Command):
    """The designated teacher for children in care at the child's school."""

    handler: ClassVar[str] = "name_designated_teacher"

    teacher_id: PersonId
    urn: Urn
    effective_date: Day


class RecordSenStatus(Command):
    """SEN provision from a day: N, K (SEN support) or E (EHC plan, with its date)."""

    handler: ClassVar[str] = "record_sen_status"

    sen_status: Annotated[str, code(codes.SEN_STATUS, "School census SEN provision")]
    effective_date: Day
    ehc_plan_date: Day | None = None


class RecordPupilPremiumPlus(Command):
    """Whether the child attracts Pupil Premium Plus, from a day."""

    handler: ClassVar[str] = "record_pupil_premium_plus"

    eligible: StrictBool
    effective_date: Day


class InitiatePep(Command):
    """The child's Personal Education Plan was started (its first meeting)."""

    handler: ClassVar[str] = "initiate_pep"
    creates: ClassVar[str | None] = "pep_id"

    pep_id: UUID | None = Field(default=None, description="Derived from the key if omitted")
    effective_date: Day = Field(description="The day of the initial PEP meeting")
    targets_set: Count = 0


class RecordPepReview(Command):
    """A termly PEP review held: targets set for next term, how many of last term's were met."""

    handler: ClassVar[str] = "record_pep_review"
    creates: ClassVar[str | None] = "review_id"

    review_id: UUID | None = Field(default=None, description="Derived from the key if omitted")
    effective_date: Day = Field(description="The day the review was held")
    targets_set: Count
    targets_met: Count
    child_views: Note | None = Field(
        default=None, description="The child's views, in their words (never published)"
    )


class VoidPepReview(Command):
    """The PEP review in the path was recorded in error: it no longer counts."""

    handler: ClassVar[str] = "void_pep_review"

    reason: Reason


class RatePep(Command):
    """The Virtual School's quality rating of the PEP review in the path."""

    handler: ClassVar[str] = "rate_pep"

    rating: Annotated[str, code(codes.PEP_RATINGS, "Quality assurance rating")]


class RecordAttendance(Command):
    """Attendance at a school over a period (the same figures again record nothing)."""

    handler: ClassVar[str] = "record_attendance"

    urn: Urn
    period_start: Day
    period_end: Day
    sessions_possible: Count
    sessions_attended: Count
    authorised_absence: Count


class RecordExclusion(Command):
    """A suspension or permanent exclusion, from its first day."""

    handler: ClassVar[str] = "record_exclusion"

    urn: Urn
    kind: Annotated[str, code(codes.EXCLUSION_KINDS, "Suspension or permanent exclusion")]
    effective_date: Day = Field(description="The first day of the exclusion")
    reason: Annotated[str, code(codes.EXCLUSION_REASONS, "DfE exclusion reason")]
    days: StrictFloat | None = Field(
        default=None, ge=0, le=45, description="Suspensions only, in halves"
    )


class VoidExclusion(Command):
    """The exclusion in the path was recorded in error."""

    handler: ClassVar[str] = "void_exclusion"

    reason: Reason


class RecordKeyStageResult(Command):
    """A key stage result: KS1/KS2 expected standard in reading, writing and maths; KS4
    Attainment 8 and whether grade 4 or above was achieved in both English and maths."""

    handler: ClassVar[str] = "record_key_stage_result"

    key_stage: Annotated[str, code(codes.KEY_STAGES, "Key stage")]
    academic_year: Annotated[str, Field(pattern=r"^20[0-9]{2}/[0-9]{2}$", examples=["2023/24"])]
    expected_standard: StrictBool | None = None
    attainment8: StrictFloat | None = Field(default=None, ge=0, le=90)
    english_maths_grade_4: StrictBool | None = Field(
        default=None,
        description="KS4 only: grade 4 or above in both English and maths (DfE's measure for "
        "children looked after; the scorecard counts a KS4 result without it as unknown)",
    )
