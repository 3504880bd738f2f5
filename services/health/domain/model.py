"""A child's health record: one event-sourced aggregate per child.

`HealthRecord` holds every health fact of one child as entries, so the rules
that need the child's history (one IHA per period of care, an RHA not before
the IHA, a plan reviewed after it was agreed) are checked in one consistency
boundary. What casefile knows (date of birth, periods of care) is given to
each command as `ChildFacts`. Each entry has an id; a correction takes an
entry out (`void_entry`, with a reason code) and the right fact is recorded
anew: the original stays in the history (docs/adr/0018). A FHIR resource
recorded again at the same version records nothing; at a new version it
supersedes the entry it gave before (docs/adr/0020-health-service.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.health.domain import errors
from shared.dates import age_on, today

#: Namespace of health record ids: uuid5(NAMESPACE, str(child_id)). Fixed forever.
NAMESPACE = UUID("2b7e8a4e-4c1f-5d0b-9e61-3a8f1d2c6b90")

#: The age below which development checks apply, and SDQ ages (DfE, SSDA903 OC2).
UNDER_FIVE = 5
SDQ_MIN_AGE, SDQ_MAX_AGE = 2, 17
SDQ_SCORE_MAX = 40

#: SSDA903 OC2 SDQ_REASON: why no SDQ score was returned.
SDQ_REASONS: dict[str, str] = {
    "SDQ1": "No form returned as child was aged under 4 or over 17 at date of latest assessment",
    "SDQ2": "Carer(s) refused to complete and return questionnaire",
    "SDQ3": "Not possible to complete the questionnaire due to severity of the child's disability",
    "SDQ4": "Other",
    "SDQ5": "Child or young person refuses to allow an SDQ to be completed",
}

#: What an assessment concluded: codes, never clinical notes.
ASSESSMENT_OUTCOMES: dict[str, str] = {
    "NO_NEEDS": "no health needs identified",
    "NEEDS_IDENTIFIED": "health needs identified, in the health plan",
    "REFERRED": "referred to a specialist service",
    "DECLINED": "the young person declined the assessment",
}

#: Why an entry was taken out of the record (a code, so corrections can be counted).
VOID_REASONS: dict[str, str] = {
    "KEYING": "a keying or data-entry error",
    "WRONG-CHILD": "recorded against the wrong child",
    "DUPLICATE": "recorded twice",
    "AUDIT": "found by an audit or data-quality check",
    "SUPERSEDED": "the health system sent a newer version of the resource",
    "OTHER": "another reason, given in the note",
}
NOTE_MAX = 1000


class Kind(StrEnum):
    """What an entry records."""

    IHA_REQUESTED = "iha_requested"
    IHA = "initial_health_assessment"
    RHA = "review_health_assessment"
    DENTAL = "dental_check"
    IMMUNISATIONS = "immunisations"
    DEVELOPMENT = "development_check"
    SDQ = "sdq"
    SUBSTANCE_MISUSE = "substance_misuse"
    LEAD_PROFESSIONAL = "lead_health_professional"
    PLAN_AGREED = "health_plan_agreed"
    PLAN_REVIEWED = "health_plan_reviewed"


@dataclass(frozen=True)
class ChildFacts:
    """What casefile published about the child, given to every command."""

    date_of_birth: date
    #: (start, end or None), earliest first; a period covers start <= day < end.
    periods_of_care: tuple[tuple[date, date | None], ...] = ()

    def period_started_by(self, day: date) -> tuple[date, date | None] | None:
        """The latest period of care that started on or before `day`."""
        started = [p for p in self.periods_of_care if p[0] <= day]
        return started[-1] if started else None

    def looked_after_on(self, day: date) -> tuple[date, date | None] | None:
        period = self.period_started_by(day)
        if period is None or (period[1] is not None and day >= period[1]):
            return None
        return period


@dataclass(frozen=True)
class Entry:
    """One health fact: what, on which day, with what details, from which source."""

    id: UUID
    kind: Kind
    day: date
    details: Mapping[str, Any] = field(default_factory=dict)
    #: The FHIR resource it came from ("Observation/abc") and its version, if any.
    source: str | None = None
    source_version: str | None = None
    voided: bool = False

    def same_fact(self, kind: Kind, day: date, details: Mapping[str, Any]) -> bool:
        return self.kind == kind and self.day == day and dict(self.details) == dict(details)


def _code(codes: Mapping[str, str], value: str | None, name: str) -> str | None:
    if value is None:
        return None
    if value not in codes:
        raise errors.UnknownCode(f"{value!r} is not one of {', '.join(codes)}", name)
    return value


class HealthRecord(Aggregate):
    """Every health fact of one child."""

    @staticmethod
    def create_id(child_id: UUID) -> UUID:
        return uuid5(NAMESPACE, str(child_id))

    @event("Opened")
    def __init__(self, child_id: UUID) -> None:
        self.child_id = child_id
        self._entries: list[Entry] = []

    # ----------------------------------------------------------------- queries

    @property
    def entries(self) -> tuple[Entry, ...]:
        """Every entry ever recorded, voided ones too, in date order."""
        return tuple(self._entries)

    def standing(self, kind: Kind | None = None) -> list[Entry]:
        """The entries not voided (of one kind), in date order."""
        return [e for e in self._entries if not e.voided and (kind is None or e.kind == kind)]

    def entry(self, entry_id: UUID) -> Entry:
        for e in self._entries:
            if e.id == entry_id:
                return e
        raise errors.EntryNotFound(f"no entry {entry_id} in this health record", "entry_id")

    def has_source(self, source: str, version: str | None) -> bool:
        return any(e.source == source and e.source_version == version for e in self._entries)

    # ----------------------------------------------------------------- commands

    def request_initial_health_assessment(
        self, *, entry_id: UUID, requested_date: date, facts: ChildFacts
    ) -> None:
        self._record(entry_id, Kind.IHA_REQUESTED, requested_date, {}, facts, "requested_date")

    def record_initial_health_assessment(
        self,
        *,
        entry_id: UUID,
        assessment_date: date,
        practitioner_id: str,
        outcome: str | None,
        facts: ChildFacts,
        source: str | None = None,
        source_version: str | None = None,
    ) -> None:
        details = {
            "practitioner_id": practitioner_id,
            "outcome": _code(ASSESSMENT_OUTCOMES, outcome, "outcome"),
        }
        if self._already(entry_id, Kind.IHA, assessment_date, details, source, source_version):
            return
        period = facts.period_started_by(assessment_date)
        if period is None:
            raise errors.NotLookedAfterYet(
                "an initial health assessment follows becoming looked after: no period of care "
                "had started by then",
                "assessment_date",
            )
        for other in self.standing(Kind.IHA):
            same_resource = source is not None and other.source == source
            if not same_resource and facts.period_started_by(other.day) == period:
                raise errors.InitialAssessmentAlreadyRecorded(
                    f"an initial health assessment is already recorded for this period of "
                    f"care ({other.day.isoformat()}): record a review health assessment",
                    "assessment_date",
                )
        self._record(
            entry_id,
            Kind.IHA,
            assessment_date,
            details,
            facts,
            "assessment_date",
            source,
            source_version,
        )

    def record_review_health_assessment(
        self,
        *,
        entry_id: UUID,
        assessment_date: date,
        practitioner_id: str,
        outcome: str | None,
        facts: ChildFacts,
        source: str | None = None,
        source_version: str | None = None,
    ) -> None:
        details = {
            "practitioner_id": practitioner_id,
            "outcome": _code(ASSESSMENT_OUTCOMES, outcome, "outcome"),
        }
        if self._already(entry_id, Kind.RHA, assessment_date, details, source, source_version):
            return
        if not any(i.day <= assessment_date for i in self.standing(Kind.IHA)):
            raise errors.ReviewBeforeInitialAssessment(
                "a review health assessment cannot be before the initial health assessment "
                "(none is recorded on or before this date)",
                "assessment_date",
            )
        self._record(
            entry_id,
            Kind.RHA,
            assessment_date,
            details,
            facts,
            "assessment_date",
            source,
            source_version,
        )

    def record_dental_check(
        self,
        *,
        entry_id: UUID,
        check_date: date,
        practitioner_id: str | None,
        facts: ChildFacts,
        source: str | None = None,
        source_version: str | None = None,
    ) -> None:
        self._record(
            entry_id,
            Kind.DENTAL,
            check_date,
            {"practitioner_id": practitioner_id},
            facts,
            "check_date",
            source,
            source_version,
        )

    def record_immunisation_status(
        self,
        *,
        entry_id: UUID,
        date_checked: date,
        up_to_date: bool,
        facts: ChildFacts,
        source: str | None = None,
        source_version: str | None = None,
    ) -> None:
        self._record(
            entry_id,
            Kind.IMMUNISATIONS,
            date_checked,
            {"up_to_date": up_to_date},
            facts,
            "date_checked",
            source,
            source_version,
        )

    def record_development_check(
        self,
        *,
        entry_id: UUID,
        check_date: date,
        practitioner_id: str | None,
        facts: ChildFacts,
    ) -> None:
        details = {"practitioner_id": practitioner_id}
        if self._already(entry_id, Kind.DEVELOPMENT, check_date, details, None, None):
            return
        if age_on(facts.date_of_birth, check_date) >= UNDER_FIVE:
            raise errors.DevelopmentCheckNotUnderFive(
                "development checks are for children under 5 on the day", "check_date"
            )
        self._record(entry_id, Kind.DEVELOPMENT, check_date, details, facts, "check_date")

    def record_sdq(
        self,
        *,
        entry_id: UUID,
        sdq_date: date,
        score: int | None,
        reason: str | None,
        facts: ChildFacts,
        source: str | None = None,
        source_version: str | None = None,
    ) -> None:
        if (score is None) == (reason is None):
            raise errors.ScoreOrReason(
                "give the total difficulties score or the SSDA903 reason it was not completed "
                "(not both)",
                "score" if score is not None else "reason",
            )
        _code(SDQ_REASONS, reason, "reason")
        details = {"score": score, "reason": reason}
        if self._already(entry_id, Kind.SDQ, sdq_date, details, source, source_version):
            return
        age = age_on(facts.date_of_birth, sdq_date)
        if score is not None:
            if not 0 <= score <= SDQ_SCORE_MAX:
                raise errors.ScoreOutOfRange(
                    f"an SDQ total difficulties score is 0 to {SDQ_SCORE_MAX}, not {score}",
                    "score",
                )
            if not SDQ_MIN_AGE <= age <= SDQ_MAX_AGE:
                raise errors.SdqAgeMismatch(
                    f"SDQ questionnaires are for ages {SDQ_MIN_AGE}-{SDQ_MAX_AGE}; the child was "
                    f"{age}",
                    "sdq_date",
                )
        elif reason == "SDQ1" and 4 <= age <= 16:
            raise errors.SdqAgeMismatch(
                f"SDQ1 says the child was under 4 or over 16, and the child was {age} "
                "(SSDA903 rule 157)",
                "reason",
            )
        self._record(
            entry_id, Kind.SDQ, sdq_date, details, facts, "sdq_date", source, source_version
        )

    def record_substance_misuse(
        self,
        *,
        entry_id: UUID,
        recorded_date: date,
        identified: bool,
        intervention_offered: bool | None,
        intervention_received: bool | None,
        facts: ChildFacts,
    ) -> None:
        if not identified and (intervention_offered or intervention_received):
            raise errors.InterventionWithoutMisuse(
                "interventions are recorded where substance misuse was identified",
                "intervention_offered" if intervention_offered else "intervention_received",
            )
        if intervention_received and intervention_offered is False:
            raise errors.ReceivedWithoutOffered(
                "an intervention received was offered", "intervention_offered"
            )
        details = {
            "identified": identified,
            "intervention_offered": intervention_offered,
            "intervention_received": intervention_received,
        }
        self._record(
            entry_id, Kind.SUBSTANCE_MISUSE, recorded_date, details, facts, "recorded_date"
        )

    def name_lead_health_professional(
        self, *, entry_id: UUID, effective_date: date, professional_id: str, facts: ChildFacts
    ) -> None:
        self._record(
            entry_id,
            Kind.LEAD_PROFESSIONAL,
            effective_date,
            {"professional_id": professional_id},
            facts,
            "effective_date",
        )

    def agree_health_plan(self, *, entry_id: UUID, agreed_date: date, facts: ChildFacts) -> None:
        self._record(entry_id, Kind.PLAN_AGREED, agreed_date, {}, facts, "agreed_date")

    def review_health_plan(self, *, entry_id: UUID, reviewed_date: date, facts: ChildFacts) -> None:
        if self._already(entry_id, Kind.PLAN_REVIEWED, reviewed_date, {}, None, None):
            return
        if not any(p.day <= reviewed_date for p in self.standing(Kind.PLAN_AGREED)):
            raise errors.HealthPlanNotAgreed(
                "no health plan was agreed on or before this date", "reviewed_date"
            )
        self._record(entry_id, Kind.PLAN_REVIEWED, reviewed_date, {}, facts, "reviewed_date")

    def void_entry(
        self, *, entry_id: UUID, reason: str, note: str | None, facts: ChildFacts | None = None
    ) -> None:
        """Take an entry out of the record (recorded in error); the original stays in history."""
        _code(VOID_REASONS, reason, "reason")
        if note is not None and len(note) > NOTE_MAX:
            raise errors.NoteTooLong(f"a note is at most {NOTE_MAX} characters", "note")
        found = self.entry(entry_id)
        if found.voided:
            if self._voided_for.get(entry_id) == reason:
                return  # the same correction again: already in the record
            raise errors.EntryAlreadyVoided("this entry was already taken out", "entry_id")
        self._check_not_needed(found)
        self._voided(
            child_id=self.child_id,
            entry_id=entry_id,
            effective_date=found.day,
            kind=str(found.kind),
            reason=reason,
            note=note,
        )

    # ----------------------------------------------------------------- helpers

    def _already(
        self,
        entry_id: UUID,
        kind: Kind,
        day: date,
        details: Mapping[str, Any],
        source: str | None,
        source_version: str | None,
    ) -> bool:
        """True if this very fact is in the record (a retry); `DuplicateEntryId` if the id is
        taken by another fact."""
        if source is not None and self.has_source(source, source_version):
            return True
        for e in self._entries:
            if e.id == entry_id:
                if e.same_fact(kind, day, details):
                    return True
                raise errors.DuplicateEntryId(
                    f"entry {entry_id} is already recorded with other facts", "entry_id"
                )
        return False

    def _record(
        self,
        entry_id: UUID,
        kind: Kind,
        day: date,
        details: Mapping[str, Any],
        facts: ChildFacts,
        date_field: str,
        source: str | None = None,
        source_version: str | None = None,
    ) -> None:
        if self._already(entry_id, kind, day, details, source, source_version):
            return
        if day > today():
            raise errors.DateInFuture(f"{day.isoformat()} is in the future", date_field)
        if day < facts.date_of_birth:
            raise errors.DateBeforeBirth(
                f"{day.isoformat()} is before the child's date of birth", date_field
            )
        if source is not None:
            for earlier in self._entries:
                if earlier.source == source and not earlier.voided:
                    # A newer version of the same resource: it replaces what it said before.
                    self._check_not_needed(earlier, replacing_with=(kind, day))
                    self._voided(
                        child_id=self.child_id,
                        entry_id=earlier.id,
                        effective_date=earlier.day,
                        kind=str(earlier.kind),
                        reason="SUPERSEDED",
                        note=None,
                    )
        self._recorded(
            child_id=self.child_id,
            entry_id=entry_id,
            kind=str(kind),
            effective_date=day,
            details=dict(details),
            source=source,
            source_version=source_version,
        )

    def _check_not_needed(
        self, entry: Entry, replacing_with: tuple[Kind, date] | None = None
    ) -> None:
        """An IHA or agreed plan cannot go while later entries rest on it alone."""
        needs = {Kind.IHA: Kind.RHA, Kind.PLAN_AGREED: Kind.PLAN_REVIEWED}.get(entry.kind)
        if needs is None:
            return
        others = [e for e in self.standing(entry.kind) if e.id != entry.id]
        if replacing_with is not None and replacing_with[0] == entry.kind:
            others.append(replace(entry, day=replacing_with[1]))
        for dependant in self.standing(needs):
            if dependant.day >= entry.day and not any(o.day <= dependant.day for o in others):
                raise errors.EntryNeeded(
                    f"the {needs.value.replace('_', ' ')} of {dependant.day.isoformat()} rests on "
                    "this entry: take that out first",
                    "entry_id",
                )

    @property
    def _voided_for(self) -> dict[UUID, str]:
        return getattr(self, "_void_reasons", {})

    # ----------------------------------------------------------------- events

    @event("EntryRecorded")
    def _recorded(
        self,
        child_id: UUID,
        entry_id: UUID,
        kind: str,
        effective_date: date,
        details: dict[str, Any],
        source: str | None,
        source_version: str | None,
    ) -> None:
        entry = Entry(
            id=entry_id,
            kind=Kind(kind),
            day=effective_date,
            details=details,
            source=source,
            source_version=source_version,
        )
        self._entries = sorted([*self._entries, entry], key=lambda e: (e.day, str(e.id)))

    @event("EntryVoided")
    def _voided(
        self,
        child_id: UUID,
        entry_id: UUID,
        effective_date: date,
        kind: str,
        reason: str,
        note: str | None,
    ) -> None:
        self._entries = [replace(e, voided=True) if e.id == entry_id else e for e in self._entries]
        reasons = dict(getattr(self, "_void_reasons", {}))
        reasons[entry_id] = reason
        self._void_reasons = reasons


def standing_entries(entries: Sequence[Entry]) -> list[Entry]:
    return [e for e in entries if not e.voided]
