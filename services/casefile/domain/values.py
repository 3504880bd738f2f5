"""Value objects and code lists of a child's case record.

Everything here is immutable: the `Child` aggregate replaces a value when an
event changes it, so a copy handed to a reader can never change under them.
Casefile's own code lists are `StrEnum`s; SSDA903 code lists stay in
`shared.ssda903.codes` and travel as plain strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID


class SocialWorkerChangeReason(StrEnum):
    """Why the allocated social worker changed: SSDA903 SWEpisodes `SW_REASON`.

    The valid list is DfE rule SW13STG1 (`lac_validator/rules/lac2024_25/
    rule_SW13STG1.py`); the labels paraphrase DfE's SSDA903 guide.
    """

    MANAGE = "MANAGE"  # management decision, e.g. a transfer between teams
    FCONTA = "FCONTA"  # the worker's fixed-term contract ended
    LEFTRL = "LEFTRL"  # the worker left the role
    ORGRST = "ORGRST"  # organisational restructure
    TSPROC = "TSPROC"  # transfer between teams as part of the standard process
    ABSENC = "ABSENC"  # the worker's absence (e.g. long-term sickness, parental leave)
    CHCHAN = "CHCHAN"  # a change in the child's circumstances
    PCCHAN = "PCCHAN"  # the child, parent or carer asked for a change
    SWDIED = "SWDIED"  # the worker died
    OTHERS = "OTHERS"  # any other reason


class PermanencePlanType(StrEnum):
    """The long-term plan for the child (statutory guidance vol. 2, ch. 2 "permanence")."""

    RETURN_HOME = "return_home"
    ADOPTION = "adoption"
    LONG_TERM_FOSTERING = "long_term_fostering"
    SPECIAL_GUARDIANSHIP = "special_guardianship"
    CHILD_ARRANGEMENTS_ORDER = "child_arrangements_order"
    RESIDENTIAL_CARE = "residential_care"
    INDEPENDENT_LIVING = "independent_living"
    OTHER = "other"


class CareLeaverStatus(StrEnum):
    """Leaving-care status (Children Act 1989 s.23A, s.23C, s.24; Sch. 2 para. 19B)."""

    ELIGIBLE = "eligible"  # 16-17, still looked after, 13+ weeks looked after since 14
    RELEVANT = "relevant"  # 16-17, was eligible, has left care
    FORMER_RELEVANT = "former_relevant"  # 18+, was eligible or relevant
    QUALIFYING = "qualifying"  # 16+, looked after at some time after 16 but not eligible


class AdoptionMilestone(StrEnum):
    """Steps towards adoption, in the order they happen (SSDA903 PlacedAdoption, AD1)."""

    DECISION = "decision"  # agency decision that the child should be placed (DATE_PLACED)
    PLACEMENT_ORDER = "placement_order"  # s.21 Adoption and Children Act 2002 (LS E1)
    MATCHED = "matched"  # child matched with adopter(s) (AD1 DATE_MATCH)
    PLACED = "placed"  # placed for adoption (PLACE A3-A6)
    ADOPTED = "adopted"  # adoption order granted (REC E11/E12)


class ViewsSubject(StrEnum):
    """What the child's views and wishes were recorded about."""

    CASE = "case"
    CHILD_DETAILS = "child_details"
    PERIOD_OF_CARE = "period_of_care"
    SOCIAL_WORKER = "social_worker"
    CARE_PLAN = "care_plan"
    PERMANENCE_PLAN = "permanence_plan"
    PATHWAY_PLAN = "pathway_plan"
    REVIEW = "review"
    VISIT = "visit"
    MISSING_EPISODE = "missing_episode"
    CARE_LEAVING = "care_leaving"
    IN_TOUCH_CONTACT = "in_touch_contact"
    ADOPTION = "adoption"


@dataclass(frozen=True)
class ChildDetails:
    """Who the child is: SSDA903 Header (CHILD, SEX, DOB, ETHNIC, UPN) and UASC (DUC)."""

    local_child_id: str
    date_of_birth: date
    sex: str
    ethnicity: str
    upn: str | None = None
    nhs_number: str | None = None
    uasc: bool = False
    uasc_ceased_date: date | None = None


@dataclass(frozen=True)
class LegalStatusSpell:
    """A legal status (SSDA903 `LS`) in force from `effective_date`."""

    effective_date: date
    legal_status: str


