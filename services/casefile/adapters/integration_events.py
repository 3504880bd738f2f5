"""Casefile's domain events out as integration events, for the shared relay.

`translate` is the one place that decides what leaves the service: each domain
event maps to at most one contract model from `shared.contracts.casefile`,
with free text (`note`, `views`, worker-typed reasons) and identifiers other
services must not hold (NHS number, UPN, local child id) left behind. Reads of
a record (the access log) and the child's views are never published.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from services.casefile.domain.break_glass import BreakGlass
from services.casefile.domain.child import Child
from services.casefile.domain.retention import Erasure
from services.casefile.domain.values import AdoptionMilestone
from shared.contracts import casefile as contract
from shared.contracts.base import IntegrationEvent
from shared.contracts.nhs_numbers import nhs_number_digest
from shared.contracts.pupil_numbers import upn_digest
from shared.dates import ENGLAND

#: Details a correction may change that consumers are told about.
PUBLISHED_DETAILS = frozenset({"date_of_birth", "uasc", "uasc_ceased_date"})


def _child(e: Any) -> str:
    return str(e.originator_id)


def _registered(e: Any) -> IntegrationEvent:
    return contract.ChildRegistered(
        child_id=_child(e),
        effective_date=e.effective_date,
        date_of_birth=e.date_of_birth,
        uasc=e.uasc,
    )


def _corrected(e: Any) -> IntegrationEvent | None:
    if not PUBLISHED_DETAILS.intersection(e.corrected_fields):
        return None
    return contract.ChildDetailsCorrected(
        child_id=_child(e),
        effective_date=e.effective_date,
        date_of_birth=e.date_of_birth,
        uasc=e.uasc,
        uasc_ceased_date=e.uasc_ceased_date,
    )


def _milestone(milestone: AdoptionMilestone) -> Callable[[Any], IntegrationEvent]:
    def build(e: Any) -> IntegrationEvent:
        return contract.AdoptionMilestoneRecorded(
            child_id=_child(e), effective_date=e.effective_date, milestone=str(milestone)
        )

    return build


#: By the name of the `Child` event (the `@event` name in the domain).
_TRANSLATIONS: dict[str, Callable[[Any], IntegrationEvent | None]] = {
    "ChildRegistered": _registered,
    "ChildDetailsCorrected": _corrected,
    "PeriodOfCareStarted": lambda e: contract.PeriodOfCareStarted(
        child_id=_child(e),
        effective_date=e.effective_date,
        period_id=str(e.period_id),
        start_date=e.effective_date,
        legal_status=e.legal_status,
        category_of_need=e.category_of_need,
    ),
    "LegalStatusChanged": lambda e: contract.LegalStatusChanged(
        child_id=_child(e),
        effective_date=e.effective_date,
        period_id=str(e.period_id),
        legal_status=e.legal_status,
    ),
    "PeriodOfCareEnded": lambda e: contract.PeriodOfCareEnded(
        child_id=_child(e),
        effective_date=e.effective_date,
        period_id=str(e.period_id),
        end_date=e.effective_date,
        reason_ceased=e.reason_ceased,
    ),
    "SocialWorkerAllocated": lambda e: contract.SocialWorkerAllocated(
        child_id=_child(e),
        effective_date=e.effective_date,
        social_worker_id=e.social_worker_id,
        team=e.team,
        reason=e.reason,
    ),
    "IroAppointed": lambda e: contract.IroAppointed(
        child_id=_child(e), effective_date=e.effective_date, iro_id=e.iro_id
    ),
    "CarePlanAgreed": lambda e: contract.CarePlanAgreed(
        child_id=_child(e), effective_date=e.effective_date
    ),
    "PermanencePlanAgreed": lambda e: contract.PermanencePlanAgreed(
        child_id=_child(e), effective_date=e.effective_date, plan_type=e.plan_type
    ),
    "PathwayPlanAgreed": lambda e: contract.PathwayPlanAgreed(
        child_id=_child(e), effective_date=e.effective_date
    ),
    "PathwayPlanReviewed": lambda e: contract.PathwayPlanReviewed(
        child_id=_child(e), effective_date=e.effective_date
    ),
    "ReviewScheduled": lambda e: contract.ReviewScheduled(
        child_id=_child(e),
        effective_date=e.effective_date,
        review_id=str(e.review_id),
        scheduled_date=e.scheduled_date,
    ),
    "ReviewHeld": lambda e: contract.ReviewHeld(
        child_id=_child(e),
        effective_date=e.effective_date,
        review_id=str(e.review_id),
        review_date=e.effective_date,
        participation=e.participation,
    ),
    "StatutoryVisitRecorded": lambda e: contract.VisitRecorded(
        child_id=_child(e),
        effective_date=e.effective_date,
        visit_id=str(e.visit_id),
        visit_date=e.effective_date,
    ),
    "MissingEpisodeStarted": lambda e: contract.MissingEpisodeStarted(
        child_id=_child(e),
        effective_date=e.effective_date,
        episode_id=str(e.episode_id),
        missing_type=e.missing_type,
        start_date=e.effective_date,
    ),
    "MissingEpisodeEnded": lambda e: contract.MissingEpisodeEnded(
        child_id=_child(e),
        effective_date=e.effective_date,
        episode_id=str(e.episode_id),
        end_date=e.effective_date,
        return_interview_offered=e.return_interview_offered,
        return_interview_accepted=e.return_interview_accepted,
    ),
    "CareLeaverEligibilityRecorded": lambda e: contract.CareLeaverStatusRecorded(
        child_id=_child(e), effective_date=e.effective_date, status=e.status
    ),
    "PersonalAdviserAppointed": lambda e: contract.PersonalAdviserAppointed(
        child_id=_child(e),
        effective_date=e.effective_date,
        personal_adviser_id=e.personal_adviser_id,
    ),
    "InTouchContactRecorded": lambda e: contract.CareLeaverContactRecorded(
        child_id=_child(e),
        effective_date=e.effective_date,
        contact_id=str(e.contact_id),
        contact_date=e.effective_date,
        in_touch=e.in_touch,
        activity=e.activity,
        accommodation=e.accommodation,
    ),
    "StayingPutRecorded": lambda e: contract.StayingPutRecorded(
        child_id=_child(e), effective_date=e.effective_date, staying_put=e.staying_put
    ),
    "AdoptionDecisionMade": _milestone(AdoptionMilestone.DECISION),
    "PlacementOrderGranted": _milestone(AdoptionMilestone.PLACEMENT_ORDER),
    "MatchedWithAdopters": _milestone(AdoptionMilestone.MATCHED),
    "PlacedForAdoption": _milestone(AdoptionMilestone.PLACED),
    "AdoptionOrderGranted": _milestone(AdoptionMilestone.ADOPTED),
    "AdoptionDecisionReversed": lambda e: contract.AdoptionDecisionReversed(
        child_id=_child(e), effective_date=e.effective_date, reason=e.reason
    ),
    # "ViewsAndWishesRecorded" is the child's own words: never published.
    # The child as a person (name, address, first language, religion, disability, the
    # people who matter, "RelationshipEnded") is never published: only the API shows it,
    # to the roles that need it (docs/adr/0017-person-details.md). Nor are
    # "HealthAssessmentRecorded" and "HealthAssessmentWithdrawn": learned from health,
    # which publishes them itself (docs/adr/0020-health-service.md).
}


def _break_glass(e: Any) -> list[IntegrationEvent]:
    """A grant, without its reason (free text): other services honour it; reviews stay here."""
    if type(e).__name__ != "Granted":
        return []
    return [
        contract.BreakGlassGranted(
            child_id=str(e.child_id),
            effective_date=e.granted_at.astimezone(ENGLAND).date(),
            grant_id=str(e.grant_id),
            user_id=e.user_id,
            role=e.role,
            granted_at=e.granted_at,
            expires_at=e.expires_at,
        )
    ]


def translate(domain_event: Any, headers: dict[str, str]) -> Sequence[IntegrationEvent]:
    """The integration events for one stored domain event (none for most internal facts)."""
    if isinstance(domain_event, BreakGlass.Event):
        return _break_glass(domain_event)
    if isinstance(domain_event, Erasure.Event):
        erased: Any = domain_event
        return [
            contract.ChildRecordErased(
                child_id=str(erased.child_id), effective_date=erased.effective_date
            )
        ]
    if not isinstance(domain_event, Child.Event):
        return []  # the access log: reads are audited, not published
    build = _TRANSLATIONS.get(type(domain_event).__name__)
    if build is None:
        return []
    published = build(domain_event)
    return [
        *([] if published is None else [published]),
        *_pupil_number(domain_event),
        *_nhs_number(domain_event),
    ]


def _pupil_number(e: Any) -> list[IntegrationEvent]:
    """The UPN's keyed digest for the education service, when registered or corrected."""
    name = type(e).__name__
    if name == "ChildRegistered" and getattr(e, "upn", None) is None:
        return []
    if name == "ChildDetailsCorrected" and "upn" not in e.corrected_fields:
        return []
    if name not in ("ChildRegistered", "ChildDetailsCorrected"):
        return []
    return [
        contract.ChildPupilNumberRecorded(
            child_id=_child(e),
            effective_date=e.effective_date,
            upn_digest=upn_digest(e.upn) if e.upn is not None else None,
        )
    ]


def _nhs_number(e: Any) -> list[IntegrationEvent]:
    """The NHS number's keyed digest for the health service, when registered or corrected."""
    name = type(e).__name__
    if name == "ChildRegistered" and getattr(e, "nhs_number", None) is None:
        return []
    if name == "ChildDetailsCorrected" and "nhs_number" not in e.corrected_fields:
        return []
    if name not in ("ChildRegistered", "ChildDetailsCorrected"):
        return []
    return [
        contract.ChildNhsNumberRecorded(
            child_id=_child(e),
            effective_date=e.effective_date,
            nhs_number_digest=(
                nhs_number_digest(e.nhs_number) if e.nhs_number is not None else None
            ),
        )
    ]
