"""The health service's parts; `shared.service_lifecycle` starts, checks and stops them.

Read models: `CasefileFacts` and `CasefileGrants` (what casefile published:
shared/casefile_facts.py) and `HealthEntries` (this service's own events).
The application learns each child's date of birth and periods of care from
`CasefileFacts`. See docs/adr/0020-health-service.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI

from services.health.adapters.integration_events import translate
from services.health.api import ROUTERS
from services.health.api.policy import HEALTH_ROLES
from services.health.application import Health
from services.health.projections import FACTS, GRANTS, HealthEntries, ReadModels
from services.health.settings import HealthSettings
from shared.auth.roles import Role
from shared.auth.tokens import TokenVerifier
from shared.casefile_facts import (
    AllocationRelationships,
    CasefileFacts,
    CasefileGrants,
    PublishedGrants,
)
from shared.projections.runner import Projection, Source
from shared.service_application import ServiceApplication
from shared.service_lifecycle import ServiceParts, Started
from shared.service_lifecycle import build_app as build_service_app


def routers() -> Sequence[APIRouter]:
    return ROUTERS


def projections(source: Source, settings: HealthSettings) -> Sequence[Projection]:
    """The service's read models, in the order they are set up."""
    return [CasefileFacts(FACTS), HealthEntries(source), CasefileGrants(GRANTS)]


def reads(started: Started[HealthSettings]) -> ReadModels:
    return ReadModels(started.pool, fhir_max_entries=started.settings.fhir_max_entries)


def relationships(
    started: Started[HealthSettings], read_models: ReadModels
) -> AllocationRelationships:
    def health_staff(user_id: str, role: str, child_id: str) -> bool:
        """The LAC health team acts for every child casefile told health of; another health
        practitioner for the children whose lead health professional they are."""
        if role not in HEALTH_ROLES or read_models.date_of_birth(child_id) is None:
            return False
        if role == Role.LAC_NURSE:
            return True
        return read_models.lead_health_professional(child_id) == user_id

    def catch_up() -> None:
        started.catch_up(FACTS)
        started.catch_up(HealthEntries.name)

    return AllocationRelationships(read_models, catch_up=catch_up, related_by_role=health_staff)


def break_glass(started: Started[HealthSettings], read_models: ReadModels) -> PublishedGrants:
    return PublishedGrants(read_models, catch_up=lambda: started.catch_up(GRANTS), service="Health")


def wire(application: ServiceApplication[Any], read_models: ReadModels) -> None:
    assert isinstance(application, Health)
    application.child_facts = read_models.child_facts


PARTS = ServiceParts(
    title="Belonging health",
    settings=HealthSettings,
    application=Health,
    routers=routers,
    projections=projections,
    reads=reads,
    relationships=relationships,
    translate=translate,
    wire=wire,
    break_glass=break_glass,
)


def build_app(
    settings: HealthSettings | None = None, *, token_verifier: TokenVerifier | None = None
) -> FastAPI:
    return build_service_app(PARTS, settings, token_verifier=token_verifier)


def replayable_projections(settings: HealthSettings | None = None) -> list[Projection]:
    """The read models `belonging replay` can rebuild."""
    return PARTS.replayable_projections(settings)
