"""Schools' attendance and exclusions feeds: CSV or JSON, streamed, matched by UPN, row by row.

An upload is spooled to a temporary file as it arrives (never held in memory
whole) while its size is counted and its UTF-8 checked; then its structure is
checked in one streaming pass (the CSV header, or that the JSON is an array of
objects) and its rows counted. A bad encoding, header or structure refuses the
whole file with a clear message, and nothing is recorded. Otherwise the feed
is accepted (202) and its rows are recorded in the background, a chunk at a
time, with progress and each row's outcome kept in PostgreSQL
(`education_feeds`), where `GET /v1/feeds/{id}` and `/rows` read them.

Each row names the pupil by UPN (check letter validated) and the school by
URN. The UPN is digested (`shared.contracts.pupil_numbers.upn_digest`) and
matched against the digests casefile published; the row is then one command
(`RecordAttendance`, `RecordExclusion`) through the one command cycle, so a
row already in the record records nothing ("unchanged": a re-sent feed
records nothing twice) and other figures for the same period or exclusion are
recorded as a correction.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO, Any, Literal
from uuid import UUID

from psycopg import Connection
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, ConfigDict, ValidationError

from services.education.domain import commands as c
from shared.commands import Command
from shared.contracts.pupil_numbers import upn_digest
from shared.domain_errors import NotFound, RuleBroken
from shared.identifiers import validate_upn
from shared.observability.logs import get_logger
from shared.service_application import ServiceApplication

log = get_logger(__name__)

Kind = Literal["attendance", "exclusions"]
Format = Literal["csv", "json"]
SCHEMA = "education_feeds"
#: Rows matched and recorded together; progress is saved after each chunk.
CHUNK = 500

COLUMNS: dict[str, tuple[str, ...]] = {
    "attendance": (
        "upn",
        "urn",
        "period_start",
        "period_end",
        "sessions_possible",
        "sessions_attended",
        "authorised_absence",
    ),
    "exclusions": ("upn", "urn", "kind", "start_date", "days", "reason"),
}
OPTIONAL: dict[str, frozenset[str]] = {"attendance": frozenset(), "exclusions": frozenset({"days"})}

DDL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.feeds (
    feed_id uuid PRIMARY KEY,
    kind text NOT NULL,
    format text NOT NULL,
    uploaded_by text NOT NULL,
    sha256 text NOT NULL,
    status text NOT NULL,
    rows_total integer NOT NULL,
    rows_done integer NOT NULL DEFAULT 0,
    recorded integer NOT NULL DEFAULT 0,
    corrected integer NOT NULL DEFAULT 0,
    unchanged integer NOT NULL DEFAULT 0,
    refused integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE TABLE IF NOT EXISTS {SCHEMA}.feed_rows (
    feed_id uuid NOT NULL,
    row_number integer NOT NULL,
    outcome text NOT NULL,
    detail text,
    PRIMARY KEY (feed_id, row_number)
);
"""


class FeedRefused(Exception):
    """The whole file is refused: nothing recorded. `field` says where (body, header)."""

    def __init__(self, message: str, field: str = "body") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# ------------------------------------------------------------------ rows


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    upn: str
    urn: str

    def command(self) -> Command:
        raise NotImplementedError


class AttendanceRow(_Row):
    period_start: date
    period_end: date
    sessions_possible: int
    sessions_attended: int
    authorised_absence: int

    def command(self) -> Command:
        return c.RecordAttendance(**self.model_dump(exclude={"upn"}))


class ExclusionRow(_Row):
    kind: str
    start_date: date
    days: float | None = None
    reason: str

    def command(self) -> Command:
        data = self.model_dump(exclude={"upn", "start_date"})
        return c.RecordExclusion(**data, effective_date=self.start_date)


ROW_MODELS: dict[str, type[_Row]] = {"attendance": AttendanceRow, "exclusions": ExclusionRow}


# ------------------------------------------------------------------ spooling


@dataclass
class Spooled:
    file: IO[bytes]
    sha256: str
    size: int


