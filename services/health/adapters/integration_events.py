"""The health domain events out, as the published language (shared/contracts/health.py).

`translate` is what the shared `IntegrationRelay` calls for each stored event.
Each recorded entry gives one integration event of its kind, minimised as the
contract says (no practitioner, no outcome, no note); a void gives
`entry.voided.v1`. The `Opened` event and the access log's reads give nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from services.health.domain import events
from services.health.domain.model import Kind
from shared.contracts import health as contract
from shared.contracts.base import IntegrationEvent

_Build = Callable[[str, str, Any, dict[str, Any]], IntegrationEvent]


def _common(child: str, entry: str, day: Any) -> dict[str, Any]:
    return {"child_id": child, "entry_id": entry, "effective_date": day}


_BY_KIND: dict[Kind, _Build] = {
    Kind.IHA_REQUESTED: lambda c, i, d, x: contract.InitialHealthAssessmentRequested(
        **_common(c, i, d), requested_date=d
    ),
    Kind.IHA: lambda c, i, d, x: contract.HealthAssessmentCompleted(
        **_common(c, i, d), assessment="initial", assessment_date=d
    ),
    Kind.RHA: lambda c, i, d, x: contract.HealthAssessmentCompleted(
        **_common(c, i, d), assessment="review", assessment_date=d
    ),
    Kind.DENTAL: lambda c, i, d, x: contract.DentalCheckRecorded(**_common(c, i, d), check_date=d),
    Kind.DEVELOPMENT: lambda c, i, d, x: contract.DevelopmentCheckRecorded(
        **_common(c, i, d), check_date=d
    ),
    Kind.IMMUNISATIONS: lambda c, i, d, x: contract.ImmunisationStatusRecorded(
        **_common(c, i, d), date_checked=d, up_to_date=bool(x["up_to_date"])
    ),
    Kind.SDQ: lambda c, i, d, x: contract.SdqRecorded(
        **_common(c, i, d), sdq_date=d, score=x.get("score"), reason=x.get("reason")
    ),
    Kind.SUBSTANCE_MISUSE: lambda c, i, d, x: contract.SubstanceMisuseRecorded(
        **_common(c, i, d),
        recorded_date=d,
        identified=bool(x["identified"]),
        intervention_offered=x.get("intervention_offered"),
        intervention_received=x.get("intervention_received"),
    ),
    Kind.LEAD_PROFESSIONAL: lambda c, i, d, x: contract.LeadHealthProfessionalNamed(
        **_common(c, i, d), professional_id=str(x["professional_id"])
    ),
    Kind.PLAN_AGREED: lambda c, i, d, x: contract.HealthPlanAgreed(
        **_common(c, i, d), agreed_date=d
    ),
    Kind.PLAN_REVIEWED: lambda c, i, d, x: contract.HealthPlanReviewed(
        **_common(c, i, d), reviewed_date=d
    ),
}


def translate(domain_event: Any, headers: dict[str, str]) -> Sequence[IntegrationEvent]:
    """Zero or one integration event for one stored domain event."""
    e = domain_event
    if isinstance(e, events.EntryRecorded):
        build = _BY_KIND[Kind(e.kind)]
        return [build(str(e.child_id), str(e.entry_id), e.effective_date, dict(e.details))]
    if isinstance(e, events.EntryVoided):
        return [
            contract.HealthEntryVoided(
                **_common(str(e.child_id), str(e.entry_id), e.effective_date), reason=e.reason
            )
        ]
    return []
