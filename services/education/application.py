"""The education application: each child's `EducationRecord`, changed through the command cycle.

A child is known to education once casefile has registered them (learnt from
casefile's integration events, `CasefileFacts`); any command then may start the
record. Every command is given the school calendar (data, `EducationSettings.
school_calendar`), which decides which school moves are mid-year.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.utils import EnvType

from services.education.domain import ENGLAND, EducationRecord, SchoolCalendar
from services.education.domain.errors import NotKnownChild
from shared.commands import Command
from shared.domain_errors import NotFound
from shared.service_application import ServiceApplication


class Education(ServiceApplication[EducationRecord]):
    """School, PEPs, attendance and exclusions of children in care."""

    name = "education"

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)
        self.calendar: SchoolCalendar = ENGLAND
        #: The child's date of birth if casefile has registered them (wired by the bootstrap).
        self.registered: Callable[[UUID], date | None] = lambda child_id: None

    def aggregate_id(self, child_id: UUID) -> UUID:
        return EducationRecord.create_id(child_id)

    def new_aggregate(self, child_id: UUID) -> EducationRecord:
        return EducationRecord(child_id=child_id)

    def not_found(self, child_id: UUID) -> NotFound:
        return NotFound(f"no education record for child {child_id}", "child_id")

    def context(self, child_id: UUID, command: Command) -> Mapping[str, Any]:
        if self.registered(child_id) is None:
            raise NotKnownChild(
                f"the casefile service has not registered child {child_id}", "child_id"
            )
        return {"calendar": self.calendar}
