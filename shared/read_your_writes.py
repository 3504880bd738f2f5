"""Read-your-writes across services: a write's position, and waiting for it elsewhere.

A service whose relay publishes answers every write that produced integration
events with `Belonging-Position: <service>=<seq>`: the stream sequence of the
last stored domain event of that write that the relay publishes (its
`Belonging-Source-Sequence`). A request to another service may send it back
as `Belonging-Wait-For: <service>=<seq>[, <service>=<seq>...]`; that service
waits, at most `WAIT_SECONDS`, until every read model it keeps from
`<service>`'s integration stream has applied everything the relay published
from source sequences up to `<seq>`, then runs the request. Past the bound it
answers 503 with `Retry-After`, never a rule failure. Without the header, a
rule that failed on facts learnt from another service (`RuleBroken.
learned_from`) while this service's view of that service is known to be
behind its integration stream is a 503 with `Retry-After` too, not a 422.
See docs/adr/0019-read-your-writes.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Annotated, Any

import anyio.from_thread
import asyncpg
import structlog
from eventsourcing.persistence import Recording
from fastapi import Depends, Header, Request

from shared.api.problems import FieldError, ProblemError, problem_type
from shared.auth.dependencies import authenticated
from shared.auth.tokens import Principal
from shared.contracts.relay import (
    SOURCE_COUNT,
    SOURCE_INDEX,
    SOURCE_SEQUENCE,
    Translate,
    integration_stream,
)
from shared.domain_errors import RuleBroken
from shared.eventstore.reader import StoredMessage, StreamReader
from shared.projections.runner import Projection

log = structlog.get_logger(__name__)

POSITION_HEADER = "Belonging-Position"
WAIT_FOR_HEADER = "Belonging-Wait-For"
#: How long a request waits for the positions it names before answering 503.
WAIT_SECONDS = 5.0
#: What a client is told to wait before retrying when a view of another service is behind.
RETRY_AFTER = 1
#: How often a waiting request looks again.
POLL_SECONDS = 0.02

_INTEGRATION_PREFIX = "INTEGRATION_"
_POSITION = re.compile(r"^[ \t]*([a-z][a-z0-9_-]{0,62})[ \t]*=[ \t]*([1-9][0-9]{0,18})[ \t]*$")
#: `Belonging-Wait-For` as the OpenAPI document gives it: what `parse_positions` takes.
_ONE_POSITION = r"[ \t]*[a-z][a-z0-9_-]{0,62}[ \t]*=[ \t]*[1-9][0-9]{0,18}[ \t]*"
WAIT_FOR_PATTERN = f"^{_ONE_POSITION}(,{_ONE_POSITION}){{0,15}}$"

#: Documented on every write's success answer.
POSITION_HEADER_DOC: dict[str, Any] = {
    "description": "Where this write is in the service's published events, as `<service>="
    "<sequence>`, when the write published any (docs/adr/0019-read-your-writes.md). Send it "
    f"back to another service as `{WAIT_FOR_HEADER}` to read this write there.",
    "schema": {"type": "string", "example": "casefile=1234"},
}
WAIT_FOR_DESCRIPTION = (
    f"Positions from `{POSITION_HEADER}` answers of other services, comma-separated "
    "(`casefile=1234`): this request waits, a few seconds at most, until what those writes "
    "published has reached this service; if it has not, 503 with Retry-After. A service this "
    "one learns nothing from is ignored."
)


# --------------------------------------------------------------------------- positions


def format_position(service: str, seq: int) -> str:
    return f"{service}={seq}"


def parse_positions(value: str) -> dict[str, int]:
    """`casefile=12, health=3` as {service: sequence}; ValueError saying what is wrong."""
    positions: dict[str, int] = {}
    parts = value.split(",")
    if len(parts) > 16:
        raise ValueError("at most 16 positions")
    for part in parts:
        matched = _POSITION.match(part)
        if matched is None:
            raise ValueError(
                f"{part.strip()!r} is not <service>=<sequence> (a lower-case service name "
                "and a stream sequence from 1)"
            )
        service, seq = matched.group(1), int(matched.group(2))
        positions[service] = max(seq, positions.get(service, 0))
    return positions


@dataclass
class Written:
    """What the saves of one request published, collected while it runs."""

    service: str | None = None
    seq: int = 0

    @property
    def position(self) -> str | None:
        return format_position(self.service, self.seq) if self.service and self.seq else None


_written: ContextVar[Written | None] = ContextVar("belonging_written", default=None)


@contextlib.contextmanager
def collecting() -> Iterator[Written]:
    """Collects the position of what the saves inside publish (`Published.note`)."""
    written = Written()
    token = _written.set(written)
    try:
        yield written
    finally:
        _written.reset(token)


@dataclass(frozen=True)
class Published:
    """What a service's relay publishes: asked of each save, to give the write's position.

    `translate` is the relay's own (pure) translation; an event it gives nothing
    for publishes nothing, so a write of only such events has no position (no
    consumer could ever see it pass). It is asked without the stored message's
    headers (the audit envelope), which no translation reads.
    """

    service: str
    translate: Translate

    def note(self, recordings: Sequence[Recording[Any]]) -> None:
        written = _written.get()
        if written is None:
            return
        for recording in recordings:
            seq = recording.notification.id
            if seq > written.seq and self.translate(recording.domain_event, {}):
                written.service, written.seq = self.service, seq


# --------------------------------------------------------------------------- the consumer


@dataclass
class _Followed:
    """One other service's integration stream and the projections that read it."""

    service: str
    stream: str
    #: projection (schema) name -> the subjects it reads from the stream
    projections: dict[str, str]
    #: the highest source sequence known to be applied by every one of them
    proven: int = 0


