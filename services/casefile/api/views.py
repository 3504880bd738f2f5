"""The child's own views and wishes, recorded against any part of the record.

Kept in the child's words: the only free text of substance in the record, so it
never leaves the service in an integration event.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import Field, StringConstraints

from services.casefile.api.commands import derived_id, execute
from services.casefile.api.dependencies import Api, IdempotencyKey, IfMatch
from services.casefile.api.models import CASE_RESPONSES, Command, CommandResult, code
from services.casefile.api.policy import allowed
from services.casefile.domain.values import ViewsSubject
from shared.auth.tokens import Principal

router = APIRouter(tags=["views and wishes"], responses=CASE_RESPONSES)


class RecordViewsAndWishes(Command):
    views_id: UUID | None = Field(default=None, description="Default: derived from the key")
    effective_date: date
    views: Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
    about: str = code(
        {s.value: s.name for s in ViewsSubject},
        "What the views are about",
        default=ViewsSubject.CASE.value,
    )
    about_id: UUID | None = Field(default=None, description="The review, visit, ... they are about")


@router.post("/children/{child_id}/views-and-wishes", status_code=201, response_model=CommandResult)
def record_views_and_wishes(
    child_id: UUID,
    body: RecordViewsAndWishes,
    request: Request,
    api: Api,
    key: IdempotencyKey,
    expected: IfMatch,
    principal: Principal = Depends(allowed("views.record")),
) -> JSONResponse:
    views_id = body.views_id or derived_id(child_id, principal, key, "views")

    def run() -> CommandResult:
        version = api.casefile.record_views_and_wishes(
            child_id,
            views_id=views_id,
            effective_date=body.effective_date,
            views=body.views,
            about=body.about,
            about_id=body.about_id,
            expected_version=expected,
        )
        return CommandResult(child_id=child_id, version=version, id=views_id)

    return execute(api, request, principal, key, body, run, status_code=201)
