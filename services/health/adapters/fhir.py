"""FHIR R4 in: a Bundle of Encounters, Observations and QuestionnaireResponses, read as commands.

Parsed with the `fhir.resources` library (its R4B models: R4B changed none of
the elements read here from R4). `read_bundle` checks the Bundle itself (valid
FHIR, `transaction` or `collection`, at most `max_entries`) and raises
`InvalidBundle` otherwise; then reads each entry on its own, so one bad entry
is explained and the others still count (docs/adr/0020-health-service.md):

- Encounter (status finished), `type` coded `IHA`, `RHA`, `DENTAL` or
  `DEVELOPMENT` in `CODES`: the assessment or check on `period.start`; the
  practitioner from the first `participant.individual` (identifier value, or
  the reference's id); the outcome from the `OUTCOME` extension (a code).
- Observation (final, amended, corrected), `code` coded `SDQ-TOTAL`: an SDQ,
  `valueInteger`, or an SSDA903 SDQ_REASON coded (`SDQ_REASON_SYSTEM`) in
  `valueCodeableConcept` or `dataAbsentReason`; on `effectiveDateTime`.
- Observation coded `IMMUNISATIONS-UP-TO-DATE`: `valueBoolean` on `effectiveDateTime`.
- QuestionnaireResponse (completed) of `SDQ_QUESTIONNAIRE`: an SDQ, the
  `total-difficulties` item's `valueInteger`, on `authored`.

The child is the resource's `subject`: an NHS number identifier
(`NHS_NUMBER_SYSTEM`), directly or on a Patient entry it references; the
number is checked (modulus 11) here and matched by the caller. Free text
(notes, `display`, narrative) is never read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from services.health.domain import commands as c
from shared.commands import Command
from shared.dates import ENGLAND
from shared.identifiers import validate_nhs_number

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
CODES = "https://belonging.example/fhir/CodeSystem/lac-health"
OUTCOME = "https://belonging.example/fhir/StructureDefinition/assessment-outcome"
SDQ_REASON_SYSTEM = "https://belonging.example/fhir/CodeSystem/ssda903-sdq-reason"
SDQ_QUESTIONNAIRE = "https://belonging.example/fhir/Questionnaire/sdq"
SDQ_TOTAL_ITEM = "total-difficulties"
BUNDLE_TYPES = frozenset({"transaction", "collection"})

_ENTRY_IDS = uuid5(NAMESPACE_URL, "https://belonging.example/fhir-entries")


class InvalidBundle(ValueError):
    """The body is not a FHIR R4 Bundle this endpoint takes: nothing is recorded."""

    def __init__(self, message: str, expression: str = "Bundle") -> None:
        super().__init__(message)
        self.expression = expression


class Refused(ValueError):
    """One entry cannot be recorded; why, and where in it."""

    def __init__(self, message: str, expression: str, code: str = "invalid") -> None:
        super().__init__(message)
        self.expression = expression
        self.code = code


@dataclass(frozen=True)
class Inbound:
    """One entry read: the child's NHS number, the command, the resource it came from."""

    index: int
    label: str  # "Observation/abc" or "Observation (entry 3)"
    nhs_number: str
    command: Command
    #: "Observation/abc" and its meta.versionId, or None for a resource without an id.
    source: str | None
    source_version: str | None

    def with_entry_id(self, child_id: UUID) -> Command:
        """The command with an entry id that is the same whenever this resource is sent."""
        key = f"{self.source}/_history/{self.source_version}" if self.source else self.label
        entry_id = uuid5(_ENTRY_IDS, f"{child_id}/{key}")
        return self.command.model_copy(update={"entry_id": entry_id})


@dataclass(frozen=True)
class Entry:
    """What reading one entry gave: an `Inbound`, or why it was refused."""

    index: int
    label: str
    inbound: Inbound | None = None
    refused: Refused | None = None


def read_bundle(body: Any, max_entries: int) -> list[Entry]:
    """Each entry of the Bundle, read; `InvalidBundle` if the Bundle itself is not taken."""
    if not isinstance(body, dict) or body.get("resourceType") != "Bundle":
        raise InvalidBundle("the body is not a FHIR Bundle (resourceType must be Bundle)")
    raw_entries = body.get("entry", [])
    if not isinstance(raw_entries, list):
        raise InvalidBundle("Bundle.entry is not a list", "Bundle.entry")
    shell = {
        **body,
        "entry": [
            {k: v for k, v in e.items() if k != "resource"} if isinstance(e, dict) else e
            for e in raw_entries
        ],
    }
    if not shell["entry"]:
        shell.pop("entry")
    try:
        bundle = Bundle.model_validate(shell)
    except ValidationError as error:
        raise InvalidBundle(f"not a valid FHIR R4 Bundle: {_first_error(error)}") from None
    if bundle.type not in BUNDLE_TYPES:
        raise InvalidBundle(
            f"Bundle.type {bundle.type!r} is not taken: send a transaction or a collection",
            "Bundle.type",
        )
    if len(raw_entries) > max_entries:
        raise InvalidBundle(f"a Bundle of at most {max_entries} entries", "Bundle.entry")
    resources: list[Any] = []
    for raw in raw_entries:
        resource = raw.get("resource") if isinstance(raw, dict) else None
        resources.append(_resource(resource))
    patients = _patients(raw_entries, resources)
    read = []
    for index, resource in enumerate(resources):
        label = _label(raw_entries[index], index)
        where = f"Bundle.entry[{index}].resource"
        try:
            if isinstance(resource, Refused):
                raise Refused(str(resource), where, resource.code)
            inbound = _read(index, label, resource, patients, where)
        except Refused as refused:
            read.append(Entry(index, label, refused=refused))
            continue
        if inbound is not None:
            read.append(Entry(index, label, inbound=inbound))
    return read


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'invalid')}"[:300]


