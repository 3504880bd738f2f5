"""Broken casefile rules, named after the rule, each naming the request field.

Every rule a command can break raises a subclass of `RuleBroken`; the API turns
any of them into a 422 problem detail naming `field` (the API request field) and
nothing is recorded. `ChildNotFound` is a 404. `VersionConflict` is not a broken
rule: the caller's copy of the record is stale (the API's If-Match failed), so it
maps to 412/409 as the API decides, the same way in every service.
"""

from __future__ import annotations

from shared.domain_errors import NotFound, RuleBroken
from shared.domain_errors import VersionConflict as VersionConflict  # re-exported

# --- codes and identifiers -------------------------------------------------------------


class UnknownCode(RuleBroken):
    """A value is not in the SSDA903 (or casefile) code list for its field."""


class InvalidIdentifier(RuleBroken):
    """A national identifier is malformed or fails its check character."""


class InvalidUpn(InvalidIdentifier):
    """The UPN is not 13 characters with a matching DfE check letter."""


class InvalidNhsNumber(InvalidIdentifier):
    """The NHS number is not 10 digits with a matching modulus-11 check digit."""


class MissingValue(RuleBroken):
    """A required value is blank."""


# --- the child -------------------------------------------------------------------------


class ChildNotFound(NotFound):
    """No child is registered with this id."""

    def __init__(self, child_id: object) -> None:
        super().__init__(f"no child is registered with id {child_id}")
        self.child_id = child_id
        self.field = "child_id"


class ChildAlreadyRegistered(RuleBroken):
    """A child with this local child id is registered, with different details."""


class DateBeforeBirth(RuleBroken):
    """Nothing in a child's record can take effect before the child was born."""


class DateInFuture(RuleBroken):
    """A fact cannot take effect after the day it is recorded on."""


class DatesOutOfOrder(RuleBroken):
    """Something cannot end before it started (or a date precedes the one it follows)."""


class CorrectionConflictsWithRecord(RuleBroken):
    """A correction would leave facts already recorded breaking a rule (e.g. care before birth)."""


class UascDetailsInconsistent(RuleBroken):
    """A date UASC status ceased is only meaningful for a child recorded as UASC."""


# --- periods of care and legal status --------------------------------------------------


class PeriodsOverlap(RuleBroken):
    """A child has one period of care at a time; periods cannot overlap."""


class PeriodOfCareNotFound(RuleBroken):
    """The period of care named is not in this child's record."""


class PeriodOfCareAlreadyEnded(RuleBroken):
    """Only an open period of care can be ended."""


class RecordsAfterEndDate(RuleBroken):
    """A period cannot end before things already recorded within it happened."""


class LegalStatusUnchanged(RuleBroken):
    """A change of legal status must change it (SSDA903: a new episode needs a new LS)."""


class LegalStatusChangeClash(RuleBroken):
    """A period has one legal status change a day (SSDA903 episodes have a length)."""


class NotLookedAfter(RuleBroken):
    """The fact only makes sense while the child is looked after, and they were not."""


class ReviewOutsidePeriodOfCare(NotLookedAfter):
    """A looked-after review is held (or scheduled) within a period of care."""


class VisitOutsidePeriodOfCare(NotLookedAfter):
    """A statutory visit is to a looked-after child, within a period of care."""


class MissingEpisodeOutsidePeriodOfCare(NotLookedAfter):
    """SSDA903: a child cannot be missing from placement before or after being looked after."""


class IdAlreadyUsed(RuleBroken):
    """A caller-chosen id already names something else in this record."""


# --- social workers --------------------------------------------------------------------


class ChangeReasonRequired(RuleBroken):
    """A change of social worker records why (SSDA903 SWEpisodes SW_REASON)."""


class SocialWorkerAlreadyAllocated(RuleBroken):
    """The worker and team given are already allocated on that date."""


class PersonalAdviserAlreadyAppointed(RuleBroken):
    """The personal adviser given is already the young person's adviser on that date."""


class IroAlreadyAppointed(RuleBroken):
    """The IRO given is already the child's IRO on that date."""


# --- plans, reviews, visits, missing episodes ------------------------------------------


class PathwayPlanNotAgreed(RuleBroken):
    """A pathway plan must be agreed before it can be reviewed."""


class ReviewNotFound(RuleBroken):
    """The review named is not in this child's record."""


class ReviewAlreadyHeld(RuleBroken):
    """A held review cannot be rescheduled or held again."""


class ParticipationInconsistentWithAge(RuleBroken):
    """SSDA903 rules 440/441: PN0 is used exactly when the child was under 4 at the review."""


class MissingEpisodeNotFound(RuleBroken):
    """The missing episode named is not in this child's record."""


class MissingEpisodeAlreadyEnded(RuleBroken):
    """Only an open missing episode can be ended."""


class MissingEpisodesOverlap(RuleBroken):
    """SSDA903 rule 574: missing/away episodes cannot overlap, nor start while another is open."""


class ReturnInterviewNotOffered(RuleBroken):
    """A return interview can only be accepted if it was offered."""


# --- care leavers ----------------------------------------------------------------------


class BelowMinimumAge(RuleBroken):
    """The status or arrangement applies only from an age set in law."""


class NotACareLeaver(RuleBroken):
    """Care-leaver contact is recorded only once care-leaver status has been recorded."""


# --- adoption --------------------------------------------------------------------------


class AdoptionMilestoneOutOfOrder(RuleBroken):
    """Adoption milestones follow one another, each on or after the one before.

    Decision to place (after becoming looked after: SSDA903 rule 334), then
    matched (rule 333), placed (rules 331, 551), adopted; a placement order
    needs the decision first.
    """


class AdoptionMilestoneAlreadyRecorded(RuleBroken):
    """A milestone already recorded (on another date) is not recorded again."""


# --- views and wishes ------------------------------------------------------------------


class SubjectNotFound(RuleBroken):
    """Views and wishes are recorded against something in this child's record."""


# --- break-glass -----------------------------------------------------------------------


class BreakGlassGrantNotFound(NotFound):
    """No break-glass grant (alert) has this id, or none the caller may see."""

    def __init__(self, grant_id: object) -> None:
        super().__init__(f"no break-glass alert {grant_id} is yours to see")
        self.grant_id = grant_id
        self.field = "alert_id"


class OwnBreakGlassReview(RuleBroken):
    """A break-glass use is reviewed by someone other than who used it."""


class BreakGlassAlreadyReviewed(RuleBroken):
    """A break-glass use is reviewed once."""


# --- concurrency -----------------------------------------------------------------------


# --- retention ---------------------------------------------------------------------------


class RetentionNotEnded(RuleBroken):
    """The record may not be erased before the end of its retention (reg. 50)."""


# --- the child as a person -----------------------------------------------------------------


class PersonDetailsClash(RuleBroken):
    """Another address is already recorded from that day."""


class RelationshipInconsistent(RuleBroken):
    """Only a sibling is placed (or not) together with the child, and a sibling says which."""


class PersonWhoMattersNotFound(RuleBroken):
    """The person named is not recorded as someone who matters to this child."""


class RelationshipAlreadyEnded(RuleBroken):
    """The relationship was already ended, on another day."""
