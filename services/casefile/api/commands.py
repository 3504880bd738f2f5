"""The cycle every write goes through: once per Idempotency-Key, answered with an ETag.

An endpoint validates and authorises (FastAPI dependencies), then hands
`execute` one call to the application. The first request with a key runs it
and its response is stored; a retry with the same key gets the stored
response and records nothing (`shared.api.idempotency`). Ids of things a
command creates default to one derived from the key, so even a retry whose
stored response was lost names the same thing and the domain records it once.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import NAMESPACE_URL, UUID, uuid5

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, JsonValue

from services.casefile.api.dependencies import CasefileApi
from services.casefile.api.models import CommandResult
from shared.api.concurrency import etag
from shared.api.idempotency import idempotent, request_hash
from shared.auth.tokens import Principal

_IDS = uuid5(NAMESPACE_URL, "https://belonging.example/casefile/command-ids")


def derived_id(child_id: UUID, principal: Principal, key: str, kind: str) -> UUID:
    """The id a command creates when the caller names none: stable across retries."""
    return uuid5(_IDS, f"{child_id}/{kind}/{principal.user_id}/{key}")


def execute(
    api: CasefileApi,
    request: Request,
    principal: Principal,
    key: str,
    body: BaseModel | None,
    run: Callable[[], CommandResult],
    *,
    status_code: int = 200,
    location: str | None = None,
) -> JSONResponse:
    """Run `run` once per (key, principal) and answer with its result and ETag."""
    fingerprint = request_hash(request.method, request.url.path, body)

    def work() -> tuple[int, JsonValue]:
        result: dict[str, JsonValue] = run().model_dump(mode="json")
        return status_code, result

    status, payload = idempotent(api.idempotency, key, principal.user_id, fingerprint, work)
    result = CommandResult.model_validate(payload)
    headers = {"ETag": etag(result.version)}
    if location is not None and status == 201:
        headers["Location"] = location
    return JSONResponse(payload, status_code=status, headers=headers)
