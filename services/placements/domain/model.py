"""A child's placement history: one event-sourced aggregate per child.

`PlacementHistory` holds every placement of one child, so no-overlap is checked
in one consistency boundary. Events carry `effective_date` (the day the fact
happened), and spans are half-open (`start <= day < end`): a move on day D ends
the old placement and starts the new one on D.
See docs/adr/0007-one-aggregate-per-child-effective-and-recorded-time.md.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.placements.domain.corrections import PlacementCorrections
from services.placements.domain.errors import (
    AdoptiveCarersMismatch,
    CarersRequired,
    DateInFuture,
    DatesOutOfOrder,
    DistanceWithoutPostcodes,
    DuplicatePlacementId,
    InvalidPostcode,
    NegativeDistance,
    NoCurrentPlacement,
    NotAFosterPlacement,
    NotCurrentPlacement,
    NotPlacedForAdoption,
    NotReturnedToUsualPlacement,
    OutsidePeriodOfCare,
    PlacementAlreadyEnded,
    PlacementNotFound,
    PlacementsOverlap,
    ProviderNotApplicable,
    ReasonForChangeNotApplicable,
    ReasonForChangeRequired,
    StayingPutAlreadyRecorded,
    StayingPutNotAtLeavingCare,
    TemporaryPlacementNotAllowed,
    TemporaryPlacementTooLong,
    TooManyCarerHolidayPlacements,
    UnknownCode,
    UrnNotApplicable,
)
from services.placements.domain.period_of_care import PeriodOfCare, period_covering
from services.placements.domain.stability import PlacementSpan
from shared.dates import today, year_before
from shared.ssda903 import codes

#: Namespace for placement history ids: uuid5(NAMESPACE, str(child_id)).
#: Fixed forever; changing it would orphan every stored history.
NAMESPACE = UUID("6f1d5c1e-2b8a-5a52-9a3e-8f3c0b4c7d21")

#: Foster placements, the only ones Staying Put continues (Children and
#: Families Act 2014 s98, inserting s23CZA into the Children Act 1989).
FOSTER_PLACEMENTS = frozenset({"U1", "U2", "U3", "U4", "U5", "U6"})

#: PLACE codes that mean "placed for adoption with current foster carer(s)".
WITH_CURRENT_FOSTER_CARERS = frozenset({"A3", "A5"})

#: SSDA903 rule 375 (lac_validator `dec_after_decom(dfs, p_code="T1", y_gap=42)`): a
#: hospital stay coded as temporary (T1) ends at most 42 days (six weeks) after it began.
HOSPITAL_TEMPORARY_MAX_DAYS = 42
#: SSDA903 rule 377: at most two T3 (usual foster carers on holiday) in any 12 months.
CARER_HOLIDAY_TEMPORARY_PER_YEAR = 2

#: SSDA903 rule 213: no PLACE_PROVIDER for these placement types.
_NO_PROVIDER = codes.TEMPORARY_PLACEMENTS | {"Z11", "Z12", "Z13", "Z14"}

#: SSDA903 rule 222: no URN (other than the placeholder) for these types.
_NO_URN = codes.TEMPORARY_PLACEMENTS | {"P1", "P3", "R1", "R2", "R5", "Z11", "Z12", "Z13", "Z14"}
_URN_PLACEHOLDER = "XXXXXXX"

# A full UK postcode ("SW1A 1AA") or a postcode sector ("SW1A 1"): SSDA903
# HOME_POST and PL_POST are often held as sectors.
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9](?:[A-Z]{2})?)$")


def normalise_postcode(value: str | None, field: str) -> str | None:
    """Upper case with one space before the inward part; `None` and blanks stay `None`."""
    if value is None or not value.strip():
        return None
    match = _POSTCODE.match(re.sub(r"\s+", " ", value.strip().upper()))
    if match is None:
        raise InvalidPostcode(f"{value!r} is not a UK postcode or postcode sector", field)
    return f"{match.group(1)} {match.group(2)}"


@dataclass(frozen=True)
class PlacementSetting:
    """Where and with whom a child is placed: the SSDA903 Episodes fields besides PLACE.

    `carer_id` is an opaque reference to the carer household or setting (the
    fostering household's id, a children's home's URN). It is how the
    stability rules tell "a move to new carers" from "a change of placement
    with the same carers" (SSDA903 reason for new episode T/U), which the
    provider URN cannot: one fostering agency's URN covers many households.
    """

    provider: str | None = None  # 903 PLACE_PROVIDER (PR0-PR5)
    urn: str | None = None  # 903 URN: Ofsted URN of the provider or setting
    postcode: str | None = None  # 903 PL_POST
    home_postcode: str | None = None  # 903 HOME_POST: the home the child was removed from
    inside_council_area: bool | None = None  # 903 PL_LOCATION (IN/OUT)
    distance_from_home_miles: float | None = None  # 903 PL_DISTANCE
    carer_id: str | None = None


@dataclass(frozen=True)
class Placement:
    """One placement in a child's history (an entity inside `PlacementHistory`)."""

    id: UUID
    start: date
    placement_type: str  # 903 PLACE
    setting: PlacementSetting
    #: As the worker recorded it; decides nothing. Short breaks are legal status
    #: V3/V4 (DfE, SSDA903); kept because stored events and the published
    #: contract carry it (docs/adr/0002-placement-stability-measures.md).
    short_break: bool = False
    end: date | None = None
    #: 903 REASON_PLACE_CHANGE, recorded on the placement a move ended.
    reason_place_change: str | None = None

    @property
    def temporary(self) -> bool:
        """SSDA903 T0-T4: a temporary move, expected to return to the usual placement."""
        return self.placement_type in codes.TEMPORARY_PLACEMENTS

    @property
    def placed_for_adoption(self) -> bool:
        return self.placement_type in codes.PLACED_FOR_ADOPTION

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)

    def to_span(self) -> PlacementSpan:
        """The plain value the stability rules count."""
        return PlacementSpan(
            placement_id=self.id,
            start=self.start,
            end=self.end,
            placement_type=self.placement_type,
            carer_id=self.setting.carer_id,
            postcode=self.setting.postcode,
        )


