"""Late corrections to a child's placement history: amend, insert a missed one, void.

A placement history is corrected, never rewritten: each correction is an event
of its own (`PlacementAmended`, `PlacementInserted`, `PlacementVoided`),
appended after the events it corrects, carrying why (`reason`, a code from
`CORRECTION_REASONS`, and an optional bounded `note`); who made it is in the
audit envelope and when in the event's timestamp. The original events stay in
the history, so the record as it stood before the correction can still be
replayed (recorded time), while every figure as of a date uses the corrected
history (valid time). See docs/adr/0018-corrections-and-recorded-time.md.

Each correction event carries the resulting state of every placement it
touched (`spans`) and the placements it removed (`removed`), so replaying it,
and projecting it, needs no rule: the rules are checked here, before the event
exists (ADR 0007).

Keeping the history consistent:

- **Amend** a placement's start, end, type or carer. A move joins two
  placements on one day, so moving the start of a placement entered by a move
  moves the end of the one before (and moving the end of one left by a move
  moves the start of the next). The result must still be in order, without
  overlaps, within one period of care and not in the future.
- **Insert** a placement that was missed, between `start_date` and `end_date`.
  The placement running on `start_date` now ends then; the one starting before
  `end_date` now starts then. A placement wholly inside the new one, or a new
  one wholly inside another, is refused (void or amend that one first).
- **Void** a placement recorded in error. If it was entered by a move, the
  placement before it continues through its days (the move did not happen);
  otherwise its days become a gap in the record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from itertools import pairwise
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from services.placements.domain.errors import (
    DatesOutOfOrder,
    DuplicatePlacementId,
    OutsidePeriodOfCare,
    PlacementNotFound,
    PlacementsOverlap,
    TemporaryPlacementNotAllowed,
    UnknownCode,
)
from services.placements.domain.period_of_care import PeriodOfCare, period_covering
from shared.domain_errors import RuleBroken
from shared.ssda903 import codes

if TYPE_CHECKING:  # model.py imports this module: its names are imported where used
    from services.placements.domain.model import (
        Placement,
        PlacementHistory,
        PlacementSetting,
        StayingPut,
    )

#: Why a placement was corrected: a required code, so corrections can be counted.
CORRECTION_REASONS: dict[str, str] = {
    "KEYING": "a keying or data-entry error",
    "LATE": "the fact was notified or recorded late",
    "WRONG-CHILD": "recorded against the wrong child",
    "DUPLICATE": "recorded twice",
    "AUDIT": "found by an audit or data-quality check",
    "COURT": "a court or legal direction",
    "OTHER": "another reason, given in the note",
}
#: The longest note a correction may carry (free text lives only in `note`, ADR 0010).
NOTE_MAX = 500


class UnknownCorrectionReason(RuleBroken):
    """A correction names why it was made, from `CORRECTION_REASONS`."""


class NothingToCorrect(RuleBroken):
    """A correction that changes nothing, or cannot be made to this placement."""


class PlacementVoidedAlready(RuleBroken):
    """A voided placement is no longer in the history and cannot be corrected."""


# -------------------------------------------------------------------- events


def _span(placement: Placement) -> dict[str, Any]:
    """A placement as plain, transcodable values (dates as ISO text)."""
    s = placement.setting
    return {
        "placement_id": str(placement.id),
        "start": placement.start.isoformat(),
        "end": placement.end.isoformat() if placement.end else None,
        "placement_type": placement.placement_type,
        "short_break": placement.short_break,
        "reason_place_change": placement.reason_place_change,
        "provider": s.provider,
        "urn": s.urn,
        "postcode": s.postcode,
        "home_postcode": s.home_postcode,
        "inside_council_area": s.inside_council_area,
        "distance_from_home_miles": s.distance_from_home_miles,
        "carer_id": s.carer_id,
    }


def placement_of(span: dict[str, Any]) -> Placement:
    """The `Placement` a correction's span describes."""
    from services.placements.domain.model import Placement, PlacementSetting

    return Placement(
        id=UUID(span["placement_id"]),
        start=date.fromisoformat(span["start"]),
        end=date.fromisoformat(span["end"]) if span["end"] else None,
        placement_type=span["placement_type"],
        short_break=bool(span["short_break"]),
        reason_place_change=span["reason_place_change"],
        setting=PlacementSetting(
            provider=span["provider"],
            urn=span["urn"],
            postcode=span["postcode"],
            home_postcode=span["home_postcode"],
            inside_council_area=span["inside_council_area"],
            distance_from_home_miles=span["distance_from_home_miles"],
            carer_id=span["carer_id"],
        ),
    )


class PlacementCorrected(Aggregate.Event):
    """Base of the correction events: the resulting placements, and why."""

    child_id: UUID
    effective_date: date
    placement_id: UUID
    reason: str
    note: str | None
    #: The resulting state of every placement the correction touched (`_span`).
    spans: list[dict[str, Any]]
    #: Placements the correction took out of the history (as ids, text).
    removed: list[str]

    def apply(self, aggregate: Any) -> None:
        history: PlacementHistory = aggregate
        gone = {UUID(i) for i in self.removed}
        changed = {placement.id: placement for placement in map(placement_of, self.spans)}
        voided = dict(getattr(history, "voided", {}))
        voided.update({p.id: p for p in history._placements if p.id in gone})
        history.voided = voided
        kept = [changed.pop(p.id, p) for p in history._placements if p.id not in gone]
        history._placements = sorted([*kept, *changed.values()], key=lambda p: p.start)


