"""Steps towards adoption, each on or after the one before (SSDA903 PlacedAdoption, AD1)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from services.casefile.api.commands import execute
from services.casefile.api.dependencies import Api, CasefileApi, IdempotencyKey, IfMatch
from services.casefile.api.models import CASE_RESPONSES, Command, CommandResult, code
from services.casefile.api.policy import allowed
from shared.auth.tokens import Principal
from shared.ssda903 import codes

router = APIRouter(tags=["adoption"], responses=CASE_RESPONSES)


class RecordMilestone(Command):
    effective_date: date


class ReverseDecision(Command):
    effective_date: date
    reason: str = code(codes.REASON_PLACED_CEASED, "SSDA903 REASON_PLACED_CEASED")


def _milestone(
    path: str, summary: str, command: Callable[[CasefileApi], Callable[..., int]]
) -> None:
    @router.post(
        f"/children/{{child_id}}/adoption/{path}",
        response_model=CommandResult,
        summary=summary,
        operation_id=f"record_adoption_{path.replace('-', '_')}",
    )
    def record(
        child_id: UUID,
        body: RecordMilestone,
        request: Request,
        api: Api,
        key: IdempotencyKey,
        expected: IfMatch,
        principal: Principal = Depends(allowed("adoption.record")),
    ) -> JSONResponse:
        def run() -> CommandResult:
            version = command(api)(
                child_id, effective_date=body.effective_date, expected_version=expected
            )
            return CommandResult(child_id=child_id, version=version)

        return execute(api, request, principal, key, body, run)


_milestone(
    "decision",
    "The agency decides the child should be placed for adoption",
    lambda api: api.casefile.record_adoption_decision,
)
_milestone(
    "placement-order",
    "A placement order is granted (ACA 2002 s.21)",
    lambda api: api.casefile.record_placement_order,
)
_milestone(
    "match", "The child is matched with adopters", lambda api: api.casefile.record_adoption_match
)
_milestone(
    "placed",
    "The child is placed with the prospective adopters",
    lambda api: api.casefile.record_placed_for_adoption,
)
_milestone("adopted", "An adoption order is granted", lambda api: api.casefile.record_adoption)


@router.post("/children/{child_id}/adoption/reversal", response_model=CommandResult)
def reverse_adoption_decision(
    child_id: UUID,
    body: ReverseDecision,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("adoption.record")),
) -> JSONResponse:
    def run() -> CommandResult:
        version = api.casefile.reverse_adoption_decision(
            child_id,
            effective_date=body.effective_date,
            reason=body.reason,
            expected_version=expected,
        )
        return CommandResult(child_id=child_id, version=version)

    return execute(api, request, principal, key, body, run)
