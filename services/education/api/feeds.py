"""Schools' feeds in: `POST /v1/feeds/attendance` and `/v1/feeds/exclusions` (CSV or JSON).

The upload is streamed to a temporary file, checked whole (encoding, header,
structure: a bad one is refused whole, 422, nothing recorded), then accepted
(202, `Location: /v1/feeds/{id}`) and recorded in the background. Follow it at
`GET /v1/feeds/{id}` (progress and counts) and read each row's outcome at
`GET /v1/feeds/{id}/rows` (recorded, corrected, unchanged, or refused and why).
The same `Idempotency-Key` and file answer the same feed again; sending the
file again under a new key records nothing twice (every row is `unchanged`).
See services/education/feeds.py.
"""

from __future__ import annotations

import contextvars
import threading
from typing import Annotated, Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.education.api.policy import FEEDS_READ, FEEDS_UPLOAD, POLICY
from services.education.api.runtime import Runtime
from services.education.feeds import (
    COLUMNS,
    OPTIONAL,
    SCHEMA,
    FeedProcessor,
    FeedRefused,
    check_whole,
    spooler,
)
from shared.api.idempotency import idempotency_key
from shared.api.problems import FieldError, Problem, ProblemError, problem_type
from shared.auth.dependencies import require
from shared.auth.roles import Role
from shared.auth.tokens import Principal

router = APIRouter(tags=["feeds"])
_FEEDS = uuid5(NAMESPACE_URL, "https://belonging.example/education-feeds")


class FeedOut(BaseModel):
    feed_id: UUID
    kind: str
    format: str
    status: Literal["processing", "done", "failed"]
    rows_total: int
    rows_done: int
    recorded: int
    corrected: int
    unchanged: int
    refused: int
    rows: str


class RowOut(BaseModel):
    row: int
    outcome: Literal["recorded", "corrected", "unchanged", "refused"]
    detail: str | None


class RowsOut(BaseModel):
    feed_id: UUID
    rows: list[RowOut]
    next: str | None


def _refused(error: FeedRefused) -> ProblemError:
    return ProblemError(
        422,
        type=problem_type("feed-refused"),
        title="The file is refused whole; nothing was recorded",
        detail=error.message,
        errors=[FieldError(field=error.field, message=error.message)],
    )


def _format(request: Request) -> str:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in ("text/csv", "application/csv"):
        return "csv"
    if media == "application/json":
        return "json"
    raise ProblemError(
        415,
        type=problem_type("unsupported-media-type"),
        detail="send the feed as text/csv or application/json (UTF-8)",
    )


def _feed(service: Any, feed_id: UUID) -> dict[str, Any] | None:
    with service.reads.pool.connection() as conn:
        row = conn.execute(
            f"SELECT feed_id, kind, format, status, rows_total, rows_done, recorded, corrected, "
            f"unchanged, refused, uploaded_by, sha256 FROM {SCHEMA}.feeds WHERE feed_id = %s",
            (feed_id,),
        ).fetchone()
    if row is None:
        return None
    names = ("feed_id", "kind", "format", "status", "rows_total", "rows_done", "recorded",
             "corrected", "unchanged", "refused", "uploaded_by", "sha256")  # fmt: skip
    return dict(zip(names, row, strict=True))


def _out(feed: dict[str, Any]) -> FeedOut:
    shown = {k: v for k, v in feed.items() if k not in ("uploaded_by", "sha256")}
    return FeedOut(**shown, rows=f"/v1/feeds/{feed['feed_id']}/rows")


def _upload(kind: str) -> Any:
    async def upload(
        request: Request,
        principal: Annotated[Principal, Depends(require(FEEDS_UPLOAD, POLICY))],
        key: Annotated[str, Depends(idempotency_key)],
        service: Runtime,
    ) -> JSONResponse:
        fmt = _format(request)
        settings = request.app.state.settings
        file, write = spooler(settings.feed_max_bytes)
        try:
            async for chunk in request.stream():
                if chunk:
                    write(chunk)
            spooled = write(b"", final=True)
            assert spooled is not None
            rows_total = await run_in_threadpool(check_whole, file, kind, fmt)
        except FeedRefused as error:
            file.close()
            raise _refused(error) from None
        except BaseException:
            file.close()
            raise
        feed_id = uuid5(_FEEDS, f"{principal.user_id}/{key}")
        known = await run_in_threadpool(_feed, service, feed_id)
        if known is not None:
            file.close()
            if known["sha256"] != spooled.sha256 or known["kind"] != kind:
                raise ProblemError(
                    422,
                    type=problem_type("idempotency-key-reused"),
                    detail="this Idempotency-Key was used for another feed",
                )
            return _accepted(known)

        def insert() -> dict[str, Any] | None:
            with service.reads.pool.connection() as conn:
                conn.execute(
                    f"INSERT INTO {SCHEMA}.feeds (feed_id, kind, format, uploaded_by, sha256, "
                    "status, rows_total) VALUES (%s, %s, %s, %s, %s, 'processing', %s) "
                    "ON CONFLICT DO NOTHING",
                    (feed_id, kind, fmt, principal.user_id, spooled.sha256, rows_total),
                )
            return _feed(service, feed_id)

        feed = await run_in_threadpool(insert)
        assert feed is not None
        processor = FeedProcessor(
            service.application, service.reads.pool, service.reads.child_by_upn_digest
        )
        # The rows are recorded as this request's caller (the audit envelope's actor).
        context = contextvars.copy_context()
        threading.Thread(
            target=context.run,
            args=(processor.run, feed_id, spooled.file, kind, fmt),
            name=f"feed-{feed_id}",
            daemon=True,
        ).start()
        return _accepted(feed)

    upload.__name__ = f"upload_{kind}_feed"
    return upload