def spooler(max_bytes: int) -> tuple[IO[bytes], Any]:
    """A temporary file and a writer of chunks that checks size and UTF-8 as they come."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the feed's processor
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    digest = hashlib.sha256()
    seen = 0

    def write(chunk: bytes, final: bool = False) -> Spooled | None:
        nonlocal seen
        seen += len(chunk)
        if seen > max_bytes:
            raise FeedRefused(f"the file is larger than {max_bytes} bytes", "body")
        try:
            decoder.decode(chunk, final)
        except UnicodeDecodeError as error:
            raise FeedRefused(
                f"the file is not UTF-8 (a byte that is not UTF-8 near byte "
                f"{seen - len(chunk) + error.start}): save it as UTF-8 and send it again",
                "body",
            ) from None
        digest.update(chunk)
        file.write(chunk)
        if final:
            file.seek(0)
            return Spooled(file, digest.hexdigest(), seen)
        return None

    return file, write


def _text(file: IO[bytes]) -> io.TextIOWrapper:
    file.seek(0)
    return io.TextIOWrapper(file, encoding="utf-8-sig", newline="")  # a BOM is allowed


# ------------------------------------------------------------------ reading


def _csv_rows(file: IO[bytes], kind: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """(row number, fields) for each data row; a string instead of fields when unreadable."""
    text = _text(file)
    try:
        reader = csv.reader(text, strict=True)
        header = next(reader, None)
        _check_header(header, kind)
        assert header is not None
        names = [h.strip().lower() for h in header]
        for number, values in enumerate(reader, start=1):
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(names):
                yield number, f"{len(values)} fields where the header has {len(names)}"
                continue
            yield (
                number,
                {
                    n: (v if v.strip() or n not in OPTIONAL[kind] else None)
                    for n, v in zip(names, values, strict=True)
                },
            )
    except csv.Error as error:
        raise FeedRefused(f"the CSV cannot be read: {error}", "body") from None
    finally:
        text.detach()


def _check_header(header: list[str] | None, kind: str) -> None:
    if header is None:
        raise FeedRefused("the file is empty: a CSV starts with its header row", "header")
    names = [h.strip().lower() for h in header]
    wanted = COLUMNS[kind]
    missing = [n for n in wanted if n not in names and n not in OPTIONAL[kind]]
    unknown = [n for n in names if n not in wanted]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if missing or unknown or repeated:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown {', '.join(unknown)}")
        if repeated:
            parts.append(f"repeated {', '.join(repeated)}")
        raise FeedRefused(
            f"the header row is not a {kind} feed's ({'; '.join(parts)}); expected the columns "
            f"{', '.join(wanted)}",
            "header",
        )


def _json_rows(file: IO[bytes], kind: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """Each element of a JSON array, decoded one at a time from the file."""
    text = _text(file)
    decoder = json.JSONDecoder()
    buffer, position, number, ended = "", 0, 0, False

    def fill() -> bool:
        nonlocal buffer, position
        chunk = text.read(64 * 1024)
        buffer, position = buffer[position:] + chunk, 0
        return bool(chunk)

    def skip_space() -> None:
        nonlocal position
        while True:
            while position < len(buffer) and buffer[position] in " \t\r\n":
                position += 1
            if position < len(buffer) or not fill():
                return

    try:
        skip_space()
        if position >= len(buffer) or buffer[position] != "[":
            raise FeedRefused("a JSON feed is an array of row objects: it starts with [", "body")
        position += 1
        first = True
        while True:
            skip_space()
            if position < len(buffer) and buffer[position] == "]":
                position += 1
                ended = True
                break
            if not first:
                if position >= len(buffer) or buffer[position] != ",":
                    raise FeedRefused(f"the JSON array is malformed after row {number}", "body")
                position += 1
                skip_space()
            first = False
            while True:
                try:
                    value, end = decoder.raw_decode(buffer, position)
                    break
                except json.JSONDecodeError:
                    if not fill():
                        raise FeedRefused(
                            f"the JSON is malformed at row {number + 1}", "body"
                        ) from None
            position = end
            number += 1
            yield number, value if isinstance(value, dict) else "a row is a JSON object"
        skip_space()
        if not ended or position < len(buffer):
            raise FeedRefused("there is more after the JSON array", "body")
    finally:
        text.detach()


def read_rows(file: IO[bytes], kind: str, fmt: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    return _csv_rows(file, kind) if fmt == "csv" else _json_rows(file, kind)


def check_whole(file: IO[bytes], kind: str, fmt: str) -> int:
    """Refuse a file whose structure is broken anywhere (`FeedRefused`); else its row count."""
    count = sum(1 for _ in read_rows(file, kind, fmt))
    file.seek(0)
    return count


# ------------------------------------------------------------------ recording


@dataclass(frozen=True)
class Outcome:
    row: int
    outcome: Literal["recorded", "corrected", "unchanged", "refused"]
    detail: str | None = None


def _problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    return f"{where}: {first['msg']}"


class FeedProcessor:
    """Records one accepted feed's rows, a chunk at a time, saving progress and outcomes."""

    def __init__(
        self,
        application: ServiceApplication[Any],
        pool: ConnectionPool[Connection[Any]],
        child_by_digest: Any,
    ) -> None:
        self.application = application
        self.pool = pool
        self.child_by_digest = child_by_digest

    def run(self, feed_id: UUID, file: IO[bytes], kind: str, fmt: str) -> None:
        try:
            chunk: list[tuple[int, dict[str, Any] | str]] = []
            for item in read_rows(file, kind, fmt):
                chunk.append(item)
                if len(chunk) >= CHUNK:
                    self._save(feed_id, [self._one(kind, n, r) for n, r in chunk])
                    chunk = []
            self._save(feed_id, [self._one(kind, n, r) for n, r in chunk], done=True)
        except Exception:
            log.exception("feed_failed", feed_id=str(feed_id))
            with self.pool.connection() as conn:
                conn.execute(
                    f"UPDATE {SCHEMA}.feeds SET status = 'failed', finished_at = now() "
                    "WHERE feed_id = %s",
                    (feed_id,),
                )
        finally:
            file.close()

    def _one(self, kind: str, number: int, raw: dict[str, Any] | str) -> Outcome:
        if isinstance(raw, str):
            return Outcome(number, "refused", raw)
        try:
            row = ROW_MODELS[kind].model_validate(raw)
        except ValidationError as error:
            return Outcome(number, "refused", _problem(error))
        try:
            digest = upn_digest(validate_upn(row.upn))
        except ValueError as error:
            return Outcome(number, "refused", f"upn: {error}")
        child = self.child_by_digest(digest)
        if child is None:
            return Outcome(number, "refused", "upn: no child the council looks after has this UPN")
        try:
            command = row.command()
        except ValidationError as error:
            return Outcome(number, "refused", _problem(error))
        return self._execute(number, UUID(child), command)

    def _execute(self, number: int, child: UUID, command: Command) -> Outcome:
        application = self.application
        try:
            try:
                record = application.load(child)
                before, existed = int(record.version), _already_there(record, command)
            except NotFound:
                before, existed = 0, False
            after = application.execute(child, command)
        except (RuleBroken, NotFound) as error:
            where = f"{error.field}: " if error.field else ""
            return Outcome(number, "refused", f"{where}{error.message}")
        if after == before:
            return Outcome(number, "unchanged", "already recorded")
        if existed:
            return Outcome(number, "corrected", "other figures were recorded before: corrected")
        return Outcome(number, "recorded")

    def _save(self, feed_id: UUID, outcomes: list[Outcome], done: bool = False) -> None:
        counts = {k: sum(1 for o in outcomes if o.outcome == k) for k in
                  ("recorded", "corrected", "unchanged", "refused")}  # fmt: skip
        with self.pool.connection() as conn, conn.transaction():
            with conn.cursor() as cursor:
                cursor.executemany(
                    f"INSERT INTO {SCHEMA}.feed_rows (feed_id, row_number, outcome, detail) "
                    "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    [(feed_id, o.row, o.outcome, o.detail) for o in outcomes],
                )
            conn.execute(
                f"UPDATE {SCHEMA}.feeds SET rows_done = rows_done + %s, recorded = recorded + %s, "
                "corrected = corrected + %s, unchanged = unchanged + %s, refused = refused + %s, "
                "status = CASE WHEN %s THEN 'done' ELSE status END, "
                "finished_at = CASE WHEN %s THEN now() ELSE finished_at END WHERE feed_id = %s",
                (
                    len(outcomes),
                    counts["recorded"],
                    counts["corrected"],
                    counts["unchanged"],
                    counts["refused"],
                    done,
                    done,
                    feed_id,
                ),
            )


def _already_there(record: Any, command: Command) -> bool:
    """Whether the row's period (attendance) or exclusion is in the record already."""
    state = record.state
    if isinstance(command, c.RecordAttendance):
        return (command.urn, command.period_start, command.period_end) in state.attendance
    if isinstance(command, c.RecordExclusion):
        key = str(record.exclusion_id(command.urn, command.kind, command.effective_date))
        found = state.exclusions.get(key)
        return found is not None and not found.voided
    return False
