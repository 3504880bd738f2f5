"""Optimistic concurrency over HTTP: ETags are aggregate versions, If-Match guards writes.

Two workers editing one child's record must not silently overwrite each
other: a read returns the aggregate's version as an ETag, and a write names
that version in `If-Match`; if the record has moved on, the write is refused
with 412 and changes nothing (RFC 9110 §13.1.1). The event store enforces the
same expected version when it appends, so the check cannot race.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Header

from shared.api.problems import FieldError, ProblemError, problem_type

# Weak ETags are accepted too: proxies that compress responses weaken the
# ETags they pass on, and a version number compares exactly either way.
# ASCII only, as the document says it (`IF_MATCH_PATTERN`): Python's \d and \s
# would also take other scripts' digits and control characters.
_ETAG = re.compile(r'[ \t]*(?:W/)?"([0-9]{1,18})"[ \t]*')
#: `If-Match` as the OpenAPI document gives it: what `parse_if_match` accepts.
IF_MATCH_PATTERN = r'^[ \t]*(W/)?"[0-9]{1,18}"[ \t]*$'


def etag(version: int) -> str:
    """The ETag for an aggregate at `version`."""
    return f'"{version}"'


def parse_if_match(value: str | None) -> int | None:
    """The version an `If-Match` header names; None if there is no header; 400 if unreadable.

    `*` and lists of ETags are refused: a write must say which one version it
    was based on.
    """
    if value is None:
        return None
    match = _ETAG.fullmatch(value)
    if match is None:
        message = 'If-Match must be one ETag this service sent, such as "3"'
        raise ProblemError(
            400,
            type=problem_type("invalid-if-match"),
            detail=message,
            errors=[FieldError(field="header.if-match", message=message)],
        )
    return int(match.group(1))


def precondition_failed(current_version: int | None = None) -> ProblemError:
    """412: the record changed since the client read it."""
    detail = "The record has changed since you read it; fetch it again and reapply your change."
    headers: dict[str, str] = {}
    if current_version is not None:
        detail += f" It is now at version {current_version}."
        headers["ETag"] = etag(current_version)
    return ProblemError(412, type=problem_type("stale-version"), detail=detail, headers=headers)


def check_version(expected: int | None, current: int) -> None:
    """Raise 412 unless `expected` is absent or equals the current version."""
    if expected is not None and expected != current:
        raise precondition_failed(current)


def _documented_if_match(schema: dict[str, Any]) -> None:
    """A string of the ETag's form (the header is optional; when sent it is never null)."""
    schema.pop("anyOf", None)
    schema.update(type="string", pattern=IF_MATCH_PATTERN)


async def if_match_version(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description="The ETag of the version this change is based on",
            json_schema_extra=_documented_if_match,
        ),
    ] = None,
) -> int | None:
    """Dependency: the expected version, or None when the client sent no If-Match."""
    return parse_if_match(if_match)