@dataclass
class LearnedViews:
    """This service's read models of other services' integration streams, and how far they are.

    `catch_up(name)` brings one projection up to the stream's end now, in this
    process (`Started._catch_up`); `reader` reads the integration streams.
    """

    projections: Sequence[Projection]
    pool: asyncpg.Pool
    reader: Callable[[], StreamReader | None]
    catch_up: Callable[[str], Awaitable[None]]
    bound: float = WAIT_SECONDS
    followed: dict[str, _Followed] = field(init=False)

    def __post_init__(self) -> None:
        self.followed = {}
        for projection in self.projections:
            for source in projection.sources():
                if not source.stream.startswith(_INTEGRATION_PREFIX):
                    continue
                service = source.stream.removeprefix(_INTEGRATION_PREFIX).lower()
                followed = self.followed.setdefault(
                    service, _Followed(service, integration_stream(service), {})
                )
                followed.projections[projection.name] = source.subjects

    async def wait(self, positions: Mapping[str, int], bound: float | None = None) -> bool:
        """Whether every position named was reached within the bound (unknown services pass)."""
        deadline = time.monotonic() + (self.bound if bound is None else bound)
        for service, seq in positions.items():
            followed = self.followed.get(service)
            if followed is not None and not await self._reach(followed, seq, deadline):
                return False
        return True

    async def behind(self, services: Sequence[str]) -> bool:
        """Whether a view of any of `services` has not applied all of its integration stream."""
        for service in services:
            followed = self.followed.get(service)
            if followed is None:
                continue
            positions = await self._positions(followed)
            for name, subjects in followed.projections.items():
                last = await self._last(followed.stream, subjects)
                if last is not None and positions.get(name, 0) < last.seq:
                    return True
        return False

    def behind_from_thread(self, services: Sequence[str]) -> bool:
        """`behind`, from a worker thread (a command runs in one); False if it cannot tell."""
        try:
            return bool(anyio.from_thread.run(self.behind, services))
        except Exception:
            log.warning("learned_views_unknown", services=list(services), exc_info=True)
            return False

    async def _reach(self, followed: _Followed, seq: int, deadline: float) -> bool:
        target: int | None = None  # an integration sequence by which `seq` is published
        proves = 0
        while True:
            if seq <= followed.proven:
                return True
            if target is None:
                last = await self._last(followed.stream, f"integration.{followed.service}.>")
                done = _published_through(last)
                if last is not None and done >= seq:
                    target, proves = last.seq, done
            if target is not None:
                lagging = await self._lagging(followed, target)
                if not lagging:
                    followed.proven = max(followed.proven, proves)
                    return True
                for name in lagging:
                    await self._catch_up(name)
                if not await self._lagging(followed, target):
                    followed.proven = max(followed.proven, proves)
                    return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(POLL_SECONDS)

    async def _lagging(self, followed: _Followed, target: int) -> list[str]:
        """The projections that may not yet have applied the stream up to `target`.

        A projection's position is the last message it applied among those it
        reads: it has everything up to `target` if it is there, or if nothing
        it reads came after its position.
        """
        positions = await self._positions(followed)
        lagging = []
        for name, subjects in followed.projections.items():
            position = positions.get(name, 0)
            if position >= target:
                continue
            last = await self._last(followed.stream, subjects)
            if last is not None and last.seq > position:
                lagging.append(name)
        return lagging

    async def _positions(self, followed: _Followed) -> dict[str, int]:
        positions: dict[str, int] = {}
        async with self.pool.acquire() as conn:
            for name in followed.projections:
                quoted = '"' + name.replace('"', '""') + '"'
                value = await conn.fetchval(
                    f"SELECT position FROM {quoted}.projection_position WHERE stream = $1",
                    followed.stream,
                )
                positions[name] = int(value or 0)
        return positions

    async def _last(self, stream: str, subjects: str) -> StoredMessage | None:
        reader = self.reader()
        if reader is None:
            return None
        try:
            return await asyncio.to_thread(reader.last, stream, subjects)
        except Exception:
            log.warning("integration_stream_unreadable", stream=stream, exc_info=True)
            return None

    async def _catch_up(self, name: str) -> None:
        try:
            await self.catch_up(name)
        except Exception:
            log.warning("catch_up_failed", projection=name, exc_info=True)


