"""The health record's command endpoints: a route entry per command (shared.api.command_routes)."""

from __future__ import annotations

from services.health.api.policy import POLICY, RECORD
from services.health.domain import commands as c
from shared.api.command_routes import CommandRoute, command_router
from shared.commands import Command

HEALTH = "/children/{child_id}/health"
_RECORD = "/v1/children/{child_id}/health"


def _route(path: str, command: type[Command], summary: str, tag: str) -> CommandRoute:
    return CommandRoute(
        f"{HEALTH}/{path}", command, RECORD, summary, status_code=201, location=_RECORD, tag=tag
    )


ROUTES = (
    _route(
        "initial-assessment-requests",
        c.RequestInitialHealthAssessment,
        "Record that the initial health assessment was requested",
        "assessments",
    ),
    _route(
        "initial-assessments",
        c.RecordInitialHealthAssessment,
        "Record the initial health assessment (one per period of care)",
        "assessments",
    ),
    _route(
        "review-assessments",
        c.RecordReviewHealthAssessment,
        "Record a review health assessment (not before the initial one)",
        "assessments",
    ),
    _route("dental-checks", c.RecordDentalCheck, "Record a dental check", "checks"),
    _route(
        "development-checks",
        c.RecordDevelopmentCheck,
        "Record a development check of a child under 5",
        "checks",
    ),
    _route(
        "immunisations",
        c.RecordImmunisationStatus,
        "Record whether immunisations were up to date when checked",
        "checks",
    ),
    _route("sdqs", c.RecordSdq, "Record an SDQ: score 0-40, or the SSDA903 reason", "sdq"),
    _route(
        "substance-misuse",
        c.RecordSubstanceMisuse,
        "Record substance misuse identified and any intervention offered or received",
        "checks",
    ),
    _route(
        "lead-professional",
        c.NameLeadHealthProfessional,
        "Name the child's lead health professional",
        "health plan",
    ),
    _route(
        "plan/agreements",
        c.AgreeHealthPlan,
        "Record that the health plan was agreed",
        "health plan",
    ),
    _route(
        "plan/reviews",
        c.ReviewHealthPlan,
        "Record that the health plan was reviewed",
        "health plan",
    ),
    CommandRoute(
        f"{HEALTH}/entries/{{entry_id}}/void",
        c.VoidEntry,
        RECORD,
        "Take an entry recorded in error out of the record (a correction; history keeps it)",
        result_id="entry_id",
        tag="corrections",
    ),
)

router = command_router(ROUTES, POLICY)
