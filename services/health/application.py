"""The health application: each child's health record as one `HealthRecord`.

Every change goes through the shared command cycle (`ServiceApplication.execute`
with a command from `domain/commands.py`); the first fact starts the record.
What casefile knows of the child (date of birth, periods of care) is learnt from
its integration events (`shared.casefile_facts.CasefileFacts`) and given to every
command as `ChildFacts`: a child casefile has not told health of has no record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import EnvType

from services.health.domain import ChildFacts, HealthRecord
from services.health.domain.errors import ChildNotKnown
from shared.commands import Command
from shared.domain_errors import NotFound
from shared.service_application import ServiceApplication

KnownFacts = Callable[[UUID], ChildFacts | None]


class Health(ServiceApplication[HealthRecord]):
    """Health records of children in care."""

    name = "health"

    def __init__(self, env: EnvType | None = None) -> None:
        super().__init__(env)
        #: What casefile told this service of a child: the read model, once wired.
        self.child_facts: KnownFacts = lambda child_id: None

    def aggregate_id(self, child_id: UUID) -> UUID:
        return HealthRecord.create_id(child_id)

    def new_aggregate(self, child_id: UUID) -> HealthRecord:
        return HealthRecord(child_id=child_id)

    def not_found(self, child_id: UUID) -> NotFound:
        return NotFound(f"no health record for child {child_id}", "child_id")

    def context(self, child_id: UUID, command: Command) -> Mapping[str, Any]:
        facts = self.child_facts(child_id)
        if facts is None:
            raise ChildNotKnown(
                f"the casefile service has not told health of child {child_id}", "child_id"
            )
        return {"facts": facts}

    def record_as_of(self, child_id: UUID, recorded_by: datetime | None = None) -> HealthRecord:
        """The child's record as recorded by `recorded_by` (recorded time; naive is UTC)."""
        return self.load_as_recorded(child_id, recorded_by)