def _accepted(feed: dict[str, Any]) -> JSONResponse:
    location = f"/v1/feeds/{feed['feed_id']}"
    return JSONResponse(
        _out(feed).model_dump(mode="json"), status_code=202, headers={"Location": location}
    )


# A CSV field: unquoted (not opening with a quote), or quoted with quotes doubled.
_FIELD = r'(?:[^",\r\n][^,\r\n]*|"(?:[^"]|"")*")?'
_EOL = r"\r?\n"


def _upload_doc(kind: str) -> dict[str, Any]:
    """The upload's body as the document gives it: what `check_whole` takes whole.

    The CSV pattern gives the header in its canonical order (the server also takes
    the columns in any order and case) and rows of well-formed fields; a row's
    values are checked row by row once the file is accepted, so any text is valid.
    """
    optional = OPTIONAL[kind]
    header = "".join(
        (f"(?:,{name})?" if name in optional else ("" if i == 0 else ",") + name)
        for i, name in enumerate(COLUMNS[kind])
    )
    row = f"{_FIELD}(?:,{_FIELD})*"
    return {
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {
                        "type": "string",
                        "description": "UTF-8 CSV (a BOM is allowed): the header row, then "
                        "a row a record; rows whose values are wrong are refused one by one",
                        "pattern": rf"^\uFEFF?{header}(?:{_EOL}{row})*{_EOL}?$",
                    }
                },
                "application/json": {
                    "schema": {
                        "type": "array",
                        "description": "One object a row, with the CSV's columns as keys; "
                        "an element that is not such an object is refused on its own",
                        "items": {},
                    }
                },
            },
        }
    }


for _kind in ("attendance", "exclusions"):
    router.add_api_route(
        f"/feeds/{_kind}",
        _upload(_kind),
        methods=["POST"],
        status_code=202,
        response_model=FeedOut,
        responses={
            413: {"model": Problem, "description": "Larger than EDUCATION_FEED_MAX_BYTES"},
            415: {"model": Problem, "description": "Not text/csv or application/json"},
            422: {
                "model": Problem,
                "description": "Bad encoding, header or structure: refused whole, nothing recorded",
            },
        },
        summary=f"A school's {_kind} feed: CSV (header {', '.join(COLUMNS[_kind])}) or a JSON "
        "array of such objects; rows keyed by UPN and school URN, recorded in the background",
        openapi_extra=_upload_doc(_kind),
    )


def _visible(feed: dict[str, Any] | None, principal: Principal, feed_id: UUID) -> dict[str, Any]:
    if feed is None or (
        feed["uploaded_by"] != principal.user_id and Role.VIRTUAL_SCHOOL not in principal.roles
    ):
        raise ProblemError(404, detail=f"no feed {feed_id} of yours")
    return feed


FeedId = Annotated[UUID, Path()]
Reader = Annotated[Principal, Depends(require(FEEDS_READ, POLICY))]


_NO_FEED: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "No such feed uploaded by the caller"}
}


@router.get(
    "/feeds/{feed_id}",
    response_model=FeedOut,
    responses=_NO_FEED,
    summary="A feed's progress and counts",
)
def progress(feed_id: FeedId, principal: Reader, service: Runtime) -> FeedOut:
    return _out(_visible(_feed(service, feed_id), principal, feed_id))


@router.get(
    "/feeds/{feed_id}/rows",
    response_model=RowsOut,
    responses=_NO_FEED,
    summary="What was recorded and what was refused and why, row by row (paged)",
)
def rows(
    feed_id: FeedId,
    principal: Reader,
    service: Runtime,
    outcome: Annotated[
        Literal["recorded", "corrected", "unchanged", "refused"] | None, Query()
    ] = None,
    after: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> RowsOut:
    _visible(_feed(service, feed_id), principal, feed_id)
    with service.reads.pool.connection() as conn:
        found = conn.execute(
            f"SELECT row_number, outcome, detail FROM {SCHEMA}.feed_rows WHERE feed_id = %s "
            "AND row_number > %s AND (%s::text IS NULL OR outcome = %s) "
            "ORDER BY row_number LIMIT %s",
            (feed_id, after, outcome, outcome, limit),
        ).fetchall()
    page = [RowOut(row=n, outcome=o, detail=d) for n, o, d in found]
    more = None
    if len(page) == limit:
        more = f"/v1/feeds/{feed_id}/rows?after={page[-1].row}&limit={limit}"
        if outcome:
            more += f"&outcome={outcome}"
    return RowsOut(feed_id=feed_id, rows=page, next=more)
