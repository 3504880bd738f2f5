"""The education service's parts; `shared.service_lifecycle` starts, checks and stops them.

Read models: `CasefileFacts` and `CasefileGrants` (casefile's integration
events, as every service learns them), `PupilNumbers` (UPN digests, for the
feeds) and `EducationFacts` (this service's own events, for status on any
date). The application learns whether casefile registered a child from
`CasefileFacts` and takes the school calendar from the settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI

from services.education.adapters.integration_events import translate
from services.education.api import ROUTERS
from services.education.api import relationships as rel
from services.education.application import Education
from services.education.feeds import DDL as FEEDS_DDL
from services.education.projections import (
    CASEFILE,
    GRANTS,
    EducationFacts,
    PupilNumbers,
    ReadModels,
    casefile_facts,
    casefile_grants,
)
from services.education.projections.facts import SCHEMA as FACTS
from services.education.settings import EducationSettings
from shared.auth.tokens import TokenVerifier
from shared.casefile_facts import AllocationRelationships, PublishedGrants
from shared.projections.runner import Projection, Source
from shared.service_application import ServiceApplication
from shared.service_lifecycle import ServiceParts, Started
from shared.service_lifecycle import build_app as build_service_app


def routers() -> Sequence[APIRouter]:
    return ROUTERS


def projections(source: Source, settings: EducationSettings) -> Sequence[Projection]:
    return [casefile_facts(), casefile_grants(), PupilNumbers(), EducationFacts(source)]


def reads(started: Started[EducationSettings]) -> ReadModels:
    with started.pool.connection() as conn:
        conn.execute(FEEDS_DDL)  # the feeds' progress and row outcomes (not a projection)
    return ReadModels(
        started.pool, started.settings.school_calendar, started.settings.pep_timescales()
    )


def relationships(
    started: Started[EducationSettings], read_models: ReadModels
) -> AllocationRelationships:
    def catch_up() -> None:
        started.catch_up(CASEFILE)
        started.catch_up(FACTS)  # a designated teacher named a moment ago

    return rel.relationships(read_models, catch_up=catch_up)


def break_glass(started: Started[EducationSettings], read_models: ReadModels) -> PublishedGrants:
    return rel.grants(read_models, catch_up=lambda: started.catch_up(GRANTS))


def wire(application: ServiceApplication[Any], read_models: ReadModels) -> None:
    assert isinstance(application, Education)
    application.calendar = read_models.calendar
    application.registered = read_models.date_of_birth


PARTS = ServiceParts(
    title="Belonging education",
    settings=EducationSettings,
    application=Education,
    routers=routers,
    projections=projections,
    reads=reads,
    relationships=relationships,
    translate=translate,
    wire=wire,
    break_glass=break_glass,
    streamed_paths=("/v1/feeds/",),
)


def build_app(
    settings: EducationSettings | None = None, *, token_verifier: TokenVerifier | None = None
) -> FastAPI:
    return build_service_app(PARTS, settings, token_verifier=token_verifier)


def replayable_projections(settings: EducationSettings | None = None) -> list[Projection]:
    """The read models `belonging replay` can rebuild."""
    return PARTS.replayable_projections(settings)