@dataclass(frozen=True)
class PeriodOfCare:
    """From the day a child became looked after to the day they ceased (SSDA903 DECOM..DEC).

    As in the placements service, `end_date` is the day the child ceased to be
    looked after: the child is looked after at the end of each day in
    `start_date <= day < end_date` (DfE counts a child ceasing on 31 March as
    ceased during the year). Things that happen to a looked-after child
    (reviews, visits, a change of legal status) may happen on the last day too.
    """

    period_id: UUID
    start_date: date
    category_of_need: str
    legal_statuses: tuple[LegalStatusSpell, ...]
    end_date: date | None = None
    reason_ceased: str | None = None

    @property
    def is_open(self) -> bool:
        return self.end_date is None

    @property
    def legal_status(self) -> str:
        """The latest legal status in the period."""
        return self.legal_statuses[-1].legal_status

    def covers(self, day: date) -> bool:
        """Was the child looked after at the end of `day`?"""
        return self.start_date <= day and (self.end_date is None or day < self.end_date)

    def spans(self, day: date) -> bool:
        """Could something that happens to a looked-after child happen on `day`?"""
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

    def overlaps(self, start: date, end: date | None) -> bool:
        """Would a period `start <= day < end` share a day of care with this one?"""
        starts_before_our_end = self.end_date is None or start < self.end_date
        ends_after_our_start = end is None or end > self.start_date
        return starts_before_our_end and ends_after_our_start

    def legal_status_on(self, day: date) -> str | None:
        """The status in force on `day`, if the period spans it (the first is from its start)."""
        if not self.spans(day):
            return None
        return next(
            s.legal_status for s in reversed(self.legal_statuses) if s.effective_date <= day
        )


@dataclass(frozen=True)
class SocialWorkerAllocation:
    """A social worker and team allocated to the child from `effective_date`."""

    effective_date: date
    social_worker_id: str
    team: str
    reason: SocialWorkerChangeReason | None = None


@dataclass(frozen=True)
class IroAppointment:
    """The Independent Reviewing Officer appointed for the child from `effective_date`."""

    effective_date: date
    iro_id: str


@dataclass(frozen=True)
class CarePlan:
    """A care plan agreed on `effective_date`, in the period of care `period_id`.

    The period is fixed when the plan is recorded: a plan agreed on the day one
    period ended belongs to that period, even when the child comes back into care
    that same day (the new period needs its own plan).
    """

    effective_date: date
    period_id: UUID | None = None


@dataclass(frozen=True)
class PermanencePlan:
    effective_date: date
    plan_type: PermanencePlanType
    period_id: UUID | None = None


@dataclass(frozen=True)
class PathwayPlan:
    """A care leaver's pathway plan, agreed on `effective_date`, with its reviews."""

    effective_date: date
    review_dates: tuple[date, ...] = ()

    @property
    def last_reviewed(self) -> date:
        return self.review_dates[-1] if self.review_dates else self.effective_date


@dataclass(frozen=True)
class StatutoryReview:
    """A looked-after review: scheduled, then held (SSDA903 Reviews table)."""

    review_id: UUID
    scheduled_date: date | None = None
    held_date: date | None = None
    iro_id: str | None = None
    participation: str | None = None
    child_views_recorded: bool | None = None
    note: str | None = None

    @property
    def is_held(self) -> bool:
        return self.held_date is not None


@dataclass(frozen=True)
class StatutoryVisit:
    visit_id: UUID
    visit_date: date
    seen_alone: bool
    note: str | None = None


@dataclass(frozen=True)
class MissingEpisode:
    """Missing (M) or away without authorisation (A) from placement (SSDA903 Missing)."""

    episode_id: UUID
    missing_type: str
    start_date: date
    end_date: date | None = None
    return_interview_offered: bool | None = None
    return_interview_accepted: bool | None = None

    @property
    def is_open(self) -> bool:
        return self.end_date is None


@dataclass(frozen=True)
class CareLeaverStatusRecord:
    effective_date: date
    status: CareLeaverStatus


@dataclass(frozen=True)
class PersonalAdviserAppointment:
    effective_date: date
    personal_adviser_id: str


@dataclass(frozen=True)
class InTouchContact:
    """A care leaver contact, coded as SSDA903 OC3 (IN_TOUCH, ACTIV, ACCOM)."""

    contact_id: UUID
    contact_date: date
    in_touch: str
    activity: str | None
    accommodation: str | None

    @property
    def accommodation_suitable(self) -> bool | None:
        """ACCOM codes end in 1 (suitable) or 2 (unsuitable); "0" means not applicable."""
        if self.accommodation is None or self.accommodation == "0":
            return None
        return self.accommodation.endswith("1")


@dataclass(frozen=True)
class StayingPutRecord:
    effective_date: date
    staying_put: bool


