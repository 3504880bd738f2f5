"""Broken placement rules, named after the rule, each naming the request field.

Every rule a command can break raises a subclass of `RuleBroken`; the API
turns any of them into a 422 problem detail naming `field` (the API request
field), and nothing is recorded. `VersionConflict` is not a broken rule: it
means the caller's copy is stale (the API's If-Match), so it maps to 412.
"""

from __future__ import annotations

from shared.domain_errors import NotFound, RuleBroken
from shared.domain_errors import VersionConflict as VersionConflict  # re-exported


class UnknownCode(RuleBroken):
    """A value is not in the SSDA903 code list for its field."""


class InvalidPostcode(RuleBroken):
    """A postcode is neither a full UK postcode nor a postcode sector."""


class DistanceWithoutPostcodes(RuleBroken):
    """Distance from home is only meaningful when both postcodes are known."""


class NegativeDistance(RuleBroken):
    """A distance from home cannot be below zero."""


class OutsidePeriodOfCare(RuleBroken):
    """A placement must start, change and end within one period of care."""

    learned_from = ("casefile",)  # periods of care are casefile's (ADR 0009, ADR 0019)


class PlacementsOverlap(RuleBroken):
    """A child lives in one placement at a time."""


class DatesOutOfOrder(RuleBroken):
    """A placement cannot end (or change) on or before the day it started."""


class NoCurrentPlacement(RuleBroken):
    """A move or an adoptive placement needs a placement to move from."""


class PlacementNotFound(NotFound):
    """The placement named is not in this child's history (404)."""


class NotCurrentPlacement(RuleBroken):
    """A move or an adoptive placement leaves the child's current placement, and names it."""


class PlacementAlreadyEnded(RuleBroken):
    """An ended placement cannot be ended again."""


class DuplicatePlacementId(RuleBroken):
    """Placement ids are chosen by the caller and must be new."""


class NotPlacedForAdoption(RuleBroken):
    """Recording a placement for adoption needs an SSDA903 A3-A6 placement type."""


class NotAFosterPlacement(RuleBroken):
    """Staying Put continues a foster placement after the young person's 18th birthday."""


class StayingPutNotAtLeavingCare(RuleBroken):
    """Staying Put starts on the day the period of care ends, in the placement then current."""

    learned_from = ("casefile",)


class StayingPutAlreadyRecorded(RuleBroken):
    """A young person has one Staying Put arrangement per period of care."""


class ProviderNotApplicable(RuleBroken):
    """SSDA903 rule 213: no PLACE_PROVIDER for temporary (T0-T4) or other (Z11-Z14) placements."""


class UrnNotApplicable(RuleBroken):
    """SSDA903 rule 222: no Ofsted URN for P1, P3, R1, R2, R5, T0-T4 or Z11-Z14 placements."""


class TemporaryPlacementNotAllowed(RuleBroken):
    """SSDA903 rules 380, 381: a temporary placement sits between two others in one period.

    A period of care cannot start (380) or end (381) with a temporary placement:
    a child enters and leaves a temporary placement only by a move.
    """


class CarersRequired(RuleBroken):
    """The carers (`carer_id`) must be named where a stability count depends on them.

    DfE counts placements with carers: a change of placement with the same
    carers (SSDA903 reason for new episode T/U) is not a new placement, a
    change to new carers is. So a move, or a placement after another in the
    same period of care, names its carers, and so must the placement it is
    compared with (docs/adr/0002-placement-stability-measures.md).
    """


class TemporaryPlacementTooLong(RuleBroken):
    """SSDA903 rule 375: "Hospitalisation coded as a temporary placement exceeds six weeks."

    lac_validator: a T1 episode is an error when DEC > DECOM + 42 days.
    """


class TooManyCarerHolidayPlacements(RuleBroken):
    """SSDA903 rule 377: "Only two temporary placements coded as being due to holiday of
    usual foster carer(s) are allowed in any 12-month period" (PLACE T3)."""


class NotReturnedToUsualPlacement(RuleBroken):
    """SSDA903 rule 383: "A child in a temporary placement must subsequently return to
    his/her normal placement": after a T0-T4 episode, the next has the PLACE and PL_POST
    of the one before it (lac2025_26)."""


class AdoptiveCarersMismatch(RuleBroken):
    """PLACE A3/A5 mean "with current foster carer(s)", A4/A6 "not with current foster carer(s)"."""


class ReasonForChangeRequired(RuleBroken):
    """SSDA903 rule 225: a change of placement records why (REASON_PLACE_CHANGE)."""


class ReasonForChangeNotApplicable(RuleBroken):
    """SSDA903 rule 226: moves into or out of a temporary placement (T0-T4) carry no reason."""


class DateInFuture(RuleBroken):
    """A placement fact dated after today: facts are recorded once they happen."""
