"""What the health service tells others: its published language, version 1.

Minimised: that a health fact was recorded, when, and the coded values a
consumer needs; never a clinical note, a practitioner's outcome, an NHS number
or who did an assessment. `entry_id` ties a fact to its correction
(`health.entry-voided.v1`). Two audiences (docs/adr/0020-health-service.md):

- `CARE`: that something was done and when (casefile's summary and chronology,
  notifications' deadlines, the performance team's scorecard);
- `HEALTH_DETAIL`: values that are health detail (SDQ score, immunisation
  status, substance misuse): the performance team alone, for SSDA903 OC2.

Like all integration data, each event is sealed under the child's key.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from shared.contracts.base import IntegrationEvent

SERVICE = "health"

CARE: frozenset[str] = frozenset({"casefile", "notifications", "performance"})
HEALTH_DETAIL: frozenset[str] = frozenset({"performance"})


class HealthEvent(IntegrationEvent):
    service: ClassVar[str] = SERVICE
    audience: ClassVar[frozenset[str]] = CARE

    entry_id: str


class InitialHealthAssessmentRequested(HealthEvent):
    event_type: ClassVar[str] = "initial-assessment.requested.v1"

    requested_date: date


class HealthAssessmentCompleted(HealthEvent):
    """An initial or review health assessment was done (the date; no outcome, no notes)."""

    event_type: ClassVar[str] = "assessment.completed.v1"

    assessment: Literal["initial", "review"]
    assessment_date: date


class DentalCheckRecorded(HealthEvent):
    event_type: ClassVar[str] = "dental-check.recorded.v1"

    check_date: date


class DevelopmentCheckRecorded(HealthEvent):
    """A development check of a child under 5 (SSDA903 OC2 health surveillance)."""

    event_type: ClassVar[str] = "development-check.recorded.v1"

    check_date: date


class HealthPlanAgreed(HealthEvent):
    event_type: ClassVar[str] = "health-plan.agreed.v1"

    agreed_date: date


class HealthPlanReviewed(HealthEvent):
    event_type: ClassVar[str] = "health-plan.reviewed.v1"

    reviewed_date: date


class LeadHealthProfessionalNamed(HealthEvent):
    event_type: ClassVar[str] = "lead-professional.named.v1"

    professional_id: str


class ImmunisationStatusRecorded(HealthEvent):
    """SSDA903 OC2 IMMUNISATIONS: up to date on the day checked."""

    event_type: ClassVar[str] = "immunisations.recorded.v1"
    audience: ClassVar[frozenset[str]] = HEALTH_DETAIL
    sealed_for: ClassVar[str | None] = "health-detail"

    date_checked: date
    up_to_date: bool


class SdqRecorded(HealthEvent):
    """SSDA903 OC2 SDQ_SCORE (0-40), or SDQ_REASON when there is no score."""

    event_type: ClassVar[str] = "sdq.recorded.v1"
    audience: ClassVar[frozenset[str]] = HEALTH_DETAIL
    sealed_for: ClassVar[str | None] = "health-detail"

    sdq_date: date
    score: int | None = None
    reason: str | None = None


class SubstanceMisuseRecorded(HealthEvent):
    """SSDA903 OC2 SUBSTANCE_MISUSE, INTERVENTION_OFFERED, INTERVENTION_RECEIVED."""

    event_type: ClassVar[str] = "substance-misuse.recorded.v1"
    audience: ClassVar[frozenset[str]] = HEALTH_DETAIL
    sealed_for: ClassVar[str | None] = "health-detail"

    recorded_date: date
    identified: bool
    intervention_offered: bool | None = None
    intervention_received: bool | None = None


class HealthEntryVoided(HealthEvent):
    """The entry was recorded in error and is taken out (`reason`: a code, never the note)."""

    event_type: ClassVar[str] = "entry.voided.v1"
    audience: ClassVar[frozenset[str]] = CARE | HEALTH_DETAIL

    reason: str
