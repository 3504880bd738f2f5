"""Break-glass in casefile: the grants `require()` honours, and the team managers' alerts.

`RecordedGrants` is casefile's `shared.auth.break_glass.BreakGlassGrants`: a
grant is an event of the child's `BreakGlass` record, read back from the event
store, so it is honoured at once, after a restart, and (once the relay has
published it) by placements. `GET /v1/break-glass-alerts` lists grants for the
manager of the child's team (auditors: every grant), each read of them
recorded as a read of the child's record; `POST .../{alert_id}/review` records
the manager's review. See docs/adr/0015-break-glass.md.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.casefile.api.children import Runtime
from services.casefile.api.policy import allowed
from services.casefile.application import Casefile
from services.casefile.domain.break_glass import BreakGlassGrant
from services.casefile.domain.errors import BreakGlassGrantNotFound
from services.casefile.projections.break_glass import AlertStatus, BreakGlassAlertRow
from shared.access_log import record_accesses
from shared.api.command_routes import COMMAND_RESPONSES, answer_once
from shared.api.idempotency import idempotency_key
from shared.auth.break_glass import Grant
from shared.auth.roles import Role
from shared.auth.tokens import Principal
from shared.commands import CommandResult, not_blank_in_document
from shared.request_context import acting_as


class RecordedGrants:
    """Break-glass grants recorded in casefile's event store, lasting `lasting` each."""

    def __init__(self, casefile: Casefile, lasting: timedelta) -> None:
        self.casefile = casefile
        self.lasting = lasting

    def latest(self, user_id: str, child_id: str) -> Grant | None:
        access = self.casefile.break_glass(UUID(child_id))
        granted = access.latest_of(user_id) if access is not None else None
        return None if granted is None else _grant(child_id, granted)

    def open(self, user_id: str, role: str, child_id: str, reason: str) -> Grant:
        # The grant's own audit envelope says it is break-glass, in the role granted.
        with acting_as(role=role, child_id=child_id, break_glass_reason=reason):
            granted = self.casefile.grant_break_glass(
                UUID(child_id), user_id=user_id, role=role, reason=reason, lasting=self.lasting
            )
        return _grant(child_id, granted)


def _grant(child_id: str, granted: BreakGlassGrant) -> Grant:
    return Grant(
        grant_id=str(granted.grant_id),
        user_id=granted.user_id,
        role=granted.role,
        child_id=child_id,
        granted_at=granted.granted_at,
        expires_at=granted.expires_at,
        reason=granted.reason,
    )


# --------------------------------------------------------------------------- the alerts

router = APIRouter(tags=["break-glass"])


class AlertReviewOut(BaseModel):
    reviewed_by: str
    reviewed_at: datetime
    note: str


class BreakGlassAlert(BaseModel):
    """One use of break-glass: who opened access to which child, why, when, until when."""

    alert_id: UUID = Field(description="The grant's id")
    child_id: UUID
    user_id: str = Field(description="Who was given access")
    role: str = Field(description="The role they act in under it")
    reason: str = Field(description="Why, as they gave it")
    team: str | None = Field(description="The child's team when access was given")
    granted_at: datetime
    expires_at: datetime
    review: AlertReviewOut | None = Field(description="The manager's review; null: still open")
    history: str = Field(description="What was read and recorded, with break-glass marked")


class BreakGlassAlertsPage(BaseModel):
    items: list[BreakGlassAlert]
    limit: int
    offset: int


class AlertReview(BaseModel):
    """The manager's review of one break-glass use."""

    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=not_blank_in_document
    )

    note: Annotated[str, StringConstraints(min_length=1, max_length=10_000)] = Field(
        description="What the manager found (e.g. justified, discussed with the worker)"
    )


def _alert(row: BreakGlassAlertRow) -> BreakGlassAlert:
    review = None
    if row.reviewed_by is not None and row.reviewed_at is not None:
        review = AlertReviewOut(
            reviewed_by=row.reviewed_by, reviewed_at=row.reviewed_at, note=row.review_note or ""
        )
    return BreakGlassAlert(
        alert_id=UUID(row.grant_id),
        child_id=UUID(row.child_id),
        user_id=row.user_id,
        role=row.role,
        reason=row.reason,
        team=row.team,
        granted_at=row.granted_at,
        expires_at=row.expires_at,
        review=review,
        history=f"/v1/children/{row.child_id}/history?include_reads=true",
    )


def _teams(principal: Principal) -> Collection[str] | None:
    """The teams whose alerts the caller sees (the token's); None: every team (auditors)."""
    if Role.AUDITOR in principal.roles:
        return None
    return principal.teams


@router.get("/break-glass-alerts", response_model=BreakGlassAlertsPage)
def list_alerts(
    runtime: Runtime,
    principal: Principal = Depends(allowed("break-glass.alerts.read")),
    status: AlertStatus = Query(
        default="open", description="open: not yet reviewed; reviewed; or all"
    ),
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=10_000_000),
) -> BreakGlassAlertsPage:
    """Break-glass uses on the caller's teams' children (auditors: all), newest first.

    Each alert names a child and a reason about them: listing is a read of
    each listed child's record, and recorded as one.
    """
    reads = runtime.reads
    rows = reads.break_glass.list(
        teams=_teams(principal), status=status, limit=limit, offset=offset
    )
    record_accesses(runtime.application, [row.child_id for row in rows], what="break-glass alerts")
    return BreakGlassAlertsPage(items=[_alert(row) for row in rows], limit=limit, offset=offset)


@router.post(
    "/break-glass-alerts/{alert_id}/review",
    response_model=CommandResult,
    responses=COMMAND_RESPONSES,
    summary="Record the manager's review of one break-glass use",
)
def review_alert(
    alert_id: Annotated[UUID, Path(description="The alert's id")],
    body: AlertReview,
    request: Request,
    runtime: Runtime,
    key: Annotated[str, Depends(idempotency_key)],
    principal: Principal = Depends(allowed("break-glass.alerts.review")),
) -> JSONResponse:
    """Once per alert, by a manager of the child's team, never by who used break-glass.

    Answers the child and the version of the child's break-glass record (not
    of the case record, which a review does not change).
    """
    casefile = runtime.application
    assert isinstance(casefile, Casefile)
    reads = runtime.reads

    def work() -> CommandResult:
        alert = reads.break_glass.find(str(alert_id), teams=_teams(principal))
        if alert is None:
            raise BreakGlassGrantNotFound(alert_id)
        child_id = UUID(alert.child_id)
        with acting_as(child_id=alert.child_id):
            version = casefile.review_break_glass(
                child_id, grant_id=alert_id, reviewer_id=principal.user_id, note=body.note
            )
        return CommandResult(child_id=child_id, version=version, id=alert_id)

    return answer_once(runtime, request, principal, key, body, work)
