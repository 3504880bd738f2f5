"""The commands a child's health record accepts: each names the `HealthRecord` method.

Shapes are checked here (types, ranges, unknown fields); codes and every rule
that needs the child's history are checked by the domain. Either way bad input
is a 422 naming the field, and nothing is recorded. Every command that records
a fact `creates` an `entry_id` (derived from the Idempotency-Key if left out).
"""

from __future__ import annotations

from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field

from services.health.domain.model import ASSESSMENT_OUTCOMES, NOTE_MAX, SDQ_REASONS, VOID_REASONS
from shared.commands import Command, PersonId, code
from shared.dates import Day

EntryId = Annotated[
    UUID | None,
    Field(default=None, description="Choose the entry's id; derived from the key if omitted"),
]


class _Records(Command):
    creates: ClassVar[str | None] = "entry_id"
    entry_id: EntryId = None


class RequestInitialHealthAssessment(_Records):
    """The council asked the health service for the child's initial health assessment."""

    handler: ClassVar[str] = "request_initial_health_assessment"

    requested_date: Day = Field(description="The day the assessment was requested")


class RecordInitialHealthAssessment(_Records):
    """The initial health assessment was done (one per period of care)."""

    handler: ClassVar[str] = "record_initial_health_assessment"

    assessment_date: Day
    practitioner_id: PersonId = Field(description="The practitioner who did it (directory id)")
    outcome: str | None = code(ASSESSMENT_OUTCOMES, "What it concluded (a code)", default=None)


class RecordReviewHealthAssessment(_Records):
    """A review health assessment was done (not before the initial one)."""

    handler: ClassVar[str] = "record_review_health_assessment"

    assessment_date: Day
    practitioner_id: PersonId
    outcome: str | None = code(ASSESSMENT_OUTCOMES, "What it concluded (a code)", default=None)


class RecordDentalCheck(_Records):
    handler: ClassVar[str] = "record_dental_check"

    check_date: Day
    practitioner_id: PersonId | None = None


class RecordImmunisationStatus(_Records):
    """Whether the child's immunisations were up to date when checked (SSDA903 OC2)."""

    handler: ClassVar[str] = "record_immunisation_status"

    date_checked: Day
    up_to_date: bool


class RecordDevelopmentCheck(_Records):
    """A development check of a child under 5 (OC2 health surveillance)."""

    handler: ClassVar[str] = "record_development_check"

    check_date: Day
    practitioner_id: PersonId | None = None


class RecordSdq(_Records):
    """An SDQ: the total difficulties score 0-40, or the SSDA903 reason there is none."""

    handler: ClassVar[str] = "record_sdq"

    sdq_date: Day
    score: int | None = Field(default=None, ge=0, le=40, description="Total difficulties, 0-40")
    reason: str | None = code(SDQ_REASONS, "SSDA903 SDQ_REASON, when not completed", default=None)


class RecordSubstanceMisuse(_Records):
    """Substance misuse identified, and any intervention offered or received (OC2)."""

    handler: ClassVar[str] = "record_substance_misuse"

    recorded_date: Day
    identified: bool
    intervention_offered: bool | None = None
    intervention_received: bool | None = None


class NameLeadHealthProfessional(_Records):
    handler: ClassVar[str] = "name_lead_health_professional"

    effective_date: Day
    professional_id: PersonId


class AgreeHealthPlan(_Records):
    handler: ClassVar[str] = "agree_health_plan"

    agreed_date: Day


class ReviewHealthPlan(_Records):
    handler: ClassVar[str] = "review_health_plan"

    reviewed_date: Day


class VoidEntry(Command):
    """The entry in the path was recorded in error: take it out (the history keeps it)."""

    handler: ClassVar[str] = "void_entry"

    reason: str = code(VOID_REASONS, "Why (a code, so corrections can be counted)")
    note: Annotated[str | None, Field(min_length=1, max_length=NOTE_MAX)] = None
