"""Broken health-record rules, named after the rule, each naming the request field.

Every rule raises a subclass of `RuleBroken` (422 naming `field`) or
`NotFound` (404); nothing is recorded.
"""

from __future__ import annotations

from shared.domain_errors import NotFound, RuleBroken


class ChildNotKnown(RuleBroken):
    """Casefile has not told health of the child (no date of birth): nothing can be recorded."""

    learned_from = ("casefile",)


class UnknownCode(RuleBroken):
    """A value is not in the code list for its field."""


class DateInFuture(RuleBroken):
    """Health facts are recorded once they happen."""


class DateBeforeBirth(RuleBroken):
    """Nothing about a child happens before they were born."""

    learned_from = ("casefile",)


class NotLookedAfterYet(RuleBroken):
    """An initial health assessment is of a child who has become looked after."""

    learned_from = ("casefile",)


class InitialAssessmentAlreadyRecorded(RuleBroken):
    """One initial health assessment per period of care; later ones are reviews."""


class ReviewBeforeInitialAssessment(RuleBroken):
    """A review health assessment follows an initial one (on or before its date)."""


class DevelopmentCheckNotUnderFive(RuleBroken):
    """Development checks (the OC2 health-surveillance item) are for children under 5."""


class ScoreOutOfRange(RuleBroken):
    """SDQ total difficulties score: 0 to 40 (SSDA903 OC2 SDQ_SCORE)."""


class ScoreOrReason(RuleBroken):
    """An SDQ has a score or the SSDA903 SDQ_REASON it was not completed, never both or neither."""


class SdqAgeMismatch(RuleBroken):
    """SDQ questionnaires are for ages 2-17; SDQ_REASON SDQ1 (age) only outside 4-16
    (SSDA903 rule 157)."""


class InterventionWithoutMisuse(RuleBroken):
    """Interventions are recorded only where substance misuse was identified (OC2)."""


class ReceivedWithoutOffered(RuleBroken):
    """An intervention received was offered (OC2 INTERVENTION_RECEIVED/OFFERED)."""


class HealthPlanNotAgreed(RuleBroken):
    """A health plan is reviewed after it was agreed."""


class DuplicateEntryId(RuleBroken):
    """Entry ids are chosen once: the same id with other facts is a mistake."""


class EntryNotFound(NotFound):
    """No such entry in the child's health record (404)."""


class EntryAlreadyVoided(RuleBroken):
    """An entry taken out of the record cannot be taken out again."""


class EntryNeeded(RuleBroken):
    """An entry others rest on (the IHA before a review, an agreed plan before its reviews)
    cannot be voided while they stand."""


class NoteTooLong(RuleBroken):
    """A correction's note is bounded."""
