"""What the casefile service tells others: its published language, version 1.

Minimised to what a consumer may see: codes, dates and the ids of the people
responsible, never free text, a child's name, NHS number or UPN. `audience` says
which purposes may receive an event ("any", or the safeguarding and leaving-care
sets below). See docs/adr/0010-published-language-minimised.md.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from shared.contracts.base import IntegrationEvent

SERVICE = "casefile"

#: Every consumer of the council's event bus.
ANY: frozenset[str] = frozenset({"any"})
#: Safeguarding facts: placements (stability), notifications (deadlines, return
#: interviews) and the performance team (SSDA903 Missing table).
SAFEGUARDING: frozenset[str] = frozenset({"placements", "notifications", "performance"})
#: Leaving-care facts: notifications (contact deadlines), performance (SSDA903
#: OC3) and the leaving-care service.
LEAVING_CARE: frozenset[str] = frozenset({"notifications", "performance", "leaving-care"})
#: Access to a child's record: the services that honour break-glass grants
#: (placements) and notifications (tells the child's team manager).
ACCESS: frozenset[str] = frozenset({"placements", "education", "notifications"})
#: Matching a child in schools' feeds: the education service only.
EDUCATION: frozenset[str] = frozenset({"education"})
#: Matching a child in NHS records: the health service only.
HEALTH: frozenset[str] = frozenset({"health"})


class CasefileEvent(IntegrationEvent):
    service: ClassVar[str] = SERVICE


# --- the child -------------------------------------------------------------------------


class ChildRegistered(CasefileEvent):
    """A child's record was opened: what consumers need of the SSDA903 header.

    Version 2 leaves out sex and ethnicity (special-category data no consumer
    needs: the 903 return reads them from the case record itself).
    """

    event_type: ClassVar[str] = "child.registered.v2"

    date_of_birth: date
    uasc: bool


class ChildDetailsCorrected(CasefileEvent):
    """The child's details were corrected; only the published ones appear (version 2)."""

    event_type: ClassVar[str] = "child.details-corrected.v2"

    date_of_birth: date
    uasc: bool
    uasc_ceased_date: date | None = None


class ChildPupilNumberRecorded(CasefileEvent):
    """The child's UPN was recorded, corrected or cleared: its keyed digest, never the number.

    `upn_digest` is `shared.contracts.pupil_numbers.upn_digest(upn)` (None: cleared),
    so the education service can match schools' feeds to the child
    (docs/adr/0021-education-service.md).
    """

    event_type: ClassVar[str] = "child.pupil-number.v1"
    audience: ClassVar[frozenset[str]] = EDUCATION

    upn_digest: str | None


class ChildRegisteredV1(CasefileEvent):
    """Version 1, with sex and ethnicity: no longer published, still read from old streams."""

    event_type: ClassVar[str] = "child.registered.v1"

    date_of_birth: date
    sex: str
    ethnicity: str
    uasc: bool


class ChildDetailsCorrectedV1(CasefileEvent):
    """Version 1 of a correction: no longer published, still read from old streams."""

    event_type: ClassVar[str] = "child.details-corrected.v1"

    date_of_birth: date
    sex: str
    ethnicity: str
    uasc: bool
    uasc_ceased_date: date | None = None


class ChildNhsNumberRecorded(CasefileEvent):
    """The child's NHS number, as the council's keyed digest, for health to match FHIR by.

    Never the NHS number itself: `shared.contracts.nhs_numbers.nhs_number_digest`
    (HMAC-SHA256 under a key derived from the council's integration key), sealed
    under the child's key like all integration data, for health only. Published
    when the record is opened with an NHS number and when a correction changes
    it; None means the number was removed (docs/adr/0020-health-service.md).
    """

    event_type: ClassVar[str] = "child.nhs-number.v1"
    audience: ClassVar[frozenset[str]] = HEALTH

    nhs_number_digest: str | None


class ChildRecordErased(CasefileEvent):
    """The child's record reached the end of retention and was erased (crypto-shredded).

    Every service destroys its keys of the child's records and removes the
    child from its read models (shared/erasure.py). Not sealed: it says
    nothing but the pseudonymous id, and must be readable after the erasure.
    """

    event_type: ClassVar[str] = "child.record-erased.v1"
    sealed: ClassVar[bool] = False


# --- periods of care -------------------------------------------------------------------


class PeriodOfCareStarted(CasefileEvent):
    """The child became looked after (SSDA903 DECOM, LS, CIN)."""

    event_type: ClassVar[str] = "period-of-care.started.v1"

    period_id: str
    start_date: date
    legal_status: str
    category_of_need: str


class LegalStatusChanged(CasefileEvent):
    event_type: ClassVar[str] = "period-of-care.legal-status-changed.v1"

    period_id: str
    legal_status: str


class PeriodOfCareEnded(CasefileEvent):
    """The child ceased to be looked after (SSDA903 DEC, REC)."""

    event_type: ClassVar[str] = "period-of-care.ended.v1"

    period_id: str
    end_date: date
    reason_ceased: str


