"""The placements application: commands and queries over children's placement histories.

Each command loads the child's `PlacementHistory` (one aggregate per child, id
derived from the child id), calls one domain method and saves, so every command
is one atomic save. Which event store is used is chosen by the environment
(`PERSISTENCE_MODULE`), never here.

Periods of care belong to the casefile service. The caller passes the child's
periods (learnt from casefile's integration events through a projection) into
every command; the domain checks that placements lie within one.

`expected_version` backs the API's If-Match: when given, the command refuses
with `VersionConflict` unless the history is at exactly that version (0 for a
child with no history yet), including when another write lands between the
check and the save (the event store's optimistic concurrency raises
`IntegrityError`). Without it, a command that loses such a race is run again on
the newer history, where every rule is checked afresh.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.placements.domain import (
    PeriodOfCare,
    PlacementHistory,
    PlacementSetting,
    VersionConflict,
)
from shared.domain_errors import NotFound
from shared.service_application import ServiceApplication


class Placements(ServiceApplication):
    """Placements and moves of children in care.

    A `ServiceApplication`: dates are stored as ISO dates (transcoding "date_iso")
    and the envelope mapper puts `child_id` and `effective_date` in the audit headers.
    """

    name = "placements"

    #: How often a command without `expected_version` is tried against a history
    #: that other writers keep changing.
    ATTEMPTS = 3

    # ---------------------------------------------------------------- commands

    def start_placement(
        self,
        child_id: UUID,
        periods_of_care: Sequence[PeriodOfCare],
        *,
        effective_date: date,
        placement_type: str,
        setting: PlacementSetting | None = None,
        short_break: bool = False,
        placement_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> int:
        """The child starts living somewhere (first placement of a period of care)."""
        new_id = placement_id or uuid4()
        return self._execute(
            child_id,
            expected_version,
            lambda history: history.start_placement(
                placement_id=new_id,
                effective_date=effective_date,
                placement_type=placement_type,
                setting=setting or PlacementSetting(),
                periods_of_care=periods_of_care,
                short_break=short_break,
            ),
            create=True,
        )

    def change_placement(
        self,
        child_id: UUID,
        periods_of_care: Sequence[PeriodOfCare],
        *,
        effective_date: date,
        placement_type: str,
        reason_place_change: str | None,
        setting: PlacementSetting | None = None,
        short_break: bool = False,
        placement_id: UUID | None = None,
        from_placement_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> int:
        """The child moves: the current placement ends and the new one starts, in one event.

        `from_placement_id`, when given, must name the current placement.
        """
        new_id = placement_id or uuid4()

        def move(history: PlacementHistory) -> None:
            if from_placement_id is not None:
                history.check_current(from_placement_id)
            history.change_placement(
                placement_id=new_id,
                effective_date=effective_date,
                placement_type=placement_type,
                setting=setting or PlacementSetting(),
                reason_place_change=reason_place_change,
                periods_of_care=periods_of_care,
                short_break=short_break,
            )

        return self._execute(child_id, expected_version, move)

    def end_placement(
        self,
        child_id: UUID,
        periods_of_care: Sequence[PeriodOfCare],
        *,
        placement_id: UUID,
        effective_date: date,
        expected_version: int | None = None,
    ) -> int:
        """The placement ends without a move (the child leaves care)."""
        return self._execute(
            child_id,
            expected_version,
            lambda history: history.end_placement(
                placement_id=placement_id,
                effective_date=effective_date,
                periods_of_care=periods_of_care,
            ),
        )

    def record_placed_for_adoption(
        self,
        child_id: UUID,
        periods_of_care: Sequence[PeriodOfCare],
        *,
        effective_date: date,
        placement_type: str,
        adopters: PlacementSetting | None = None,
        reason_place_change: str | None = None,
        placement_id: UUID | None = None,
        from_placement_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> int:
        """The child is placed for adoption: with the current foster carers (A3/A5,
        `adopters` omitted) or with new adopters (A4/A6).

        `from_placement_id`, when given, must name the current placement."""
        new_id = placement_id or uuid4()

        def place(history: PlacementHistory) -> None:
            if from_placement_id is not None:
                history.check_current(from_placement_id)
            history.record_placed_for_adoption(
                placement_id=new_id,
                effective_date=effective_date,
                placement_type=placement_type,
                periods_of_care=periods_of_care,
                adopters=adopters,
                reason_place_change=reason_place_change,
            )

        return self._execute(child_id, expected_version, place)

    def record_staying_put(
        self,
        child_id: UUID,
        periods_of_care: Sequence[PeriodOfCare],
        *,
        effective_date: date,
        placement_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> int:
        """The young person stays with their foster carers after leaving care at 18."""
        return self._execute(
            child_id,
            expected_version,
            lambda history: history.record_staying_put(
                effective_date=effective_date,
                periods_of_care=periods_of_care,
                placement_id=placement_id,
            ),
        )

    # ----------------------------------------------------------------- queries

    def get_history(self, child_id: UUID) -> PlacementHistory:
        """The child's placement history; `NotFound` if nothing was ever recorded."""
        history = self._existing(child_id)
        if history is None:
            raise NotFound(f"no placement history for child {child_id}")
        return history

    # ----------------------------------------------------------------- helpers

    def _existing(self, child_id: UUID) -> PlacementHistory | None:
        try:
            history: Any = self.repository.get(PlacementHistory.create_id(child_id))
        except AggregateNotFoundError:
            return None
        assert isinstance(history, PlacementHistory)
        return history

    def _history(
        self, child_id: UUID, expected_version: int | None, create: bool = False
    ) -> PlacementHistory:
        history = self._existing(child_id)
        actual = history.version if history is not None else 0
        if expected_version is not None and expected_version != actual:
            raise VersionConflict(expected_version, actual)
        if history is None:
            if not create:
                raise NotFound(f"no placement history for child {child_id}")
            history = PlacementHistory(child_id=child_id)
        return history

    def _execute(
        self,
        child_id: UUID,
        expected_version: int | None,
        command: Callable[[PlacementHistory], None],
        create: bool = False,
    ) -> int:
        """Load, run one domain command, save atomically; return the new version."""
        loaded = 0
        for _ in range(self.ATTEMPTS):
            history = self._history(child_id, expected_version, create)
            loaded = history.version - len(history.pending_events)  # 0 when just created
            command(history)
            try:
                self.save(history)
            except IntegrityError:
                if expected_version is not None:
                    raise VersionConflict(expected_version, self._version(child_id)) from None
                continue
            return history.version
        raise VersionConflict(loaded, self._version(child_id))

    def _version(self, child_id: UUID) -> int:
        history = self._existing(child_id)
        return history.version if history is not None else 0