class PlacementAmended(PlacementCorrected):
    """A placement's dates, type or carer were corrected (and a neighbour's joining day)."""


class PlacementInserted(PlacementCorrected):
    """A placement missed at the time was entered late (its neighbours trimmed to fit)."""


class PlacementVoided(PlacementCorrected):
    """A placement recorded in error was taken out of the history (the original stays)."""


# ------------------------------------------------------------------ commands


class PlacementCorrections:
    """The correction commands of `PlacementHistory` (a base class of it)."""

    _placements: list[Placement]
    child_id: UUID
    #: Placements voided, by id (set by the first `PlacementVoided`; older records lack it).
    voided: dict[UUID, Placement]
    staying_put: StayingPut | None

    def amend_placement(
        self,
        *,
        placement_id: UUID,
        reason: str,
        periods_of_care: Sequence[PeriodOfCare],
        note: str | None = None,
        start_date: date | None = None,
        end_date: date | None = None,
        placement_type: str | None = None,
        carer_id: str | None = None,
    ) -> None:
        """Correct a placement's start, end, type or carer. The same correction again
        (a retry, or a change already made) records nothing."""
        from services.placements.domain.model import _checked_setting

        _check_reason(reason)
        placement = self._correctable(placement_id)
        if end_date is not None and placement.end is None:
            raise NothingToCorrect(
                "an open placement ends by a move or an end, not by a correction", "end_date"
            )
        new_type = placement_type or placement.placement_type
        if (new_type in codes.TEMPORARY_PLACEMENTS) != placement.temporary:
            raise TemporaryPlacementNotAllowed(
                "a correction does not turn a placement into a temporary one or back "
                "(SSDA903 rules 226, 383): void it and insert the right one",
                "placement_type",
            )
        setting: PlacementSetting = placement.setting
        if carer_id is not None:
            setting = replace(setting, carer_id=carer_id)
        setting = _checked_setting(new_type, setting, placement.short_break)
        start = start_date or placement.start
        end = end_date or placement.end
        amended = replace(placement, start=start, end=end, placement_type=new_type, setting=setting)
        if amended == placement:
            return  # nothing to change: already corrected (a retry)
        changes = {placement.id: amended}
        before = self._ending_on(placement.start)
        if before is not None and start != placement.start:
            changes[before.id] = replace(before, end=start)
        after = self._starting_on(placement.end) if placement.end else None
        if after is not None and end != placement.end:
            assert end is not None
            changes[after.id] = replace(after, start=end)
        result = self._with(changes)
        _check_timeline(result, changes.values(), periods_of_care)
        self._trigger(
            PlacementAmended,
            placement_id=placement_id,
            effective_date=min(start, placement.start),
            reason=reason,
            note=note,
            spans=[_span(p) for p in changes.values()],
            removed=[],
        )

    def insert_placement(
        self,
        *,
        placement_id: UUID,
        start_date: date,
        end_date: date,
        placement_type: str,
        setting: PlacementSetting,
        reason: str,
        periods_of_care: Sequence[PeriodOfCare],
        note: str | None = None,
        short_break: bool = False,
        reason_place_change: str | None = None,
    ) -> None:
        """Enter a placement missed at the time, from `start_date` to `end_date`.

        The placement running on `start_date` ends then, the one running on
        `end_date` starts then. The same placement again (a retry) records nothing.
        """
        from services.placements.domain.model import Placement, _checked_setting

        _check_reason(reason)
        if any(
            p.id == placement_id and p.start == start_date and p.end == end_date
            for p in self._placements
        ):
            return  # already inserted: a retry
        if any(p.id == placement_id for p in self._placements) or placement_id in getattr(
            self, "voided", {}
        ):
            raise DuplicatePlacementId(
                f"placement {placement_id} is already in this history", "placement_id"
            )
        if end_date <= start_date:
            raise DatesOutOfOrder("a placement ends after the day it starts", "end_date")
        if placement_type in codes.TEMPORARY_PLACEMENTS:
            raise TemporaryPlacementNotAllowed(
                "a missed temporary stay is entered by amending the moves around it, not as "
                "a placement of its own (SSDA903 rules 380, 383)",
                "placement_type",
            )
        if reason_place_change is not None and not codes.is_valid(
            codes.REASON_PLACE_CHANGE, reason_place_change
        ):
            raise UnknownCode(
                f"{reason_place_change!r} is not an SSDA903 REASON_PLACE_CHANGE code",
                "reason_place_change",
            )
        setting = _checked_setting(placement_type, setting, short_break)
        inserted = Placement(
            id=placement_id,
            start=start_date,
            end=end_date,
            placement_type=placement_type,
            setting=setting,
            short_break=short_break,
            reason_place_change=reason_place_change,
        )
        changes: dict[UUID, Placement] = {placement_id: inserted}
        for p in self._placements:
            if (p.end is not None and p.end <= start_date) or p.start >= end_date:
                continue  # wholly before or after
            if p.start < start_date and (p.end is None or p.end > end_date):
                raise PlacementsOverlap(
                    f"placement {p.id} runs through the whole of the new one; amend or void it "
                    "first",
                    "start_date",
                )
            if p.start < start_date:
                changes[p.id] = replace(p, end=start_date)
            elif p.end is None or p.end > end_date:
                changes[p.id] = replace(p, start=end_date)
            else:
                raise PlacementsOverlap(
                    f"placement {p.id} ({p.start} to {p.end}) lies within the new one; void it "
                    "first",
                    "end_date",
                )
        _check_timeline(self._with(changes), changes.values(), periods_of_care)
        self._trigger(
            PlacementInserted,
            placement_id=placement_id,
            effective_date=start_date,
            reason=reason,
            note=note,
            spans=[_span(p) for p in changes.values()],
            removed=[],
        )

    def void_placement(
        self,
        *,
        placement_id: UUID,
        reason: str,
        note: str | None = None,
        periods_of_care: Sequence[PeriodOfCare] = (),
    ) -> None:
        """Take a placement recorded in error out of the history. Again: records nothing.

        (`periods_of_care` is accepted as every command's context; voiding cannot take a
        placement out of care, as the one continuing was in care on those days.)
        """
        _check_reason(reason)
        if placement_id in getattr(self, "voided", {}):
            return  # already voided: a retry
        placement = self._correctable(placement_id)
        if self.staying_put is not None and self.staying_put.placement_id == placement_id:
            raise NothingToCorrect(
                "Staying Put continues this placement; it cannot be voided", "placement_id"
            )
        changes: dict[UUID, Placement] = {}
        before = self._ending_on(placement.start)
        if before is not None:
            # Entered by a move that did not happen: the child stayed where they were.
            changes[before.id] = replace(
                before, end=placement.end, reason_place_change=placement.reason_place_change
            )
        self._trigger(
            PlacementVoided,
            placement_id=placement_id,
            effective_date=placement.start,
            reason=reason,
            note=note,
            spans=[_span(p) for p in changes.values()],
            removed=[str(placement_id)],
        )

    # -------------------------------------------------------------- helpers

    def _trigger(self, event_class: type[PlacementCorrected], **fields: Any) -> None:
        aggregate: Any = self  # a PlacementHistory: `trigger_event` is Aggregate's
        aggregate.trigger_event(event_class, child_id=self.child_id, **fields)

    def _correctable(self, placement_id: UUID) -> Placement:
        if placement_id in getattr(self, "voided", {}):
            raise PlacementVoidedAlready(
                f"placement {placement_id} was voided; it is no longer in this history",
                "placement_id",
            )
        for placement in self._placements:
            if placement.id == placement_id:
                return placement
        raise PlacementNotFound(f"no placement {placement_id} in this history", "placement_id")

    # A placement ends after the day it starts (every command checks it), so the
    # placement ending or starting on another's first or last day is never that one.

    def _ending_on(self, day: date) -> Placement | None:
        """The placement left by a move on `day` (it ended that day), if any."""
        return next((p for p in self._placements if p.end == day), None)

    def _starting_on(self, day: date) -> Placement | None:
        """The placement entered by a move on `day` (it started that day), if any."""
        return next((p for p in self._placements if p.start == day), None)

    def _with(self, changes: dict[UUID, Placement]) -> list[Placement]:
        pending = dict(changes)
        kept = [pending.pop(p.id, p) for p in self._placements]
        return sorted([*kept, *pending.values()], key=lambda p: p.start)