def _resource(raw: Any) -> Any:
    """The resource as a `fhir.resources` model, or `Refused` saying why it is not one."""
    if not isinstance(raw, dict) or not isinstance(raw.get("resourceType"), str):
        return Refused("the entry has no resource", "", "required")
    try:
        model = get_fhir_model_class(raw["resourceType"])
    except (KeyError, ValueError, AttributeError):
        return Refused(f"{raw['resourceType']!r} is not a FHIR R4 resource type", "", "invalid")
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        return Refused(f"not valid FHIR R4: {_first_error(error)}", "", "structure")


def _label(raw: Any, index: int) -> str:
    resource = raw.get("resource") if isinstance(raw, dict) else None
    if isinstance(resource, dict):
        kind = resource.get("resourceType", "resource")
        if isinstance(resource.get("id"), str):
            return f"{kind}/{resource['id']}"
        return f"{kind} (entry {index})"
    return f"entry {index}"


def _nhs_identifier(identifiers: Any) -> str | None:
    for identifier in identifiers or ():
        if getattr(identifier, "system", None) == NHS_NUMBER_SYSTEM and identifier.value:
            return str(identifier.value)
    return None


def _patients(raw_entries: list[Any], resources: list[Any]) -> dict[str, str]:
    """NHS numbers of the Patient entries, by fullUrl and by `Patient/<id>`."""
    found: dict[str, str] = {}
    for raw, resource in zip(raw_entries, resources, strict=True):
        if getattr(resource, "get_resource_type", lambda: "")() != "Patient":
            continue
        nhs = _nhs_identifier(resource.identifier)
        if nhs is None:
            continue
        if isinstance(raw, dict) and isinstance(raw.get("fullUrl"), str):
            found[raw["fullUrl"]] = nhs
        if resource.id:
            found[f"Patient/{resource.id}"] = nhs
    return found


def _subject(resource: Any, patients: dict[str, str], where: str) -> str:
    subject = getattr(resource, "subject", None)
    if subject is None:
        raise Refused(
            "no subject: the child is named by NHS number", f"{where}.subject", "required"
        )
    nhs = None
    if subject.identifier is not None:
        nhs = _nhs_identifier([subject.identifier])
    if nhs is None and subject.reference:
        nhs = patients.get(subject.reference)
    if nhs is None:
        raise Refused(
            f"the subject names no NHS number ({NHS_NUMBER_SYSTEM}), directly or on a Patient "
            "entry of the Bundle",
            f"{where}.subject",
            "required",
        )
    try:
        return validate_nhs_number(nhs)
    except ValueError as error:
        raise Refused(str(error), f"{where}.subject.identifier.value", "value") from None


