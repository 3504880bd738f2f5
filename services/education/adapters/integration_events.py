"""The education domain events out, as the published language (shared/contracts/education.py).

Minimised: every enrolment change restates the child's school moves in full
(`SchoolMovesStated`: no URN, no phase); PEPs as dates and counts (never the
child's views); exclusions without reason or school; key stage results.
Attendance, SEN, Pupil Premium Plus and designated teachers stay here: no
consumer needs them yet (docs/adr/0021-education-service.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from shared.contracts import education as contract
from shared.contracts.base import IntegrationEvent

_ENROLMENT = ("Enrolled", "EnrolmentAmended", "EnrolmentVoided")


def translate(domain_event: Any, headers: dict[str, str]) -> Sequence[IntegrationEvent]:
    """Zero or one integration event for one stored domain event."""
    e = domain_event
    kind = type(e).__name__
    child_id = str(getattr(e, "child_id", ""))
    if not child_id:
        return []  # the access log: reads are audited, not published
    if kind in _ENROLMENT:
        return [
            contract.SchoolMovesStated(
                child_id=child_id,
                effective_date=e.effective_date,
                school_record_from=e.school_record_from,
                mid_year_moves=list(e.mid_year_moves),
            )
        ]
    if kind == "PepInitiated":
        return [
            contract.PepInitiated(
                child_id=child_id,
                effective_date=e.effective_date,
                pep_id=e.pep_id,
                pep_date=e.effective_date,
            )
        ]
    if kind == "PepReviewHeld":
        return [
            contract.PepReviewed(
                child_id=child_id,
                effective_date=e.effective_date,
                pep_id=e.pep_id,
                review_id=e.review_id,
                review_date=e.effective_date,
                targets_set=e.targets_set,
                targets_met=e.targets_met,
            )
        ]
    if kind == "PepReviewVoided":
        return [
            contract.PepReviewVoided(
                child_id=child_id,
                effective_date=e.effective_date,
                pep_id=e.pep_id,
                review_id=e.review_id,
                reason=e.reason,
            )
        ]
    if kind in ("ExclusionRecorded", "ExclusionCorrected", "ExclusionVoided"):
        # A void restates the exclusion as voided (without its days).
        return [
            contract.ExclusionRecorded(
                child_id=child_id,
                effective_date=e.effective_date,
                exclusion_id=e.exclusion_id,
                kind=e.kind,
                start_date=e.effective_date,
                days=getattr(e, "days", None),
                voided=kind == "ExclusionVoided",
            )
        ]
    if kind == "KeyStageResultRecorded":
        return [
            contract.KeyStageResultRecorded(
                child_id=child_id,
                effective_date=e.effective_date,
                key_stage=e.key_stage,
                academic_year=e.academic_year,
                expected_standard=e.expected_standard,
                attainment8=e.attainment8,
                english_maths_grade_4=getattr(e, "english_maths_grade_4", None),
            )
        ]
    return []
