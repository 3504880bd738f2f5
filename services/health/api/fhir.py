"""`POST /v1/fhir`: a FHIR R4 Bundle from a health system, answered by an OperationOutcome.

The Bundle is read by `adapters.fhir.read_bundle`; each entry's child is
matched by the keyed digest of its NHS number against what casefile published
(`child.nhs-number.v1`), then its command goes through the one command cycle
on the child's record, entry by entry. The answer says, entry by entry, what
was recorded, what was already recorded (the same resource id and version:
nothing new) and what was refused and why:

- not a valid FHIR R4 Bundle, or not `transaction`/`collection`: 400
  OperationOutcome, nothing recorded;
- every entry refused (an unknown child, a broken rule, an unsupported
  resource): 422, nothing recorded;
- otherwise 200: the valid entries recorded (or already recorded), the rest explained.

The same API rules as every write: a bearer token in a role the policy allows
(a `health` practitioner only for children whose lead professional they are;
others' entries are refused as forbidden), an Idempotency-Key (a retry gets the
first answer), problems (RFC 9457) for everything before the Bundle is read.
"""

from __future__ import annotations

from typing import Annotated, Any, cast
from uuid import UUID

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import JsonValue

from services.health.adapters.fhir import BUNDLE_TYPES, Entry, InvalidBundle, read_bundle
from services.health.api.policy import FHIR, POLICY
from services.health.api.runtime import Runtime
from shared.api.idempotency import idempotency_key, idempotent, request_hash
from shared.api.problems import Problem
from shared.auth.dependencies import require
from shared.auth.roles import Role
from shared.auth.tokens import Principal
from shared.commands import Command
from shared.contracts.nhs_numbers import nhs_number_digest
from shared.domain_errors import NotFound, RuleBroken
from shared.read_your_writes import POSITION_HEADER, collecting
from shared.request_context import acting_as

router = APIRouter(tags=["FHIR"])

FHIR_JSON = "application/fhir+json"

_OUTCOME_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A FHIR R4 OperationOutcome: one issue per Bundle entry",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"type": "string", "enum": ["OperationOutcome"]},
        "issue": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {
                    "severity": {"type": "string", "enum": ["error", "information"]},
                    "code": {"type": "string"},
                    "diagnostics": {"type": "string"},
                    "expression": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}


def _issue(severity: str, code: str, diagnostics: str, expression: str) -> dict[str, JsonValue]:
    return {
        "severity": severity,
        "code": code,
        "diagnostics": diagnostics,
        "expression": [expression],
    }


def _outcome(issues: list[dict[str, JsonValue]]) -> dict[str, JsonValue]:
    if not issues:
        issues = [_issue("information", "informational", "the Bundle has no entries", "Bundle")]
    return {"resourceType": "OperationOutcome", "issue": list[JsonValue](issues)}


def _may_act_for(request: Request, principal: Principal, child_id: UUID) -> bool:
    """A `health` practitioner acts only for children they are related to; the council's
    LAC health team and health systems for every child casefile told health of."""
    if principal.role != Role.HEALTH:
        return True
    checker = request.app.state.relationships
    return bool(checker.is_related(principal.user_id, Role.HEALTH, str(child_id), ()))


def _record(
    request: Request, principal: Principal, runtime: Runtime, entry: Entry
) -> dict[str, JsonValue]:
    where = f"Bundle.entry[{entry.index}]"
    if entry.refused is not None:
        refused = entry.refused
        return _issue(
            "error", refused.code, f"{entry.label}: {refused}", refused.expression or where
        )
    inbound = entry.inbound
    assert inbound is not None
    child = runtime.reads.child_by_nhs_number_digest(nhs_number_digest(inbound.nhs_number))
    if child is None:
        return _issue(
            "error",
            "not-found",
            f"{entry.label}: no child known to the health service has this NHS number "
            "(casefile records it; nothing is recorded for an unknown child)",
            f"{where}.resource.subject",
        )
    child_id = UUID(child)
    if not _may_act_for(request, principal, child_id):
        return _issue(
            "error",
            "forbidden",
            f"{entry.label}: you are not this child's lead health professional",
            f"{where}.resource.subject",
        )
    command = inbound.with_entry_id(child_id)
    arguments = {"source": inbound.source, "source_version": inbound.source_version}
    application = runtime.application
    before = application.has_record(child_id) and application.load(child_id)
    if before and inbound.source and before.has_source(inbound.source, inbound.source_version):
        return _issue(
            "information",
            "duplicate",
            f"{entry.label}: already recorded (the same resource and version): nothing new",
            where,
        )
    try:
        with acting_as(child_id=str(child_id)):
            version = application.execute(child_id, cast(Command, _Sourced(command, arguments)))
    except (RuleBroken, NotFound) as error:
        field = f" ({error.field})" if getattr(error, "field", None) else ""
        return _issue(
            "error", "business-rule", f"{entry.label}: {error.message}{field}", f"{where}.resource"
        )
    except IntegrityError:
        return _issue(
            "error", "conflict", f"{entry.label}: the record was busy; send it again", where
        )
    kind = type(command).__name__
    return _issue(
        "information",
        "informational",
        f"{entry.label}: recorded ({kind}) for child {child_id}, entry "
        f"{command.entry_id}, record version {version}",  # type: ignore[attr-defined]
        where,
    )