# --- people responsible ----------------------------------------------------------------


class SocialWorkerAllocated(CasefileEvent):
    """A social worker (and team) was allocated; a change counts in the Stability Index.

    `reason` is the SSDA903 SW_REASON code, present for a change of worker.
    """

    event_type: ClassVar[str] = "social-worker.allocated.v1"

    social_worker_id: str
    team: str
    reason: str | None = None


class IroAppointed(CasefileEvent):
    event_type: ClassVar[str] = "iro.appointed.v1"

    iro_id: str


# --- plans, reviews, visits ------------------------------------------------------------


class CarePlanAgreed(CasefileEvent):
    event_type: ClassVar[str] = "care-plan.agreed.v1"


class PermanencePlanAgreed(CasefileEvent):
    event_type: ClassVar[str] = "permanence-plan.agreed.v1"

    plan_type: str


class PathwayPlanAgreed(CasefileEvent):
    event_type: ClassVar[str] = "pathway-plan.agreed.v1"
    audience: ClassVar[frozenset[str]] = LEAVING_CARE


class PathwayPlanReviewed(CasefileEvent):
    event_type: ClassVar[str] = "pathway-plan.reviewed.v1"
    audience: ClassVar[frozenset[str]] = LEAVING_CARE


class ReviewScheduled(CasefileEvent):
    event_type: ClassVar[str] = "review.scheduled.v1"

    review_id: str
    scheduled_date: date


class ReviewHeld(CasefileEvent):
    """A looked-after review was held (SSDA903 Reviews: REVIEW, REVIEW_CODE)."""

    event_type: ClassVar[str] = "review.held.v1"

    review_id: str
    review_date: date
    participation: str


class VisitRecorded(CasefileEvent):
    """A statutory visit took place (the date is what deadlines need)."""

    event_type: ClassVar[str] = "visit.recorded.v1"

    visit_id: str
    visit_date: date


# --- missing episodes ------------------------------------------------------------------


class MissingEpisodeStarted(CasefileEvent):
    event_type: ClassVar[str] = "missing-episode.started.v1"
    audience: ClassVar[frozenset[str]] = SAFEGUARDING

    episode_id: str
    missing_type: str
    start_date: date


class MissingEpisodeEnded(CasefileEvent):
    event_type: ClassVar[str] = "missing-episode.ended.v1"
    audience: ClassVar[frozenset[str]] = SAFEGUARDING

    episode_id: str
    end_date: date
    return_interview_offered: bool
    return_interview_accepted: bool


# --- care leavers ----------------------------------------------------------------------


class CareLeaverStatusRecorded(CasefileEvent):
    event_type: ClassVar[str] = "care-leaver.status-recorded.v1"
    audience: ClassVar[frozenset[str]] = LEAVING_CARE

    status: str


class PersonalAdviserAppointed(CasefileEvent):
    event_type: ClassVar[str] = "care-leaver.personal-adviser-appointed.v1"
    audience: ClassVar[frozenset[str]] = LEAVING_CARE

    personal_adviser_id: str


class CareLeaverContactRecorded(CasefileEvent):
    """Contact with a care leaver as SSDA903 OC3 codes: IN_TOUCH, ACTIV, ACCOM."""

    event_type: ClassVar[str] = "care-leaver.contact-recorded.v1"
    audience: ClassVar[frozenset[str]] = LEAVING_CARE

    contact_id: str
    contact_date: date
    in_touch: str
    activity: str | None = None
    accommodation: str | None = None


class StayingPutRecorded(CasefileEvent):
    event_type: ClassVar[str] = "care-leaver.staying-put-recorded.v1"
    audience: ClassVar[frozenset[str]] = LEAVING_CARE

    staying_put: bool


# --- adoption --------------------------------------------------------------------------


class AdoptionMilestoneRecorded(CasefileEvent):
    """A step towards adoption: decision, placement_order, matched, placed or adopted."""

    event_type: ClassVar[str] = "adoption.milestone-recorded.v1"

    milestone: str


class AdoptionDecisionReversed(CasefileEvent):
    """The plan for adoption ended; `reason` is the SSDA903 REASON_PLACED_CEASED code."""

    event_type: ClassVar[str] = "adoption.decision-reversed.v1"

    reason: str


# --- access to the record --------------------------------------------------------------


class BreakGlassGranted(CasefileEvent):
    """Someone unrelated to the child was given break-glass access until `expires_at`.

    Every service holding the child's records honours it until then, the same
    way (docs/adr/0015-break-glass.md). The reason the user typed is free text
    and stays in casefile, where the team manager reviews it.
    """

    event_type: ClassVar[str] = "break-glass.granted.v1"
    audience: ClassVar[frozenset[str]] = ACCESS

    grant_id: str
    user_id: str
    role: str
    granted_at: datetime
    expires_at: datetime
