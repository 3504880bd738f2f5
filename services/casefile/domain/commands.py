"""The commands a child's case accepts: each names the `Child` method that carries it out.

Field names are the domain method's arguments; ids of things a command
creates may be left out (derived from the Idempotency-Key). Codes are checked
by the domain, whose 422 names the list a code is missing from.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import ConfigDict, Field, StrictBool, StringConstraints, field_validator

from services.casefile.domain.child import UNCHANGED
from services.casefile.domain.values import (
    CareLeaverStatus,
    Disability,
    HealthAssessmentKind,
    PermanencePlanType,
    Relationship,
    SocialWorkerChangeReason,
    ViewsSubject,
)
from shared.commands import Command, Note, PersonId, code, not_blank_in_document
from shared.dates import Day, today
from shared.ssda903 import codes

LocalChildId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=20,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
        description="The council's own id for the child (SSDA903 CHILD)",
    ),
]
Upn = Annotated[
    str,
    Field(
        min_length=13,
        max_length=13,
        description="Unique Pupil Number: 13 characters, the first a DfE check letter",
    ),
]
NhsNumber = Annotated[
    str,
    Field(
        min_length=10,
        max_length=12,
        description="NHS number: 10 digits (spaces allowed), modulus-11 check digit",
    ),
]

# --------------------------------------------------------------------------- the child


class RegisterChild(Command):
    """Starts a child's record (the one command that creates the aggregate)."""

    handler: ClassVar[str] = "register"

    local_child_id: LocalChildId
    date_of_birth: Day
    sex: str = code(codes.SEX, "SSDA903 SEX")
    ethnicity: str = code(codes.ETHNICITY, "SSDA903 ETHNIC")
    registration_date: Day = Field(
        description="The day the council opened the child's record: stated, never assumed"
    )
    upn: Upn | None = None
    nhs_number: NhsNumber | None = None
    uasc: StrictBool = Field(default=False, description="Unaccompanied asylum-seeking child")
    uasc_ceased_date: Day | None = None


#: Details every child has: a correction changes them, and cannot clear them.
_NOT_CLEARED = ("local_child_id", "date_of_birth", "sex", "ethnicity", "uasc")


def _documented_correction(schema: dict[str, Any]) -> None:
    """The document gives `null` only to what may be cleared (`upn`, say).

    Each of `_NOT_CLEARED` is declared `X | None = None` below (so that leaving it
    out is not clearing it): its document is `anyOf` X or null, with a default.
    """
    for name in _NOT_CLEARED:
        field = schema["properties"][name]
        del field["default"]  # left out, it stays as it is
        (given,) = [b for b in field.pop("anyOf") if b != {"type": "null"}]
        field.update(given)
    not_blank_in_document(schema)  # as every command's document says


class CorrectDetails(Command):
    """Only the fields present change; `null` clears an optional identifier."""

    model_config = ConfigDict(json_schema_extra=_documented_correction)

    handler: ClassVar[str] = "correct_details"

    effective_date: Day | None = Field(default=None, description="Default: today")
    note: Note | None = None
    local_child_id: LocalChildId | None = None
    date_of_birth: Day | None = None
    sex: str | None = code(codes.SEX, "SSDA903 SEX", default=None)
    ethnicity: str | None = code(codes.ETHNICITY, "SSDA903 ETHNIC", default=None)
    upn: Upn | None = None
    nhs_number: NhsNumber | None = None
    uasc: StrictBool | None = None
    uasc_ceased_date: Day | None = None

    @field_validator(*_NOT_CLEARED)
    @classmethod
    def _not_cleared(cls, value: object) -> object:
        if value is None:
            raise ValueError("a detail every child has is corrected, never cleared (null)")
        return value

    def arguments(self) -> dict[str, Any]:
        # Fields left out stay as they are (the domain's UNCHANGED is the default);
        # the correction's own date and note are always passed, after them.
        changes = {
            name: getattr(self, name) if name in self.model_fields_set else UNCHANGED
            for name in type(self).model_fields
        }
        return {**changes, "effective_date": self.effective_date or today(), "note": self.note}


# --------------------------------------------------------------------------- periods of care


class StartPeriodOfCare(Command):
    handler: ClassVar[str] = "start_period_of_care"
    creates: ClassVar[str | None] = "period_id"

    period_id: UUID | None = Field(default=None, description="Default: derived from the key")
    start_date: Day
    legal_status: str = code(codes.LEGAL_STATUS, "SSDA903 LS on the first day")
    category_of_need: str = code(codes.CATEGORY_OF_NEED, "SSDA903 CIN")


class ChangeLegalStatus(Command):
    handler: ClassVar[str] = "change_legal_status"

    effective_date: Day
    legal_status: str = code(codes.LEGAL_STATUS, "SSDA903 LS from this day")


