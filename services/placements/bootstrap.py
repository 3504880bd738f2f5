"""The placements service's parts; `shared.service_lifecycle` starts, checks and stops them.

Read models: `CarePeriods` and `CasefileGrants` (casefile's integration
events), `PlacementSpans` (this service's own events) and `SchoolMoves` (the
education service's).
The application learns each child's periods of care from `CarePeriods`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI

from services.placements.adapters.integration_events import translate
from services.placements.api import ROUTERS
from services.placements.api.relationships import AllocationRelationships, PublishedGrants
from services.placements.application import Placements
from services.placements.projections import (
    CarePeriods,
    CasefileGrants,
    PlacementSpans,
    ReadModels,
    SchoolMoves,
)
from services.placements.projections.school_moves import education_source, read_statement
from services.placements.settings import PlacementsSettings
from shared.auth.tokens import TokenVerifier
from shared.projections.runner import Projection, Source
from shared.service_application import ServiceApplication
from shared.service_lifecycle import ServiceParts, Started
from shared.service_lifecycle import build_app as build_service_app


def routers() -> Sequence[APIRouter]:
    return ROUTERS


def school_moves() -> SchoolMoves:
    """The school-moves read model, from the education service's `SchoolMovesStated` (ADR 0021)."""
    return SchoolMoves(sources=[education_source()], read_move=read_statement)


def projections(source: Source, settings: PlacementsSettings) -> Sequence[Projection]:
    """The service's read models, in the order they are set up."""
    return [CarePeriods(), PlacementSpans(source), school_moves(), CasefileGrants()]


def reads(started: Started[PlacementsSettings]) -> ReadModels:
    # Without a source, school moves are unknown (null with a reason), never zero.
    return ReadModels(started.pool, school_moves_connected=school_moves().connected)


def relationships(
    started: Started[PlacementsSettings], read_models: ReadModels
) -> AllocationRelationships:
    return AllocationRelationships(read_models, catch_up=lambda: started.catch_up(CarePeriods.name))


def break_glass(started: Started[PlacementsSettings], read_models: ReadModels) -> PublishedGrants:
    return PublishedGrants(read_models, catch_up=lambda: started.catch_up(CasefileGrants.name))


def wire(application: ServiceApplication[Any], read_models: ReadModels) -> None:
    assert isinstance(application, Placements)
    application.periods_of_care = read_models.periods_of_care_of


PARTS = ServiceParts(
    title="Belonging placements",
    settings=PlacementsSettings,
    application=Placements,
    routers=routers,
    projections=projections,
    reads=reads,
    relationships=relationships,
    translate=translate,
    wire=wire,
    break_glass=break_glass,
)


def build_app(
    settings: PlacementsSettings | None = None, *, token_verifier: TokenVerifier | None = None
) -> FastAPI:
    return build_service_app(PARTS, settings, token_verifier=token_verifier)


def replayable_projections(settings: PlacementsSettings | None = None) -> list[Projection]:
    """The read models `belonging replay` can rebuild."""
    return PARTS.replayable_projections(settings)