def _check_reason(reason: str) -> None:
    if reason not in CORRECTION_REASONS:
        raise UnknownCorrectionReason(
            f"{reason!r} is not a correction reason ({', '.join(CORRECTION_REASONS)})", "reason"
        )


def _check_timeline(
    placements: Sequence[Placement],
    changed: Iterable[Placement],
    periods: Sequence[PeriodOfCare],
) -> None:
    """The corrected history is in order, without overlaps, in care and not in the future."""
    from services.placements.domain.model import _check_not_future

    for placement in changed:
        field = "start_date"
        _check_not_future(placement.start)
        if placement.end is not None:
            if placement.end <= placement.start:
                raise DatesOutOfOrder(
                    f"placement {placement.id} would end ({placement.end}) on or before it "
                    f"starts ({placement.start})",
                    "end_date",
                )
            _check_not_future(placement.end)
        period = period_covering(periods, placement.start)
        if period is None:
            raise OutsidePeriodOfCare(f"the child was not looked after on {placement.start}", field)
        if placement.end is not None and not period.allows_end_on(placement.end):
            raise OutsidePeriodOfCare(
                f"the placement's period of care ended on {period.end}", "end_date"
            )
    for earlier, later in pairwise(placements):
        if earlier.end is None or earlier.end > later.start:
            raise PlacementsOverlap(
                f"placement {earlier.id} would overlap placement {later.id}; a child lives in "
                "one placement at a time",
                "start_date",
            )
