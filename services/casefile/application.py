"""The casefile application: children's case records as `Child` aggregates.

Every change but registration goes through the shared command cycle
(`ServiceApplication.execute` with a command from `domain/commands.py`).
Registration starts the aggregate; the queries read the record now or as it
was recorded at a moment. The event store is chosen by the environment
(`PERSISTENCE_MODULE`; unset, the in-memory store the unit tests use).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import EnvType

from services.casefile.domain.break_glass import BreakGlass, BreakGlassGrant
from services.casefile.domain.child import Child
from services.casefile.domain.commands import RegisterChild
from services.casefile.domain.errors import (
    BreakGlassGrantNotFound,
    ChildAlreadyRegistered,
    ChildNotFound,
)
from services.casefile.domain.retention import Erasure, retention_of
from services.casefile.domain.summary import CaseSummary, case_summary
from services.casefile.domain.timescales import DEFAULT_TIMESCALES, StatutoryTimescales
from shared.dates import today
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

    def records_of(self, child_id: UUID) -> list[UUID]:
        """The child's case record and the record of break-glass access to it (erased together)."""
        return [child_id, BreakGlass.create_id(child_id)]

    # ------------------------------------------------------------------ break-glass

    def break_glass(self, child_id: UUID) -> BreakGlass | None:
        """The break-glass grants to the child's record; None if there never was one."""
        try:
            access: BreakGlass = self.repository.get(BreakGlass.create_id(child_id))
        except AggregateNotFoundError:
            return None
        return access

    def grant_break_glass(
        self, child_id: UUID, *, user_id: str, role: str, reason: str, lasting: timedelta
    ) -> BreakGlassGrant:
        """Record a break-glass grant to the child (or return the user's open one).

        `ChildNotFound` for a child never registered: nothing is recorded. The
        grant names the child's team today, whose manager is told.
        """
        allocation = self.get_case(child_id).allocation_on(today())
        team = allocation.team if allocation is not None else None
        for _ in range(self.save_attempts):
            access = self.break_glass(child_id) or BreakGlass(child_id=str(child_id))
            before = len(access.pending_events)
            granted = access.grant(
                user_id=user_id,
                role=role,
                reason=reason,
                team=team,
                at=datetime.now(UTC),
                lasting=lasting,
            )
            if len(access.pending_events) == before:
                return granted  # the user's grant is still open
            try:
                self.save(access)
            except IntegrityError:
                continue  # another grant or review came first: decide again on the newer record
            return granted
        raise IntegrityError(f"{self.save_attempts} break-glass grants to {child_id} lost races")

    def review_break_glass(
        self, child_id: UUID, *, grant_id: UUID, reviewer_id: str, note: str
    ) -> int:
        """Record a manager's review of one grant; returns the break-glass record's version."""
        for _ in range(self.save_attempts):
            access = self.break_glass(child_id)
            if access is None:
                raise BreakGlassGrantNotFound(grant_id)
            before = len(access.pending_events)
            access.review(
                grant_id=grant_id, reviewer_id=reviewer_id, note=note, at=datetime.now(UTC)
            )
            if len(access.pending_events) == before:
                return access.version  # this review is already recorded (a retry)
            try:
                self.save(access)
            except IntegrityError:
                continue
            return access.version
        raise IntegrityError(f"{self.save_attempts} break-glass reviews of {child_id} lost races")

    # ------------------------------------------------------------------ queries

    def get_case(self, child_id: UUID) -> Child:
        """The child's record as it stands now."""
        return self.load(child_id)

    def case_as_of(self, child_id: UUID, recorded_by: datetime | None = None) -> Child:
        """The child's record as it was recorded by `recorded_by` (`ChildNotFound` if none)."""
        return self.load_as_recorded(child_id, recorded_by)

    def summarise_case(self, child_id: UUID, *, as_at: date | None = None) -> CaseSummary:
        """`case_summary` of the child's record now, on `as_at` (default today)."""
        return case_summary(self.get_case(child_id), as_at=as_at, timescales=self.timescales)

    # ------------------------------------------------------------------ retention

    def retention_ends(self, child_id: UUID) -> date:
        """The first day the child's record may be erased (reg. 50)."""
        return retention_of(self.get_case(child_id))

    def erasure_of(self, child_id: UUID) -> Erasure | None:
        """The record of the child's erasure, if there is one."""
        try:
            erasure: Erasure = self.repository.get(Erasure.create_id(child_id))
        except AggregateNotFoundError:
            return None
        return erasure

    def erase_child(self, child_id: UUID, reason: str, on: date | None = None) -> Erasure:
        """Erases the child's record, once its retention has ended.

        The erasure is recorded first (its own record, naming only the child's
        pseudonymous id), then the keys are destroyed; every service follows
        the integration event and erases its own records. Asked again, it
        answers with the first erasure and finishes anything left undone.
        """
        erasure = self.erasure_of(child_id)
        if erasure is None:
            erasure = Erasure.of(self.get_case(child_id), reason=reason, on=on or today())
            try:
                self.save(erasure)
            except IntegrityError:  # erased at the same moment by someone else
                erasure = self.repository.get(erasure.id)
        self.erase_records(child_id)
        return erasure
