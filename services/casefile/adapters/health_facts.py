"""What casefile learns from health: the days health assessments were done.

Health owns the child's health record (issue #20); casefile's case summary
shows when the next health assessment is due, so it follows health's
`assessment.completed.v1` (the date and whether initial or review: no outcome,
no notes) and `entry.voided.v1` (a correction there withdraws the assessment
here), as the health service (shared/followers.py). Casefile has no endpoint
for assessments of its own: one fact, one owner.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from services.casefile.domain.commands import RecordHealthAssessment, WithdrawHealthAssessment
from shared.commands import Command
from shared.contracts import health as contract
from shared.contracts.base import IntegrationEvent
from shared.followers import Follower


class HealthFacts(Follower):
    """Health's completed assessments (and their corrections), into the case summary's dates."""

    name = "casefile_health_facts"
    owner: ClassVar[str] = contract.SERVICE

    def commands(self, event: IntegrationEvent) -> Sequence[Command]:
        if isinstance(event, contract.HealthAssessmentCompleted):
            return [
                RecordHealthAssessment.model_validate(
                    {
                        "effective_date": event.assessment_date.isoformat(),
                        "kind": event.assessment,
                        "entry_id": event.entry_id,
                    }
                )
            ]
        if isinstance(event, contract.HealthEntryVoided):
            return [WithdrawHealthAssessment(entry_id=event.entry_id)]
        return []