class EndPeriodOfCare(Command):
    handler: ClassVar[str] = "end_period_of_care"

    end_date: Day = Field(description="The day the child ceased to be looked after (DEC)")
    reason_ceased: str = code(codes.REASON_EPISODE_CEASED, "SSDA903 REC (not X1)")


# --------------------------------------------------------------------------- people responsible


class AllocateSocialWorker(Command):
    handler: ClassVar[str] = "allocate_social_worker"

    effective_date: Day
    social_worker_id: PersonId
    team: PersonId
    reason: str | None = code(
        {reason.value: reason.name for reason in SocialWorkerChangeReason},
        "SSDA903 SW_REASON; required when the worker changes",
        default=None,
    )


class AppointIro(Command):
    handler: ClassVar[str] = "appoint_iro"

    effective_date: Day
    iro_id: PersonId


class AppointPersonalAdviser(Command):
    handler: ClassVar[str] = "appoint_personal_adviser"

    effective_date: Day
    personal_adviser_id: PersonId


# --------------------------------------------------------------------------- plans


class AgreeCarePlan(Command):
    handler: ClassVar[str] = "agree_care_plan"

    effective_date: Day
    note: Note | None = None


class AgreePermanencePlan(AgreeCarePlan):
    handler: ClassVar[str] = "agree_permanence_plan"

    plan_type: str = code({t.value: t.name for t in PermanencePlanType}, "The long-term plan")


class AgreePathwayPlan(AgreeCarePlan):
    handler: ClassVar[str] = "agree_pathway_plan"


class ReviewPathwayPlan(AgreeCarePlan):
    handler: ClassVar[str] = "review_pathway_plan"


# --------------------------------------------------------------------------- reviews and visits


class ScheduleReview(Command):
    handler: ClassVar[str] = "schedule_review"
    creates: ClassVar[str | None] = "review_id"

    review_id: UUID | None = Field(default=None, description="Default: derived from the key")
    scheduled_date: Day
    effective_date: Day | None = Field(default=None, description="When it was set; default today")

    def arguments(self) -> dict[str, Any]:
        return {**super().arguments(), "effective_date": self.effective_date or today()}


class RecordReview(Command):
    handler: ClassVar[str] = "record_review"
    caller: ClassVar[str | None] = "iro_id"

    review_date: Day
    iro_id: PersonId | None = Field(default=None, description="The chair; default: the caller")
    participation: str = code(codes.REVIEW_PARTICIPATION, "SSDA903 REVIEW_CODE")
    child_views_recorded: StrictBool
    note: Note | None = None


class RecordVisit(Command):
    handler: ClassVar[str] = "record_visit"
    creates: ClassVar[str | None] = "visit_id"

    visit_id: UUID | None = Field(default=None, description="Default: derived from the key")
    visit_date: Day
    seen_alone: StrictBool
    note: Note | None = None


# --------------------------------------------------------------------------- missing episodes


class StartMissingEpisode(Command):
    handler: ClassVar[str] = "record_missing_episode_start"
    creates: ClassVar[str | None] = "episode_id"

    episode_id: UUID | None = Field(default=None, description="Default: derived from the key")
    start_date: Day
    missing_type: str = code(codes.MISSING, "SSDA903 MISSING: M missing, A away")


class EndMissingEpisode(Command):
    handler: ClassVar[str] = "record_missing_episode_end"

    end_date: Day
    return_interview_offered: StrictBool
    return_interview_accepted: StrictBool


# --------------------------------------------------------------------------- care leavers


class RecordEligibility(Command):
    handler: ClassVar[str] = "record_care_leaver_eligibility"

    effective_date: Day
    status: str = code({s.value: s.name for s in CareLeaverStatus}, "Leaving-care status")


class RecordInTouchContact(Command):
    handler: ClassVar[str] = "record_in_touch_contact"
    creates: ClassVar[str | None] = "contact_id"

    contact_id: UUID | None = Field(default=None, description="Default: derived from the key")
    contact_date: Day
    in_touch: str = code(codes.IN_TOUCH, "SSDA903 IN_TOUCH")
    activity: str | None = code(codes.ACTIVITY, "SSDA903 ACTIV", default=None)
    accommodation: str | None = code(codes.ACCOMMODATION, "SSDA903 ACCOM", default=None)


class RecordStayingPut(Command):
    handler: ClassVar[str] = "record_staying_put"

    effective_date: Day
    staying_put: StrictBool = Field(description="True: the arrangement starts; False: it ends")


# --------------------------------------------------------------------------- adoption


class RecordAdoptionDecision(Command):
    handler: ClassVar[str] = "record_adoption_decision"

    effective_date: Day


