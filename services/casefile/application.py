"""The casefile application: children's case records as `Child` aggregates.

Every change but registration goes through the shared command cycle
(`ServiceApplication.execute` with a command from `domain/commands.py`).
Registration starts the aggregate; the queries read the record now or as it
was recorded at a moment. The event store is chosen by the environment
(`PERSISTENCE_MODULE`; unset, the in-memory store the unit tests use).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import cast
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import EnvType

from services.casefile.domain.child import Child
from services.casefile.domain.commands import RegisterChild
from services.casefile.domain.errors import ChildAlreadyRegistered, ChildNotFound
from services.casefile.domain.summary import CaseSummary, case_summary
from services.casefile.domain.timescales import DEFAULT_TIMESCALES, StatutoryTimescales
from shared.domain_errors import NotFound
from shared.service_application import ServiceApplication


class Casefile(ServiceApplication[Child]):
    """Children's case records: commands and queries over `Child` aggregates."""

    name = "casefile"

    def __init__(
        self, env: EnvType | None = None, *, timescales: StatutoryTimescales | None = None
    ) -> None:
        super().__init__(env)
        self.timescales = timescales or DEFAULT_TIMESCALES

    def not_found(self, child_id: UUID) -> NotFound:
        return ChildNotFound(child_id)

    def register_child(self, command: RegisterChild) -> UUID:
        """Register a child and return their id (`Child.create_id(local_child_id)`).

        The record starts at version 1. Registering the same child again with
        the same details returns the same id and records nothing; with other
        details it is refused.
        """
        child = Child.register(**command.arguments())
        try:
            existing = self.load(child.id)
        except ChildNotFound:
            try:
                self.save(child)
            except IntegrityError:
                existing = self.load(child.id)
            else:
                return child.id
        if existing.details != child.details:
            raise ChildAlreadyRegistered(
                f"a child with local child id {child.details.local_child_id} is already "
                "registered, with other details",
                field="local_child_id",
            )
        return child.id

    # ------------------------------------------------------------------ queries

    def get_case(self, child_id: UUID) -> Child:
        """The child's record as it stands now."""
        return self.load(child_id)

    def case_as_of(self, child_id: UUID, recorded_by: datetime | None = None) -> Child:
        """The child's record as it was recorded by `recorded_by` (recorded time).

        Replays only the events recorded by then, so a backdated entry made later
        does not rewrite what the record said at the time. A naive datetime is
        taken as UTC. Raises `ChildNotFound` if nothing was recorded by then.
        """
        if recorded_by is None:
            return self.get_case(child_id)
        if recorded_by.tzinfo is None:
            recorded_by = recorded_by.replace(tzinfo=UTC)
        version: int | None = None
        # Events are stored in version order; their timestamps are the recorded times.
        for domain_event in self.events.get(child_id):
            if cast("Aggregate.Event", domain_event).timestamp > recorded_by:
                break
            version = domain_event.originator_version
        if version is None:
            raise ChildNotFound(child_id)
        child: Child = self.repository.get(child_id, version=version)
        return child

    def summarise_case(self, child_id: UUID, *, as_at: date | None = None) -> CaseSummary:
        """`case_summary` of the child's record now, on `as_at` (default today)."""
        return case_summary(self.get_case(child_id), as_at=as_at, timescales=self.timescales)
