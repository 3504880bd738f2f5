"""Retention: the records past their end (reg. 50), and their erasure.

Only the records manager may list or erase, and reads no case: the list
names each child by ids and date of birth, what is needed to check the
council's own records before authorising. An erasure is recorded (who, when,
on what authority) and then carried out by destroying the record's keys in
every service (shared/erasure.py); the answer is the same however often it
is asked for.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.casefile.api.children import Runtime, _casefile
from services.casefile.api.policy import allowed
from services.casefile.projections.children import retention_candidates
from shared.access_log import record_accesses
from shared.api.command_routes import COMMAND_RESPONSES, answer_once
from shared.api.idempotency import idempotency_key
from shared.auth.tokens import Principal
from shared.commands import CommandResult
from shared.dates import Day, today
from shared.eventstore.keyring import KeyDestroyed
from shared.request_context import acting_as

router = APIRouter(tags=["retention"], responses=COMMAND_RESPONSES)

#: Records looked at for one page of the list, at most.
MAX_PAGE = 500


class DueRecord(BaseModel):
    child_id: UUID
    local_child_id: str
    date_of_birth: date
    retention_ended_on: date


class DuePage(BaseModel):
    on: date
    items: list[DueRecord]
    limit: int
    offset: int = Field(description="Of the candidates looked at; pass `next_offset` on")
    next_offset: int | None


class EraseRecord(BaseModel):
    """The authority for an erasure: the child, and why (a reference the council keeps)."""

    model_config = ConfigDict(extra="forbid")

    child_id: UUID
    reason: str = Field(min_length=1, max_length=500, pattern=r"\S")


@router.get("/retention/due", response_model=DuePage)
def records_due(
    runtime: Runtime,
    principal: Principal = Depends(allowed("retention.due")),
    on: Annotated[Day | None, Query(description="The day to judge on (default today)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> DuePage:
    """Records whose retention has ended on `on`: may be erased. Each listing is audited."""
    day = on or today()
    casefile = _casefile(runtime)
    candidates = retention_candidates(runtime.reads.register, day, limit, offset)
    due: list[DueRecord] = []
    for candidate in candidates:
        try:
            ends = casefile.retention_ends(UUID(candidate.child_id))
        except KeyDestroyed:
            continue  # erased, and its rows not yet removed
        if ends <= day:
            due.append(
                DueRecord(
                    child_id=UUID(candidate.child_id),
                    local_child_id=candidate.local_child_id,
                    date_of_birth=candidate.date_of_birth,
                    retention_ended_on=ends,
                )
            )
    record_accesses(casefile, [str(d.child_id) for d in due], "retention.due")
    more = len(candidates) == limit
    return DuePage(
        on=day, items=due, limit=limit, offset=offset, next_offset=offset + limit if more else None
    )


@router.post("/erasures", status_code=201, response_model=CommandResult)
def erase_record(
    body: EraseRecord,
    request: Request,
    runtime: Runtime,
    key: Annotated[str, Depends(idempotency_key)],
    principal: Principal = Depends(allowed("child.erase")),
) -> JSONResponse:
    """Erase a child's record whose retention has ended (422 before then).

    Recorded first, then every service destroys its keys of the child's
    records and removes the child from its read models. The record answers
    410 from then on.
    """
    casefile = _casefile(runtime)

    def work() -> CommandResult:
        with acting_as(child_id=str(body.child_id)):
            erasure = casefile.erase_child(body.child_id, body.reason)
        return CommandResult(child_id=body.child_id, version=erasure.version, id=erasure.id)

    return answer_once(
        runtime,
        request,
        principal,
        key,
        body,
        work,
        status_code=201,
    )