class RecordPlacementOrder(RecordAdoptionDecision):
    handler: ClassVar[str] = "record_placement_order"


class RecordAdoptionMatch(RecordAdoptionDecision):
    handler: ClassVar[str] = "record_adoption_match"


class RecordPlacedForAdoption(RecordAdoptionDecision):
    handler: ClassVar[str] = "record_placed_for_adoption"


class RecordAdoption(RecordAdoptionDecision):
    handler: ClassVar[str] = "record_adoption"


class ReverseAdoptionDecision(Command):
    handler: ClassVar[str] = "reverse_adoption_decision"

    effective_date: Day
    reason: str = code(codes.REASON_PLACED_CEASED, "SSDA903 REASON_PLACED_CEASED")


# --------------------------------------------------------------------------- the child's voice


class RecordViewsAndWishes(Command):
    handler: ClassVar[str] = "record_views_and_wishes"
    creates: ClassVar[str | None] = "views_id"

    views_id: UUID | None = Field(default=None, description="Default: derived from the key")
    effective_date: Day
    views: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
    about: str = code(
        {s.value: s.name for s in ViewsSubject},
        "What the views are about",
        default=ViewsSubject.CASE.value,
    )
    about_id: UUID | None = Field(default=None, description="The review, visit, ... they are about")


# --------------------------------------------------------------------------- health assessments


class RecordHealthAssessment(Command):
    """That a health assessment was done: the date and kind only, no clinical detail.

    Not a route: health owns assessments; casefile learns them (adapters/health_facts.py).
    """

    handler: ClassVar[str] = "record_health_assessment"

    effective_date: Day = Field(description="The day of the assessment")
    kind: str = code({k.value: k.name for k in HealthAssessmentKind}, "Initial or review")
    entry_id: str | None = Field(default=None, max_length=200)


class WithdrawHealthAssessment(Command):
    """The health service voided the assessment's entry."""

    handler: ClassVar[str] = "withdraw_health_assessment"

    entry_id: str = Field(min_length=1, max_length=200)


# --------------------------------------------------------------------------- the child as a person
#
# Free text here is bounded and never published (docs/adr/0017-person-details.md).

#: A name as the child and family write it: any script, bounded.
PersonName = Annotated[str, StringConstraints(min_length=1, max_length=100)]
#: A detail in words (first language, religion): no national code list covers it.
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=100)]
#: A UK postcode, as Royal Mail writes it (the space is optional).
Postcode = Annotated[
    str,
    StringConstraints(
        min_length=5, max_length=8, pattern=r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$"
    ),
]
DisabilityCode = Annotated[
    str,
    StringConstraints(min_length=1, max_length=4),
    Field(json_schema_extra={"enum": sorted(d.value for d in Disability)}),
]


class RecordName(Command):
    """Record or correct the child's name; earlier names stay in the history."""

    handler: ClassVar[str] = "record_name"

    effective_date: Day | None = Field(default=None, description="From this day; default today")
    given_names: PersonName
    family_name: PersonName
    preferred_name: PersonName | None = Field(
        default=None, description="What the child likes to be called"
    )

    def arguments(self) -> dict[str, Any]:
        return {**super().arguments(), "effective_date": self.effective_date or today()}


class AddAddress(Command):
    handler: ClassVar[str] = "add_address"
    creates: ClassVar[str | None] = "address_id"

    address_id: UUID | None = Field(default=None, description="Default: derived from the key")
    effective_date: Day = Field(description="The child lives here from this day")
    address: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    postcode: Postcode | None = None


class RecordFirstLanguage(Command):
    handler: ClassVar[str] = "record_first_language"

    effective_date: Day
    first_language: ShortText


class RecordReligion(Command):
    handler: ClassVar[str] = "record_religion"

    effective_date: Day
    religion: ShortText = Field(description="Religion or belief, as the child or family say")


class RecordDisability(Command):
    handler: ClassVar[str] = "record_disability"

    effective_date: Day
    disabilities: list[DisabilityCode] = Field(
        min_length=1,
        max_length=len(Disability),
        description="DfE CIN census DISABILITY codes; NONE alone for no disability",
    )


class RecordPersonWhoMatters(Command):
    handler: ClassVar[str] = "record_person_who_matters"
    creates: ClassVar[str | None] = "person_id"

    person_id: UUID | None = Field(default=None, description="Default: derived from the key")
    effective_date: Day
    name: PersonName
    relationship: str = code({r.value: r.name for r in Relationship}, "What they are to the child")
    parental_responsibility: StrictBool = Field(description="Holds parental responsibility")
    placed_together: StrictBool | None = Field(
        default=None, description="Siblings only (required for them): placed with the child"
    )


class EndRelationship(Command):
    handler: ClassVar[str] = "end_relationship"

    end_date: Day