def _day(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        return (value if value.tzinfo is None else value.astimezone(ENGLAND)).date()
    if isinstance(value, date):
        return value
    raise Refused("no date", where, "required")


def _coded(concepts: Any, system: str) -> set[str]:
    codes: set[str] = set()
    for concept in concepts or ():
        for coding in (concept.coding if concept is not None else None) or ():
            if coding.system == system and coding.code:
                codes.add(str(coding.code))
    return codes


def _source(resource: Any) -> tuple[str | None, str | None]:
    if not resource.id:
        return None, None
    version = resource.meta.versionId if resource.meta is not None else None
    return f"{resource.get_resource_type()}/{resource.id}", version


def _content_label(resource: Any, index: int) -> str:
    digest = hashlib.sha256(
        json.dumps(resource.model_dump(mode="json"), sort_keys=True).encode()
    ).hexdigest()[:16]
    return f"{resource.get_resource_type()}#{digest}"


def _read(
    index: int, label: str, resource: Any, patients: dict[str, str], where: str
) -> Inbound | None:
    kind = resource.get_resource_type()
    if kind == "Patient":
        return None  # names the child for the other entries; records nothing itself
    readers = {
        "Encounter": _encounter,
        "Observation": _observation,
        "QuestionnaireResponse": _questionnaire_response,
    }
    reader = readers.get(kind)
    if reader is None:
        raise Refused(
            f"{kind} is not taken here: send Encounter, Observation or QuestionnaireResponse",
            where,
            "not-supported",
        )
    command = reader(resource, where)
    nhs = _subject(resource, patients, where)
    source, version = _source(resource)
    return Inbound(
        index=index,
        label=label if source else _content_label(resource, index),
        nhs_number=nhs,
        command=command,
        source=source,
        source_version=version,
    )


def _practitioner(resource: Any) -> str | None:
    for participant in resource.participant or ():
        individual = participant.individual
        if individual is None:
            continue
        if individual.identifier is not None and individual.identifier.value:
            return str(individual.identifier.value)
        if individual.reference:
            return str(individual.reference).rsplit("/", 1)[-1]
    return None


def _encounter(resource: Any, where: str) -> Command:
    if resource.status != "finished":
        raise Refused(
            f"the encounter is {resource.status!r}: only a finished one is recorded",
            f"{where}.status",
            "business-rule",
        )
    codes = _coded(resource.type, CODES)
    day = _day(resource.period.start if resource.period else None, f"{where}.period.start")
    practitioner = _practitioner(resource)
    outcome = next(
        (str(x.valueCode) for x in resource.extension or () if x.url == OUTCOME and x.valueCode),
        None,
    )
    try:
        if "IHA" in codes or "RHA" in codes:
            if practitioner is None:
                raise Refused(
                    "an assessment names its practitioner", f"{where}.participant", "required"
                )
            kind = (
                c.RecordInitialHealthAssessment
                if "IHA" in codes
                else c.RecordReviewHealthAssessment
            )
            return kind(assessment_date=day, practitioner_id=practitioner, outcome=outcome)
        if "DENTAL" in codes:
            return c.RecordDentalCheck(check_date=day, practitioner_id=practitioner)
        if "DEVELOPMENT" in codes:
            return c.RecordDevelopmentCheck(check_date=day, practitioner_id=practitioner)
    except ValidationError as error:
        raise Refused(_first_error(error), where, "value") from None
    raise Refused(
        f"Encounter.type names none of IHA, RHA, DENTAL, DEVELOPMENT in {CODES}",
        f"{where}.type",
        "code-invalid",
    )


def _observation(resource: Any, where: str) -> Command:
    if resource.status not in ("final", "amended", "corrected"):
        raise Refused(
            f"the observation is {resource.status!r}: only final ones are recorded",
            f"{where}.status",
            "business-rule",
        )
    codes = _coded([resource.code], CODES)
    day = _day(resource.effectiveDateTime, f"{where}.effectiveDateTime")
    try:
        if "SDQ-TOTAL" in codes:
            reasons = _coded(
                [resource.valueCodeableConcept, resource.dataAbsentReason], SDQ_REASON_SYSTEM
            )
            if resource.valueInteger is None and not reasons:
                raise Refused(
                    "an SDQ observation has valueInteger (0-40) or an SSDA903 SDQ_REASON",
                    f"{where}.valueInteger",
                    "required",
                )
            return c.RecordSdq(
                sdq_date=day,
                score=resource.valueInteger,
                reason=next(iter(sorted(reasons)), None) if resource.valueInteger is None else None,
            )
        if "IMMUNISATIONS-UP-TO-DATE" in codes:
            if resource.valueBoolean is None:
                raise Refused(
                    "immunisation status is valueBoolean", f"{where}.valueBoolean", "required"
                )
            return c.RecordImmunisationStatus(date_checked=day, up_to_date=resource.valueBoolean)
    except ValidationError as error:
        raise Refused(_first_error(error), f"{where}.valueInteger", "value") from None
    raise Refused(
        f"Observation.code names neither SDQ-TOTAL nor IMMUNISATIONS-UP-TO-DATE in {CODES}",
        f"{where}.code",
        "code-invalid",
    )


def _questionnaire_response(resource: Any, where: str) -> Command:
    if str(resource.questionnaire or "").split("|")[0] != SDQ_QUESTIONNAIRE:
        raise Refused(
            f"only the SDQ ({SDQ_QUESTIONNAIRE}) is taken",
            f"{where}.questionnaire",
            "not-supported",
        )
    if resource.status != "completed":
        raise Refused(
            f"the questionnaire response is {resource.status!r}: only a completed one is recorded",
            f"{where}.status",
            "business-rule",
        )
    day = _day(resource.authored, f"{where}.authored")
    for item in resource.item or ():
        if item.linkId == SDQ_TOTAL_ITEM and item.answer:
            score = item.answer[0].valueInteger
            if score is None:
                break
            try:
                return c.RecordSdq(sdq_date=day, score=score)
            except ValidationError as error:
                raise Refused(_first_error(error), f"{where}.item", "value") from None
    raise Refused(
        f"no {SDQ_TOTAL_ITEM!r} item with a valueInteger answer", f"{where}.item", "required"
    )