class _Sourced:
    """A command with the FHIR source the domain method also takes (not a request field)."""

    def __init__(self, command: Any, extra: dict[str, Any]) -> None:
        self.command = command
        self.extra = extra
        self.handler = command.handler
        self.path_names: dict[str, str] = {}

    def arguments(self) -> dict[str, Any]:
        return {**self.command.arguments(), **self.extra}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.command, name)


#: The Bundle as the document gives it: what `read_bundle` takes before it reads the
#: entries. Each entry's resource is then read on its own (an entry refused says why).
_BUNDLE_DOC: dict[str, Any] = {
    "requestBody": {
        "content": {
            "application/json": {
                "schema": {
                    "required": ["resourceType", "type"],
                    "properties": {
                        "resourceType": {"type": "string", "enum": ["Bundle"]},
                        "type": {"type": "string", "enum": sorted(BUNDLE_TYPES)},
                        "entry": {
                            "type": "array",
                            "description": "At most FHIR_MAX_ENTRIES entries (a setting, 500 by "
                            "default; 400 beyond)",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "fullUrl": {"type": "string"},
                                    "resource": {
                                        "type": "object",
                                        "description": "An Encounter, Observation or "
                                        "QuestionnaireResponse (or the Patient they name)",
                                    },
                                },
                                "additionalProperties": False,
                            },
                        },
                    },
                    "additionalProperties": False,
                }
            }
        }
    }
}


@router.post(
    "/fhir",
    openapi_extra=_BUNDLE_DOC,
    summary="Record the entries of a FHIR R4 Bundle (transaction or collection) of "
    "Encounter, Observation and QuestionnaireResponse resources",
    responses={
        200: {
            "description": "Read: each entry recorded, already recorded, or refused and why",
            "content": {FHIR_JSON: {"schema": _OUTCOME_SCHEMA}},
        },
        # Before the Bundle is read (a header, the Idempotency-Key, a body that is no
        # JSON object), a problem, as on every write.
        400: {
            "model": Problem,
            "description": "Not a valid FHIR R4 Bundle (an OperationOutcome), or a malformed "
            "header or Idempotency-Key (a problem): nothing recorded",
            "content": {FHIR_JSON: {"schema": _OUTCOME_SCHEMA}},
        },
        422: {
            "model": Problem,
            "description": "Every entry refused (an OperationOutcome), or a body that is not a "
            "JSON object (a problem): nothing recorded",
            "content": {FHIR_JSON: {"schema": _OUTCOME_SCHEMA}},
        },
    },
)
def receive_bundle(
    request: Request,
    bundle: Annotated[dict[str, Any], Body(description="A FHIR R4 Bundle")],
    principal: Annotated[Principal, Depends(require(FHIR, POLICY))],
    key: Annotated[str, Depends(idempotency_key)],
    runtime: Runtime,
) -> JSONResponse:
    limit = runtime.reads.fhir_max_entries

    def once() -> tuple[int, JsonValue]:
        try:
            entries = read_bundle(bundle, limit)
        except InvalidBundle as invalid:
            return 400, _outcome([_issue("error", "structure", str(invalid), invalid.expression)])
        with collecting() as written:
            issues = [_record(request, principal, runtime, entry) for entry in entries]
        status = 200
        if issues and all(i["severity"] == "error" for i in issues):
            status = 422
        body: dict[str, JsonValue] = _outcome(issues)
        if written.position is not None:
            body["_position"] = written.position
        return status, body

    fingerprint = request_hash(request.method, request.url.path, bundle)
    status, stored = idempotent(runtime.idempotency, key, principal.user_id, fingerprint, once)
    body = dict(stored) if isinstance(stored, dict) else {}
    position = body.pop("_position", None)
    headers = {POSITION_HEADER: position} if isinstance(position, str) else {}
    return JSONResponse(body, status_code=status, headers=headers, media_type=FHIR_JSON)