@dataclass(frozen=True)
class StayingPut:
    """A care leaver staying on with their former foster carers after 18."""

    placement_id: UUID
    start: date


class PlacementHistory(PlacementCorrections, Aggregate):
    """Every placement of one child, so no-overlap is checked in one consistency boundary."""

    @staticmethod
    def create_id(child_id: UUID) -> UUID:
        """One history per child, found again from the child's id alone."""
        return uuid5(NAMESPACE, str(child_id))

    @event("Opened")
    def __init__(self, child_id: UUID) -> None:
        self.child_id = child_id
        self._placements: list[Placement] = []
        self.staying_put: StayingPut | None = None

    # ----------------------------------------------------------------- queries

    @property
    def placements(self) -> tuple[Placement, ...]:
        """All placements, earliest first."""
        return tuple(self._placements)

    @property
    def current_placement(self) -> Placement | None:
        """The placement not yet ended, if any (there is at most one)."""
        return next((p for p in self._placements if p.end is None), None)

    def placement(self, placement_id: UUID) -> Placement:
        for placement in self._placements:
            if placement.id == placement_id:
                return placement
        raise PlacementNotFound(f"no placement {placement_id} in this history", "placement_id")

    def check_current(self, placement_id: UUID) -> Placement:
        """The placement named, if it is the current one.

        A move names the placement it leaves (the API path does), so a client
        working from a stale view cannot move the child out of a placement
        that already ended: `PlacementNotFound` if the history has no such
        placement, `NotCurrentPlacement` if it has ended.
        """
        placement = self.placement(placement_id)
        if placement.end is not None:
            raise NotCurrentPlacement(
                f"placement {placement_id} ended on {placement.end}; it is not the current "
                "placement",
                "placement_id",
            )
        return placement

    def placement_on(self, day: date) -> Placement | None:
        """Where the child lived at the end of `day`."""
        return next((p for p in self._placements if p.covers(day)), None)

    def spans(self) -> tuple[PlacementSpan, ...]:
        return tuple(p.to_span() for p in self._placements)

    # ---------------------------------------------------------------- commands

    def start_placement(
        self,
        *,
        placement_id: UUID,
        effective_date: date,
        placement_type: str,
        setting: PlacementSetting,
        periods_of_care: Sequence[PeriodOfCare],
        short_break: bool = False,
    ) -> None:
        """The child starts living somewhere, not as a move from a current placement.

        Used for the first placement of a period of care (SSDA903 reason for
        new episode S) and for recording a placement after a gap. The same
        placement again (a retry) records nothing. The first placement of a
        period is always a new placement for the stability rules, so it may be
        recorded without `carer_id`; a placement after another in the same
        period is compared with it (same carers?), so both must name them.
        """
        _check_not_future(effective_date)
        if self._already_started(placement_id, effective_date, placement_type):
            return
        self._check_new_id(placement_id)
        setting = _checked_setting(placement_type, setting, short_break)
        if placement_type in codes.TEMPORARY_PLACEMENTS:
            raise TemporaryPlacementNotAllowed(
                "a temporary placement (T0-T4) is entered by a move from the usual placement, "
                "never as the first placement (SSDA903 rule 380)",
                "placement_type",
            )
        period = _period_covering(periods_of_care, effective_date)
        self._check_free_from(effective_date)
        before = [
            p
            for p in self._placements
            if period.covers(p.start) and p.start < effective_date and not p.temporary
        ]
        if before:
            _check_carers_named(setting, before[-1])
        self._placement_started(
            child_id=self.child_id,
            effective_date=effective_date,
            placement_id=placement_id,
            placement_type=placement_type,
            short_break=short_break,
            **_setting_fields(setting),
        )

    def change_placement(
        self,
        *,
        new_placement_id: UUID,
        effective_date: date,
        placement_type: str,
        setting: PlacementSetting,
        reason_place_change: str | None,
        periods_of_care: Sequence[PeriodOfCare],
        short_break: bool = False,
        from_placement_id: UUID | None = None,
    ) -> None:
        """The child moves: the current placement ends and the new one starts the same day.

        One event, so the move is atomic. A move happens within a period of
        care; leaving care is `end_placement`. `reason_place_change` is
        required, except that moves into or out of a temporary placement carry
        none (SSDA903 rules 225, 226). `from_placement_id`, when given, must
        name the current placement. The same move again (a retry) records nothing.

        A move to a placement that is not temporary names its carers
        (`carer_id`), as must the placement it leaves: whether it is a new
        placement for the stability rules depends on them. The SSDA903
        temporary-placement rules are checked here: 375 (T1 at most six
        weeks), 377 (at most two T3 in any 12 months), 383 (back to the usual
        placement afterwards).
        """
        _check_not_future(effective_date)
        if self._already_moved(new_placement_id, from_placement_id, effective_date, placement_type):
            return
        placement_id = new_placement_id
        setting = _checked_setting(placement_type, setting, short_break)
        current = self._move_from(effective_date, periods_of_care)
        self._check_reason(current.placement_type, placement_type, reason_place_change)
        if current.temporary:
            self._check_return(current, effective_date, placement_type, setting)
        elif placement_type in codes.TEMPORARY_PLACEMENTS:
            self._check_carer_holidays(effective_date, placement_type)
        else:
            _check_carers_named(setting, current)
        self._placement_changed(
            child_id=self.child_id,
            effective_date=effective_date,
            from_placement_id=current.id,
            reason_place_change=reason_place_change,
            placement_id=placement_id,
            placement_type=placement_type,
            short_break=short_break,
            **_setting_fields(setting),
        )

    def end_placement(
        self,
        *,
        placement_id: UUID,
        effective_date: date,
        periods_of_care: Sequence[PeriodOfCare],
    ) -> None:
        """The placement ends without a move to another (usually: the child leaves care)."""
        _check_not_future(effective_date)
        placement = self.placement(placement_id)
        if placement.end == effective_date and placement.reason_place_change is None:
            return  # already ended that day without a move: a retry
        if placement.end is not None:
            raise PlacementAlreadyEnded(
                f"placement {placement_id} already ended on {placement.end}", "placement_id"
            )
        if effective_date <= placement.start:
            raise DatesOutOfOrder(
                f"a placement ends after the day it started ({placement.start})", "effective_date"
            )
        period = _period_covering(periods_of_care, placement.start, field="placement_id")
        if not period.allows_end_on(effective_date):
            raise OutsidePeriodOfCare(
                f"the placement's period of care ended on {period.end}; "
                "a placement ends on or before that day",
                "effective_date",
            )
        if placement.temporary:
            raise TemporaryPlacementNotAllowed(
                "a temporary placement ends by a move back to the usual placement or on to "
                "another, never by leaving care from it (SSDA903 rule 381)",
                "placement_id",
            )
        self._placement_ended(
            child_id=self.child_id, effective_date=effective_date, placement_id=placement_id
        )

    def record_placed_for_adoption(
        self,
        *,
        new_placement_id: UUID,
        effective_date: date,
        placement_type: str,
        periods_of_care: Sequence[PeriodOfCare],
        adopters: PlacementSetting | None = None,
        reason_place_change: str | None = None,
        from_placement_id: UUID | None = None,
    ) -> None:
        """The child is placed for adoption (SSDA903 PLACE A3-A6), from the current placement.

        With `adopters` omitted, the current foster carers become the
        prospective adopters (A3/A5): the setting carries over, so the
        stability rules see no new placement. With `adopters`, the child moves
        to them (A4/A6). The reason defaults to "PLACE" (a change in the
        status of the placement only) with the same carers and "CARPL"
        (implementation of the care plan) with new ones. `from_placement_id`,
        when given, must name the current placement. A retry records nothing.
        """
        _check_not_future(effective_date)
        if self._already_moved(new_placement_id, from_placement_id, effective_date, placement_type):
            return
        placement_id = new_placement_id
        if placement_type not in codes.PLACED_FOR_ADOPTION:
            raise NotPlacedForAdoption(
                f"{placement_type!r} is not a placed-for-adoption type (A3-A6)", "placement_type"
            )
        with_current_carers = adopters is None
        if with_current_carers != (placement_type in WITH_CURRENT_FOSTER_CARERS):
            raise AdoptiveCarersMismatch(
                "A3/A5 mean placed with the current foster carers (give no adopters); "
                "A4/A6 mean placed with new adopters (give them)",
                "placement_type",
            )
        current = self._move_from(effective_date, periods_of_care)
        if current.temporary:
            raise TemporaryPlacementNotAllowed(
                "a child is placed for adoption from their usual placement, not from a "
                "temporary one, which ends by a return to it (SSDA903 rule 383)",
                "effective_date",
            )
        if adopters is None:
            if current.placement_type not in FOSTER_PLACEMENTS:
                raise AdoptiveCarersMismatch(
                    f"A3/A5 need a current foster placement, not {current.placement_type}",
                    "placement_type",
                )
            setting = current.setting
        else:
            setting = _checked_setting(placement_type, adopters, short_break=False)
            _check_carers_named(setting, current)
        reason = reason_place_change or ("PLACE" if with_current_carers else "CARPL")
        self._check_reason(current.placement_type, placement_type, reason)
        self._placed_for_adoption(
            child_id=self.child_id,
            effective_date=effective_date,
            from_placement_id=current.id,
            reason_place_change=reason,
            placement_id=placement_id,
            placement_type=placement_type,
            **_setting_fields(setting),
        )

    def record_staying_put(
        self,
        *,
        effective_date: date,
        periods_of_care: Sequence[PeriodOfCare],
        placement_id: UUID | None = None,
    ) -> None:
        """The young person stays with their foster carers after leaving care at 18.

        `effective_date` is the day the period of care ended (casefile decides
        that this was the 18th birthday). The foster placement current up to
        that day ends then, if not already ended that day, and the Staying Put
        arrangement starts: the young person is no longer looked after, so it
        is not a placement and no stability rule counts it. `placement_id`,
        when given, must name that foster placement.
        """
        _check_not_future(effective_date)
        if self.staying_put is not None:
            if self.staying_put.start == effective_date and placement_id in (
                None,
                self.staying_put.placement_id,
            ):
                return  # the same arrangement again: a retry
            raise StayingPutAlreadyRecorded(
                f"Staying Put was recorded from {self.staying_put.start}", "effective_date"
            )
        period = next((p for p in periods_of_care if p.end == effective_date), None)
        if period is None:
            raise StayingPutNotAtLeavingCare(
                "Staying Put starts on the day a period of care ends", "effective_date"
            )
        placement = next(
            (
                p
                for p in self._placements
                if period.start <= p.start < effective_date
                and (p.end is None or p.end == effective_date)
            ),
            None,
        )
        if placement is None:
            raise StayingPutNotAtLeavingCare(
                "no placement was current when the period of care ended", "effective_date"
            )
        if placement_id is not None and placement.id != placement_id:
            raise StayingPutNotAtLeavingCare(
                f"Staying Put continues placement {placement.id}, the one current when the "
                "period of care ended",
                "placement_id",
            )
        if placement.placement_type not in FOSTER_PLACEMENTS:
            raise NotAFosterPlacement(
                f"Staying Put continues a foster placement (U1-U6), not {placement.placement_type}",
                "effective_date",
            )
        self._staying_put_started(
            child_id=self.child_id, effective_date=effective_date, placement_id=placement.id
        )

    # ------------------------------------------------------------------ events
    # Event bodies only change state: they run again on every replay, so every
    # rule is checked in the command methods above, before the event exists.
    # Every event carries `child_id` so the audit envelope names the child
    # (shared/eventstore/envelope.py) even when no request context does, as
    # when a projection-driven process records a change.

    @event("PlacementStarted")
    def _placement_started(
        self,
        child_id: UUID,
        effective_date: date,
        placement_id: UUID,
        placement_type: str,
        short_break: bool,
        provider: str | None,
        urn: str | None,
        postcode: str | None,
        home_postcode: str | None,
        inside_council_area: bool | None,
        distance_from_home_miles: float | None,
        carer_id: str | None,
    ) -> None:
        self._add(
            Placement(
                id=placement_id,
                start=effective_date,
                placement_type=placement_type,
                short_break=short_break,
                setting=PlacementSetting(
                    provider=provider,
                    urn=urn,
                    postcode=postcode,
                    home_postcode=home_postcode,
                    inside_council_area=inside_council_area,
                    distance_from_home_miles=distance_from_home_miles,
                    carer_id=carer_id,
                ),
            )
        )

    @event("PlacementChanged")
    def _placement_changed(
        self,
        child_id: UUID,
        effective_date: date,
        from_placement_id: UUID,
        reason_place_change: str | None,
        placement_id: UUID,
        placement_type: str,
        short_break: bool,
        provider: str | None,
        urn: str | None,
        postcode: str | None,
        home_postcode: str | None,
        inside_council_area: bool | None,
        distance_from_home_miles: float | None,
        carer_id: str | None,
    ) -> None:
        self._close(from_placement_id, effective_date, reason_place_change)
        self._add(
            Placement(
                id=placement_id,
                start=effective_date,
                placement_type=placement_type,
                short_break=short_break,
                setting=PlacementSetting(
                    provider=provider,
                    urn=urn,
                    postcode=postcode,
                    home_postcode=home_postcode,
                    inside_council_area=inside_council_area,
                    distance_from_home_miles=distance_from_home_miles,
                    carer_id=carer_id,
                ),
            )
        )

    @event("PlacementEnded")
    def _placement_ended(self, child_id: UUID, effective_date: date, placement_id: UUID) -> None:
        self._close(placement_id, effective_date, None)

    @event("PlacedForAdoption")
    def _placed_for_adoption(
        self,
        child_id: UUID,
        effective_date: date,
        from_placement_id: UUID,
        reason_place_change: str,
        placement_id: UUID,
        placement_type: str,
        provider: str | None,
        urn: str | None,
        postcode: str | None,
        home_postcode: str | None,
        inside_council_area: bool | None,
        distance_from_home_miles: float | None,
        carer_id: str | None,
    ) -> None:
        self._close(from_placement_id, effective_date, reason_place_change)
        self._add(
            Placement(
                id=placement_id,
                start=effective_date,
                placement_type=placement_type,
                setting=PlacementSetting(
                    provider=provider,
                    urn=urn,
                    postcode=postcode,
                    home_postcode=home_postcode,
                    inside_council_area=inside_council_area,
                    distance_from_home_miles=distance_from_home_miles,
                    carer_id=carer_id,
                ),
            )
        )

    @event("StayingPutStarted")
    def _staying_put_started(
        self, child_id: UUID, effective_date: date, placement_id: UUID
    ) -> None:
        placement = self.placement(placement_id)
        if placement.end is None:
            self._close(placement_id, effective_date, None)
        self.staying_put = StayingPut(placement_id=placement_id, start=effective_date)

    # ----------------------------------------------------------------- helpers

    def _add(self, placement: Placement) -> None:
        self._placements.append(placement)
        self._placements.sort(key=lambda p: p.start)

    def _close(self, placement_id: UUID, day: date, reason: str | None) -> None:
        self._placements = [
            replace(p, end=day, reason_place_change=reason) if p.id == placement_id else p
            for p in self._placements
        ]

    def _check_new_id(self, placement_id: UUID, field: str = "placement_id") -> None:
        if any(p.id == placement_id for p in self._placements):
            raise DuplicatePlacementId(
                f"placement {placement_id} is already in this history", field
            )

    def _already_moved(
        self, new_placement_id: UUID, from_placement_id: UUID | None, day: date, kind: str
    ) -> bool:
        """Whether this move is already recorded (a retry); else checks it may start."""
        if self._already_started(new_placement_id, day, kind):
            return True
        if from_placement_id is not None:
            self.check_current(from_placement_id)
        self._check_new_id(new_placement_id, "new_placement_id")
        return False

    def _already_started(self, placement_id: UUID, day: date, placement_type: str) -> bool:
        """Whether this placement is recorded as starting that day as that type (a retry)."""
        return any(
            p.id == placement_id and p.start == day and p.placement_type == placement_type
            for p in self._placements
        )

    def _check_free_from(self, day: date) -> None:
        """No placement may be open on or after `day` (a new open placement starts then)."""
        for p in self._placements:
            if p.end is None or p.end > day:
                until = "is still open" if p.end is None else f"runs until {p.end}"
                raise PlacementsOverlap(
                    f"placement {p.id} (from {p.start}) {until}; a child lives in one "
                    "placement at a time",
                    "effective_date",
                )

    def _move_from(self, day: date, periods: Sequence[PeriodOfCare]) -> Placement:
        """The placement a move on `day` leaves, after checking the move may happen then."""
        current = self.current_placement
        if current is None:
            raise NoCurrentPlacement("the child has no current placement to move from")
        if day <= current.start:
            raise DatesOutOfOrder(
                f"a move comes after the current placement started ({current.start})",
                "effective_date",
            )
        period = _period_covering(periods, current.start)
        if not period.covers(day):
            raise OutsidePeriodOfCare(
                # Only a period that has ended can fail to cover a day after the
                # current placement's start, so `period.end` is a date here.
                "a move happens within the period of care of the placement it leaves "
                f"(from {period.start} to {period.end})",
                "effective_date",
            )
        return current

    def _check_return(
        self, temporary: Placement, day: date, placement_type: str, setting: PlacementSetting
    ) -> None:
        """A move out of a temporary placement: SSDA903 rules 375 and 383."""
        last = temporary.start + timedelta(days=HOSPITAL_TEMPORARY_MAX_DAYS)
        if temporary.placement_type == "T1" and day > last:
            raise TemporaryPlacementTooLong(
                f"a hospital stay recorded as a temporary placement (T1, from {temporary.start}) "
                f"lasts at most six weeks, to {last} (SSDA903 rule 375: hospitalisation coded "
                "as a temporary placement exceeds six weeks)",
                "effective_date",
            )
        usual = next(
            p for p in reversed(self._placements) if p.start < temporary.start and not p.temporary
        )
        where = f"placement {usual.id} ({usual.placement_type}, from {usual.start})"
        rule = (
            "a child in a temporary placement must subsequently return to his/her normal "
            "placement (SSDA903 rule 383)"
        )
        if placement_type != usual.placement_type:
            raise NotReturnedToUsualPlacement(
                f"{rule}: the same PLACE as {where}", "placement_type"
            )
        if setting.postcode != usual.setting.postcode:
            raise NotReturnedToUsualPlacement(
                f"{rule}: the same PL_POST as {where} ({usual.setting.postcode or 'none'})",
                "postcode",
            )
        if setting.carer_id is None:
            raise CarersRequired(
                "name the carers (carer_id): the return from a temporary placement is to the "
                f"carers of {where}, and the stability counts depend on it",
                "carer_id",
            )
        if usual.setting.carer_id is not None and setting.carer_id != usual.setting.carer_id:
            raise NotReturnedToUsualPlacement(
                f"{rule}: the same carers as {where} ({usual.setting.carer_id})", "carer_id"
            )

    def _check_carer_holidays(self, day: date, placement_type: str) -> None:
        """SSDA903 rule 377: at most two T3 placements in any 12-month period.

        A move is always the history's latest placement, so "any 12 months"
        holding this one is the year before its day (`shared.dates.year_before`).
        """
        if placement_type != "T3":
            return
        first, last = year_before(day)
        earlier = [
            p for p in self._placements if p.placement_type == "T3" and first <= p.start <= last
        ]
        if len(earlier) >= CARER_HOLIDAY_TEMPORARY_PER_YEAR:
            raise TooManyCarerHolidayPlacements(
                "only two temporary placements while the usual foster carers are on holiday "
                "(T3) are allowed in any 12-month period (SSDA903 rule 377); this child "
                f"began them on {', '.join(str(p.start) for p in earlier)}",
                "placement_type",
            )

    @staticmethod
    def _check_reason(from_type: str, to_type: str, reason: str | None) -> None:
        temporary = codes.TEMPORARY_PLACEMENTS
        if from_type in temporary or to_type in temporary:
            if reason is not None:
                raise ReasonForChangeNotApplicable(
                    "moves into or out of a temporary placement carry no reason for "
                    "placement change (SSDA903 rule 226)",
                    "reason_place_change",
                )
            return
        if reason is None:
            raise ReasonForChangeRequired(
                "a change of placement records why (SSDA903 rule 225)", "reason_place_change"
            )
        if not codes.is_valid(codes.REASON_PLACE_CHANGE, reason):
            raise UnknownCode(
                f"{reason!r} is not an SSDA903 REASON_PLACE_CHANGE code", "reason_place_change"
            )