@dataclass(frozen=True)
class AdoptionProgress:
    """One plan for adoption, from the decision to the adoption order (or its reversal)."""

    decision_date: date | None = None
    placement_order_date: date | None = None
    matched_date: date | None = None
    placed_date: date | None = None
    adopted_date: date | None = None
    reversed_date: date | None = None
    reversal_reason: str | None = None

    def date_of(self, milestone: AdoptionMilestone) -> date | None:
        return {
            AdoptionMilestone.DECISION: self.decision_date,
            AdoptionMilestone.PLACEMENT_ORDER: self.placement_order_date,
            AdoptionMilestone.MATCHED: self.matched_date,
            AdoptionMilestone.PLACED: self.placed_date,
            AdoptionMilestone.ADOPTED: self.adopted_date,
        }[milestone]


@dataclass(frozen=True)
class ViewsAndWishes:
    views_id: UUID
    effective_date: date
    about: ViewsSubject
    about_id: UUID | None
    views: str


class HealthAssessmentKind(StrEnum):
    """Statutory guidance "Promoting the health and well-being of looked-after children"."""

    INITIAL = "initial"  # within 20 working days of becoming looked after
    REVIEW = "review"  # every 6 months under 5, every 12 months from 5


@dataclass(frozen=True)
class HealthAssessment:
    """That a health assessment was done on `effective_date` (no clinical detail)."""

    effective_date: date
    kind: HealthAssessmentKind
    #: The health service's entry it was learned from (None: recorded in casefile before).
    entry_id: str | None = None


@dataclass(frozen=True)
class DetailsCorrection:
    """That the child's details were corrected, and which fields (the values are on the child)."""

    effective_date: date
    corrected_fields: tuple[str, ...]


# --------------------------------------------------------------------------- the child as a person
#
# Names, addresses, language, religion, disability and the people who matter to
# the child: who the child is beyond the SSDA903 header. Shown on the case only
# to roles that need each (docs/adr/0017-person-details.md); never published.


class Disability(StrEnum):
    """The child's disability: the DfE Children in Need census codes (CIN `DISABILITY`)."""

    NONE = "NONE"  # no disability
    MOB = "MOB"  # mobility
    HAND = "HAND"  # hand function
    PC = "PC"  # personal care
    INC = "INC"  # incontinence
    COMM = "COMM"  # communication
    LD = "LD"  # learning
    HEAR = "HEAR"  # hearing
    VIS = "VIS"  # vision
    BEH = "BEH"  # behaviour
    CON = "CON"  # consciousness
    AUT = "AUT"  # autism or Asperger syndrome
    DDA = "DDA"  # other disability under the Equality Act 2010 (formerly DDA)


class Relationship(StrEnum):
    """How a person who matters is related to the child."""

    MOTHER = "mother"
    FATHER = "father"
    PARENT = "parent"
    STEP_PARENT = "step_parent"
    SIBLING = "sibling"
    HALF_SIBLING = "half_sibling"
    STEP_SIBLING = "step_sibling"
    GRANDPARENT = "grandparent"
    AUNT_OR_UNCLE = "aunt_or_uncle"
    OTHER_RELATIVE = "other_relative"
    SPECIAL_GUARDIAN = "special_guardian"
    FRIEND = "friend"
    OTHER = "other"

    @property
    def is_sibling(self) -> bool:
        return self in {Relationship.SIBLING, Relationship.HALF_SIBLING, Relationship.STEP_SIBLING}


@dataclass(frozen=True)
class ChildName:
    """The child's name from `effective_date`; a correction is a later record."""

    effective_date: date
    given_names: str
    family_name: str
    preferred_name: str | None = None


@dataclass(frozen=True)
class Address:
    """Where the child lived from `effective_date` (until the next address)."""

    address_id: UUID
    effective_date: date
    address: str
    postcode: str | None = None


@dataclass(frozen=True)
class DatedText:
    """A detail in the child's or family's words (first language, religion), from a date."""

    effective_date: date
    value: str


@dataclass(frozen=True)
class DisabilityRecord:
    effective_date: date
    disabilities: tuple[Disability, ...]


@dataclass(frozen=True)
class PersonWhoMatters:
    """Someone who matters to the child, and what they are to them, from `effective_date`."""

    person_id: UUID
    effective_date: date
    name: str
    relationship: Relationship
    parental_responsibility: bool
    placed_together: bool | None = None
    end_date: date | None = None

    def current_on(self, day: date) -> bool:
        return self.effective_date <= day and (self.end_date is None or day < self.end_date)