def _published_through(message: StoredMessage | None) -> int:
    """The highest source sequence all of whose integration events are at or before `message`.

    The relay publishes in source order, each source event's outputs in index
    order, the last carrying `Belonging-Source-Count` = index + 1 (a message
    without it is taken as its event's last: no translation gives more than one).
    """
    if message is None:
        return 0
    try:
        seq = int(message.header(SOURCE_SEQUENCE) or 0)
        index = int(message.header(SOURCE_INDEX) or 0)
        count = int(message.header(SOURCE_COUNT) or index + 1)
    except ValueError:
        return 0  # not the relay's (quarantined): proves nothing
    return seq if index + 1 >= count else seq - 1


# --------------------------------------------------------------------------- the API


def _views(request: Request) -> LearnedViews | None:
    views = getattr(request.app.state, "learned_views", None)
    return views if isinstance(views, LearnedViews) else None


def _documented_wait_for(schema: dict[str, Any]) -> None:
    """A string of positions (optional; when sent, never null)."""
    schema.pop("anyOf", None)
    schema.update(type="string", pattern=WAIT_FOR_PATTERN)


async def wait_for_positions(
    request: Request,
    principal: Annotated[Principal, Depends(authenticated)],
    wait_for: Annotated[
        str | None,
        Header(
            alias=WAIT_FOR_HEADER,
            description=WAIT_FOR_DESCRIPTION,
            json_schema_extra=_documented_wait_for,
        ),
    ] = None,
) -> None:
    """Dependency: waits for the positions in `Belonging-Wait-For` (callers with a token only).

    It runs before the relationship check, which may itself depend on what
    the other service wrote (an allocation).
    """
    if wait_for is None:
        return
    try:
        positions = parse_positions(wait_for)
    except ValueError as error:
        message = f"{WAIT_FOR_HEADER}: {error}"
        raise ProblemError(
            400,
            type=problem_type("invalid-wait-for"),
            detail=message,
            errors=[FieldError(field=f"header.{WAIT_FOR_HEADER.lower()}", message=message)],
        ) from None
    views = _views(request)
    if views is None or await views.wait(positions):
        return
    named = ", ".join(format_position(s, q) for s, q in positions.items())
    raise not_caught_up(
        f"What was written at {named} has not reached this service yet; nothing was done. "
        "Retry after the time given."
    )


def not_caught_up(detail: str) -> ProblemError:
    return ProblemError(
        503,
        type=problem_type("not-caught-up"),
        title="Not caught up yet",
        detail=detail,
        headers={"Retry-After": str(RETRY_AFTER)},
    )


@contextlib.contextmanager
def learned_facts_checked(request: Request) -> Iterator[None]:
    """A rule broken on another service's facts while this service's view of them lags: 503.

    Run in the worker thread of a command (it asks the event loop how far the
    views are). Only a view known to be behind its integration stream is
    caught: what the other service has not published yet cannot be known here
    (the `Belonging-Wait-For` header covers it).
    """
    try:
        yield
    except RuleBroken as error:
        services = getattr(error, "learned_from", ())
        views = _views(request)
        if services and views is not None and views.behind_from_thread(services):
            raise not_caught_up(
                f"{error.message}: but what this service knows from "
                f"{', '.join(services)} is still catching up, so this may only be lag. "
                "Nothing was recorded; retry after the time given."
            ) from error
        raise