def _period_covering(
    periods: Sequence[PeriodOfCare], day: date, field: str = "effective_date"
) -> PeriodOfCare:
    period = period_covering(periods, day)
    if period is None:
        raise OutsidePeriodOfCare(f"the child was not looked after on {day}", field)
    return period


def _check_carers_named(setting: PlacementSetting, before: Placement) -> None:
    """Both placements name their carers, so "the same carers?" is answered from facts.

    DfE's placement stability indicators count placements with carers: a change
    of placement with the same carers (SSDA903 reason for new episode T/U, e.g.
    U6 becoming U4 long-term fostering) is not a new placement, a change to new
    carers is. The answer changes the counts, so it is never guessed.
    """
    if setting.carer_id is None:
        raise CarersRequired(
            "name the carers (carer_id): whether this is a new placement or a change with the "
            "same carers (SSDA903 reason for new episode T/U) decides the stability counts",
            "carer_id",
        )
    if before.setting.carer_id is None:
        raise CarersRequired(
            f"placement {before.id} (from {before.start}) was recorded without carer_id, so "
            "whether this placement is with the same carers cannot be told; the stability "
            "counts depend on it (amend that placement's carer_id first)",
            "carer_id",
        )


def _checked_setting(
    placement_type: str, setting: PlacementSetting, short_break: bool
) -> PlacementSetting:
    """Check the SSDA903 Episodes fields and return them normalised."""
    if not codes.is_valid(codes.PLACEMENT_TYPE, placement_type):
        raise UnknownCode(f"{placement_type!r} is not an SSDA903 PLACE code", "placement_type")
    if short_break and placement_type in codes.TEMPORARY_PLACEMENTS:
        raise TemporaryPlacementNotAllowed(
            "a short break cannot be a temporary placement (SSDA903 rule 382)", "short_break"
        )
    if setting.provider is not None:
        if not codes.is_valid(codes.PLACEMENT_PROVIDER, setting.provider):
            raise UnknownCode(
                f"{setting.provider!r} is not an SSDA903 PLACE_PROVIDER code", "placement_provider"
            )
        if placement_type in _NO_PROVIDER:
            raise ProviderNotApplicable(
                f"no placement provider is recorded for {placement_type} (SSDA903 rule 213)",
                "placement_provider",
            )
    urn = setting.urn.strip().upper() if setting.urn and setting.urn.strip() else None
    if urn is not None and urn != _URN_PLACEHOLDER and placement_type in _NO_URN:
        raise UrnNotApplicable(
            f"no Ofsted URN is recorded for {placement_type} (SSDA903 rule 222)", "urn"
        )
    postcode = normalise_postcode(setting.postcode, "postcode")
    home_postcode = normalise_postcode(setting.home_postcode, "home_postcode")
    distance = setting.distance_from_home_miles
    if distance is not None:
        if postcode is None or home_postcode is None:
            raise DistanceWithoutPostcodes(
                "distance from home is recorded only when both postcodes are known",
                "distance_from_home_miles",
            )
        if distance < 0:
            raise NegativeDistance(
                "distance from home cannot be negative", "distance_from_home_miles"
            )
    carer_id = setting.carer_id.strip() if setting.carer_id and setting.carer_id.strip() else None
    return replace(
        setting, urn=urn, postcode=postcode, home_postcode=home_postcode, carer_id=carer_id
    )


def _setting_fields(setting: PlacementSetting) -> dict[str, Any]:
    """The setting as flat event fields (events hold only plain, transcodable values)."""
    return {
        "provider": setting.provider,
        "urn": setting.urn,
        "postcode": setting.postcode,
        "home_postcode": setting.home_postcode,
        "inside_council_area": setting.inside_council_area,
        "distance_from_home_miles": setting.distance_from_home_miles,
        "carer_id": setting.carer_id,
    }


def _check_not_future(day: date) -> None:
    now = today()
    if day > now:
        raise DateInFuture(
            f"effective date {day} is after today ({now}); record a placement once it happens",
            "effective_date",
        )
