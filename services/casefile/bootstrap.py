"""The casefile service's parts; `shared.service_lifecycle` starts, checks and stops them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI

from services.casefile.adapters.event_history import EventHistory
from services.casefile.adapters.health_facts import HealthFacts
from services.casefile.adapters.integration_events import translate
from services.casefile.adapters.placements_facts import PlacementsFacts
from services.casefile.api import routers
from services.casefile.api.break_glass import RecordedGrants
from services.casefile.api.children import CasefileReads
from services.casefile.api.policy import UNRELATED_READERS
from services.casefile.application import Casefile
from services.casefile.projections.break_glass import BreakGlassAlerts, BreakGlassProjection
from services.casefile.projections.case_team import CaseTeam, CaseTeamProjection
from services.casefile.projections.children import ChildrenRegister, ChildrenRegisterProjection
from services.casefile.projections.other_services import OtherServices, OtherServicesProjection
from services.casefile.settings import CasefileSettings
from shared.auth.tokens import TokenVerifier
from shared.projections.runner import Projection, Source
from shared.service_lifecycle import ServiceParts, Started
from shared.service_lifecycle import build_app as build_service_app


def projections(source: Source, settings: CasefileSettings) -> Sequence[Projection]:
    return [
        CaseTeamProjection(source),
        ChildrenRegisterProjection(source),
        BreakGlassProjection(source),
        OtherServicesProjection(),
    ]


def reads(started: Started[CasefileSettings]) -> CasefileReads:
    return CasefileReads(
        history=EventHistory(
            started.application.factory,
            started.application.access_logs.factory,
            getattr(started.application.mapper, "keyring", None),
        ),
        register=ChildrenRegister(started.pool),
        other_services=OtherServices(started.pool),
        break_glass=BreakGlassAlerts(
            started.pool, catch_up=lambda: started.catch_up(BreakGlassProjection.name)
        ),
    )


def relationships(started: Started[CasefileSettings], reads: CasefileReads) -> CaseTeam:
    return CaseTeam(
        started.pool,
        unrelated_readers=UNRELATED_READERS,
        catch_up=lambda: started.catch_up(CaseTeamProjection.name),
    )


def break_glass(started: Started[CasefileSettings], reads: CasefileReads) -> RecordedGrants:
    application = started.application
    assert isinstance(application, Casefile)
    return RecordedGrants(application, started.settings.break_glass_duration)


def followers(application: Any) -> Sequence[Projection]:
    """What casefile records from others: placed for adoption, health assessments done."""
    return [PlacementsFacts(application), HealthFacts(application)]


PARTS = ServiceParts(
    title="Belonging casefile",
    settings=CasefileSettings,
    application=Casefile,
    routers=routers,
    projections=projections,
    reads=reads,
    relationships=relationships,
    translate=translate,
    break_glass=break_glass,
    followers=followers,
)


def build_app(
    settings: CasefileSettings | None = None, *, token_verifier: TokenVerifier | None = None
) -> FastAPI:
    return build_service_app(PARTS, settings, token_verifier=token_verifier)


def replayable_projections(settings: CasefileSettings | None = None) -> list[Projection]:
    """Casefile's read models, for `belonging replay`."""
    return PARTS.replayable_projections(settings)
