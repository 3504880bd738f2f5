"""What a refused placement command tells the user: the rule's error, its field, its words.

The API shows every broken rule as an RFC 9457 problem detail whose `detail` is
the error's message and whose `invalid-params` names `field`; a social worker
corrects the request from them, so both are part of each rule. No servers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.placements.domain import PeriodOfCare, PlacementHistory, PlacementSetting
from services.placements.domain import errors as e
from services.placements.domain.corrections import (
    NothingToCorrect,
    PlacementVoidedAlready,
    UnknownCorrectionReason,
)
from shared.dates import today

CHILD = UUID("00000000-0000-4000-8000-0000000000f1")
IN_CARE = [PeriodOfCare(date(2023, 1, 10))]
#: Looked after from 10 January 2023 to 1 July 2024 (the 18th birthday, say).
LEFT_CARE = [PeriodOfCare(date(2023, 1, 10), date(2024, 7, 1))]
FOSTER = PlacementSetting(provider="PR1", postcode="AB1 2CD", carer_id="household-7")
HOME = PlacementSetting(provider="PR4", urn="SC1", carer_id="home-1")


def refused(
    command: Callable[[], object], error: type[Exception], field: str | None, message: str
) -> None:
    """`command` is refused with `error`, naming `field`, saying exactly `message`."""
    with pytest.raises(error) as raised:
        command()
    assert (raised.value.field, str(raised.value)) == (field, message)  # type: ignore[attr-defined]


def placed(
    placement_type: str = "U6",
    setting: PlacementSetting = FOSTER,
    periods: list[PeriodOfCare] = IN_CARE,
    on: date = date(2023, 1, 10),
) -> tuple[PlacementHistory, UUID]:
    h = PlacementHistory(child_id=CHILD)
    return h, start(h, on, placement_type, setting, periods)


def start(
    h: PlacementHistory,
    on: date,
    placement_type: str = "U6",
    setting: PlacementSetting = FOSTER,
    periods: list[PeriodOfCare] = IN_CARE,
    placement_id: UUID | None = None,
) -> UUID:
    """Start a placement in `h`: the foster carers' U6 unless said."""
    placement_id = placement_id or uuid4()
    h.start_placement(
        placement_id=placement_id,
        effective_date=on,
        placement_type=placement_type,
        setting=setting,
        periods_of_care=periods,
    )
    return placement_id


def placed_again(
    h: PlacementHistory,
    first: UUID,
    ended: date,
    on: date,
    periods: list[PeriodOfCare],
    placement_type: str = "U6",
    setting: PlacementSetting = FOSTER,
) -> UUID:
    """End placement `first` on `ended`, when its period of care ends; place again on `on`."""
    h.end_placement(placement_id=first, effective_date=ended, periods_of_care=periods)
    return start(h, on, placement_type, setting, periods)


def place_for_adoption(
    h: PlacementHistory,
    placement_type: str,
    on: date = date(2024, 2, 1),
    adoptive: UUID | None = None,
    **more: Any,
) -> UUID:
    """Place for adoption from the current placement (or the one `more` names)."""
    adoptive = adoptive or uuid4()
    h.record_placed_for_adoption(
        new_placement_id=adoptive,
        effective_date=on,
        placement_type=placement_type,
        periods_of_care=IN_CARE,
        **more,
    )
    return adoptive


def move(
    h: PlacementHistory,
    on: date,
    placement_type: str = "U4",
    setting: PlacementSetting = PlacementSetting(carer_id="household-9"),
    reason: str | None = "CARPL",
    periods: list[PeriodOfCare] = IN_CARE,
    new: UUID | None = None,
    from_placement: UUID | None = None,
) -> UUID:
    new = new or uuid4()
    h.change_placement(
        new_placement_id=new,
        effective_date=on,
        placement_type=placement_type,
        setting=setting,
        reason_place_change=reason,
        periods_of_care=periods,
        from_placement_id=from_placement,
    )
    return new


# ------------------------------------------------------------ the 903 fields


@pytest.mark.parametrize(
    ("placement_type", "setting", "short_break", "error", "field", "message"),
    [
        ("U9", FOSTER, False, e.UnknownCode, "placement_type", "'U9' is not an SSDA903 PLACE code"),
        (
            "T0",
            PlacementSetting(),
            True,
            e.TemporaryPlacementNotAllowed,
            "short_break",
            "a short break cannot be a temporary placement (SSDA903 rule 382)",
        ),
        (
            "U6",
            PlacementSetting(provider="PR9"),
            False,
            e.UnknownCode,
            "placement_provider",
            "'PR9' is not an SSDA903 PLACE_PROVIDER code",
        ),
        (
            "Z11",
            PlacementSetting(provider="PR1"),
            False,
            e.ProviderNotApplicable,
            "placement_provider",
            "no placement provider is recorded for Z11 (SSDA903 rule 213)",
        ),
        (
            "P1",
            PlacementSetting(urn=" sc123456 "),
            False,
            e.UrnNotApplicable,
            "urn",
            "no Ofsted URN is recorded for P1 (SSDA903 rule 222)",
        ),
        (
            "U6",
            PlacementSetting(postcode="not a postcode"),
            False,
            e.InvalidPostcode,
            "postcode",
            "'not a postcode' is not a UK postcode or postcode sector",
        ),
        (
            "U6",
            PlacementSetting(home_postcode="nowhere"),
            False,
            e.InvalidPostcode,
            "home_postcode",
            "'nowhere' is not a UK postcode or postcode sector",
        ),
        (
            "U6",
            PlacementSetting(home_postcode="AB1 2CD", distance_from_home_miles=4.0),
            False,
            e.DistanceWithoutPostcodes,
            "distance_from_home_miles",
            "distance from home is recorded only when both postcodes are known",
        ),
        (
            "U6",
            PlacementSetting(
                postcode="AB1 2CD", home_postcode="AB1 3", distance_from_home_miles=-1
            ),
            False,
            e.NegativeDistance,
            "distance_from_home_miles",
            "distance from home cannot be negative",
        ),
    ],
)
def test_a_903_field_refused_is_named_with_its_rule(
    placement_type: str,
    setting: PlacementSetting,
    short_break: bool,
    error: type[Exception],
    field: str,
    message: str,
) -> None:
    refused(
        lambda: PlacementHistory(child_id=CHILD).start_placement(
            placement_id=uuid4(),
            effective_date=date(2023, 1, 10),
            placement_type=placement_type,
            setting=setting,
            periods_of_care=IN_CARE,
            short_break=short_break,
        ),
        error,
        field,
        message,
    )


def test_903_fields_are_stored_normalised_and_the_urn_placeholder_is_allowed() -> None:
    h, first = placed(
        "P1",
        PlacementSetting(
            provider="PR0",
            urn=" xxxxxxx ",
            postcode=" sw1a1aa ",
            home_postcode="m1  1ae",
            carer_id="  ",
        ),
    )
    setting = h.placement(first).setting
    assert (setting.urn, setting.postcode, setting.home_postcode, setting.carer_id) == (
        "XXXXXXX",
        "SW1A 1AA",
        "M1 1AE",
        None,
    )
    h2, second = placed("U6", PlacementSetting(urn="  ", carer_id=" household-7 "))
    assert (h2.placement(second).setting.urn, h2.placement(second).setting.carer_id) == (
        None,
        "household-7",
    )
    # A distance of exactly 0 miles is recorded (placed on the same street).
    h3, third = placed(
        "U6",
        PlacementSetting(postcode="AB1 2CD", home_postcode="AB1 2CE", distance_from_home_miles=0),
    )
    assert h3.placement(third).setting.distance_from_home_miles == 0


# ------------------------------------------------------------ dates and ids


def test_a_placement_is_recorded_once_it_happens_not_before() -> None:
    now = today()
    later = now + timedelta(days=1)
    h, first = placed()
    message = f"effective date {later} is after today ({now}); record a placement once it happens"
    refused(lambda: move(h, later), e.DateInFuture, "effective_date", message)
    refused(
        lambda: h.end_placement(placement_id=first, effective_date=later, periods_of_care=IN_CARE),
        e.DateInFuture,
        "effective_date",
        message,
    )
    move(h, now)  # today itself is not in the future


def test_a_placement_id_is_used_once() -> None:
    h, first = placed()
    refused(
        lambda: move(h, date(2023, 6, 1), new=first),
        e.DuplicatePlacementId,
        "new_placement_id",
        f"placement {first} is already in this history",
    )
    h.end_placement(placement_id=first, effective_date=date(2023, 3, 1), periods_of_care=IN_CARE)
    refused(
        lambda: start(h, date(2023, 4, 1), placement_id=first),
        e.DuplicatePlacementId,
        "placement_id",
        f"placement {first} is already in this history",
    )


def test_a_placement_named_must_be_in_the_history_and_a_move_leaves_the_current_one() -> None:
    h, first = placed()
    unknown = uuid4()
    refused(
        lambda: h.placement(unknown),
        e.PlacementNotFound,
        "placement_id",
        f"no placement {unknown} in this history",
    )
    second = move(h, date(2023, 6, 1))
    refused(
        lambda: move(h, date(2023, 7, 1), from_placement=first),
        e.NotCurrentPlacement,
        "placement_id",
        f"placement {first} ended on 2023-06-01; it is not the current placement",
    )
    assert h.check_current(second) == h.placement(second)
    move(h, date(2023, 7, 1), from_placement=second, setting=FOSTER)


def test_a_new_placement_starts_after_every_other_has_ended() -> None:
    h, first = placed()
    refused(
        lambda: start(h, date(2023, 3, 1)),
        e.PlacementsOverlap,
        "effective_date",
        f"placement {first} (from 2023-01-10) is still open; a child lives in one placement "
        "at a time",
    )
    h.end_placement(placement_id=first, effective_date=date(2023, 3, 1), periods_of_care=IN_CARE)
    refused(
        lambda: start(h, date(2023, 2, 28)),
        e.PlacementsOverlap,
        "effective_date",
        f"placement {first} (from 2023-01-10) runs until 2023-03-01; a child lives in one "
        "placement at a time",
    )
    start(h, date(2023, 3, 1))  # the day the last one ended: free


def test_the_first_placement_of_a_period_is_not_temporary() -> None:
    refused(
        lambda: placed("T2", PlacementSetting()),
        e.TemporaryPlacementNotAllowed,
        "placement_type",
        "a temporary placement (T0-T4) is entered by a move from the usual placement, never as "
        "the first placement (SSDA903 rule 380)",
    )
    refused(
        lambda: placed(on=date(2023, 1, 9)),
        e.OutsidePeriodOfCare,
        "effective_date",
        "the child was not looked after on 2023-01-09",
    )


def test_a_placement_after_a_gap_in_a_later_period_needs_no_carers_named() -> None:
    periods = [PeriodOfCare(date(2023, 1, 10), date(2023, 6, 1)), PeriodOfCare(date(2023, 9, 1))]
    h, first = placed(periods=periods)
    # The first placement of the new period: compared with nothing, so carers may be unknown.
    second = placed_again(
        h,
        first,
        date(2023, 6, 1),
        date(2023, 9, 1),
        periods,
        "K2",
        PlacementSetting(provider="PR4", urn="SC1"),
    )
    assert h.placement(second).setting.carer_id is None


# ------------------------------------------------------------------- ending


def test_ending_a_placement_refusals() -> None:
    h, first = placed(periods=LEFT_CARE)
    refused(
        lambda: h.end_placement(
            placement_id=first, effective_date=date(2023, 1, 10), periods_of_care=LEFT_CARE
        ),
        e.DatesOutOfOrder,
        "effective_date",
        "a placement ends after the day it started (2023-01-10)",
    )
    refused(
        lambda: h.end_placement(
            placement_id=first, effective_date=date(2024, 7, 2), periods_of_care=LEFT_CARE
        ),
        e.OutsidePeriodOfCare,
        "effective_date",
        "the placement's period of care ended on 2024-07-01; a placement ends on or before "
        "that day",
    )
    refused(
        lambda: h.end_placement(
            placement_id=first,
            effective_date=date(2024, 7, 1),
            periods_of_care=[PeriodOfCare(date(2023, 2, 1))],
        ),
        e.OutsidePeriodOfCare,
        "placement_id",
        "the child was not looked after on 2023-01-10",
    )
    h.end_placement(placement_id=first, effective_date=date(2024, 7, 1), periods_of_care=LEFT_CARE)
    pending = len(h.pending_events)
    h.end_placement(placement_id=first, effective_date=date(2024, 7, 1), periods_of_care=LEFT_CARE)
    assert len(h.pending_events) == pending  # the same end again: a retry
    refused(
        lambda: h.end_placement(
            placement_id=first, effective_date=date(2024, 6, 1), periods_of_care=LEFT_CARE
        ),
        e.PlacementAlreadyEnded,
        "placement_id",
        f"placement {first} already ended on 2024-07-01",
    )


def test_a_placement_left_by_a_move_cannot_be_ended_again_that_day() -> None:
    h, first = placed()
    move(h, date(2023, 6, 1))
    # Its end day is the move's, with a reason: not a retry of an end without a move.
    refused(
        lambda: h.end_placement(
            placement_id=first, effective_date=date(2023, 6, 1), periods_of_care=IN_CARE
        ),
        e.PlacementAlreadyEnded,
        "placement_id",
        f"placement {first} already ended on 2023-06-01",
    )


def test_care_does_not_end_in_a_temporary_placement() -> None:
    h, _ = placed()
    away = move(h, date(2023, 6, 1), "T4", PlacementSetting(), reason=None)
    refused(
        lambda: h.end_placement(
            placement_id=away, effective_date=date(2023, 6, 5), periods_of_care=IN_CARE
        ),
        e.TemporaryPlacementNotAllowed,
        "placement_id",
        "a temporary placement ends by a move back to the usual placement or on to another, "
        "never by leaving care from it (SSDA903 rule 381)",
    )


# -------------------------------------------------------------------- moves


def test_a_move_refusals() -> None:
    refused(
        lambda: move(PlacementHistory(child_id=CHILD), date(2023, 2, 1)),
        e.NoCurrentPlacement,
        None,
        "the child has no current placement to move from",
    )
    h, _ = placed(periods=LEFT_CARE)
    refused(
        lambda: move(h, date(2023, 1, 10), periods=LEFT_CARE),
        e.DatesOutOfOrder,
        "effective_date",
        "a move comes after the current placement started (2023-01-10)",
    )
    refused(
        lambda: move(h, date(2024, 7, 1), periods=LEFT_CARE),
        e.OutsidePeriodOfCare,
        "effective_date",
        "a move happens within the period of care of the placement it leaves "
        "(from 2023-01-10 to 2024-07-01)",
    )
    refused(
        lambda: move(h, date(2023, 6, 1), periods=[PeriodOfCare(date(2023, 2, 1))]),
        e.OutsidePeriodOfCare,
        "effective_date",
        "the child was not looked after on 2023-01-10",
    )
    move(h, date(2024, 6, 30), periods=LEFT_CARE)  # the last day in care


@pytest.mark.parametrize(
    ("from_type", "to_type", "reason", "error", "message"),
    [
        (
            "U6",
            "T1",
            "CARPL",
            e.ReasonForChangeNotApplicable,
            "moves into or out of a temporary placement carry no reason for placement change "
            "(SSDA903 rule 226)",
        ),
        (
            "T1",
            "U6",
            "CARPL",
            e.ReasonForChangeNotApplicable,
            "moves into or out of a temporary placement carry no reason for placement change "
            "(SSDA903 rule 226)",
        ),
        (
            "U6",
            "U4",
            None,
            e.ReasonForChangeRequired,
            "a change of placement records why (SSDA903 rule 225)",
        ),
        (
            "U6",
            "U4",
            "BORED",
            e.UnknownCode,
            "'BORED' is not an SSDA903 REASON_PLACE_CHANGE code",
        ),
    ],
)
def test_the_reason_for_a_move(
    from_type: str, to_type: str, reason: str | None, error: type[Exception], message: str
) -> None:
    h, _ = placed()
    if from_type == "T1":
        move(h, date(2023, 5, 1), "T1", PlacementSetting(), reason=None)
    setting = PlacementSetting() if to_type == "T1" else FOSTER
    refused(
        lambda: move(h, date(2023, 5, 8), to_type, setting, reason=reason),
        error,
        "reason_place_change",
        message,
    )


def test_carers_are_named_where_the_counts_depend_on_them() -> None:
    h, _ = placed()
    refused(
        lambda: move(h, date(2023, 6, 1), "U4", PlacementSetting(provider="PR1")),
        e.CarersRequired,
        "carer_id",
        "name the carers (carer_id): whether this is a new placement or a change with the same "
        "carers (SSDA903 reason for new episode T/U) decides the stability counts",
    )
    bare, first = placed(setting=PlacementSetting(provider="PR1"))
    refused(
        lambda: move(bare, date(2023, 6, 1), "U4", FOSTER),
        e.CarersRequired,
        "carer_id",
        f"placement {first} (from 2023-01-10) was recorded without carer_id, so whether this "
        "placement is with the same carers cannot be told; the stability counts depend on it "
        "(amend that placement's carer_id first)",
    )


# -------------------------------------------------- temporary placements (903)


def test_rule_375_names_the_last_day_of_the_six_weeks() -> None:
    h, _ = placed()
    move(h, date(2023, 6, 1), "T1", PlacementSetting(), reason=None)
    refused(
        lambda: move(h, date(2023, 7, 14), "U6", FOSTER, reason=None),
        e.TemporaryPlacementTooLong,
        "effective_date",
        "a hospital stay recorded as a temporary placement (T1, from 2023-06-01) lasts at most "
        "six weeks, to 2023-07-13 (SSDA903 rule 375: hospitalisation coded as a temporary "
        "placement exceeds six weeks)",
    )


def test_rule_375_is_for_hospital_stays_only() -> None:
    h, _ = placed()
    move(h, date(2023, 6, 1), "T2", PlacementSetting(), reason=None)
    move(h, date(2023, 9, 1), "U6", FOSTER, reason=None)  # three months away: allowed
    assert h.current_placement is not None and h.current_placement.placement_type == "U6"


def test_rule_383_the_return_is_to_the_usual_placement_before_the_temporary_one() -> None:
    h, first = placed()
    # Usual placement: U6 from 10 January; away in T4 from 1 June.
    move(h, date(2023, 6, 1), "T4", PlacementSetting(), reason=None)
    rule = (
        "a child in a temporary placement must subsequently return to his/her normal "
        "placement (SSDA903 rule 383)"
    )
    where = f"placement {first} (U6, from 2023-01-10)"
    for placement_type, setting, error, field, message in [
        (
            "U4",
            FOSTER,
            e.NotReturnedToUsualPlacement,
            "placement_type",
            f"the same PLACE as {where}",
        ),
        (
            "U6",
            PlacementSetting(postcode="ZZ9 9ZZ", carer_id="household-7"),
            e.NotReturnedToUsualPlacement,
            "postcode",
            f"the same PL_POST as {where} (AB1 2CD)",
        ),
        (
            "U6",
            PlacementSetting(postcode="AB1 2CD", carer_id="household-8"),
            e.NotReturnedToUsualPlacement,
            "carer_id",
            f"the same carers as {where} (household-7)",
        ),
    ]:
        refused(
            partial(move, h, date(2023, 6, 5), placement_type, setting, reason=None),
            error,
            field,
            f"{rule}: {message}",
        )
    refused(
        lambda: move(h, date(2023, 6, 5), "U6", PlacementSetting(postcode="AB1 2CD"), reason=None),
        e.CarersRequired,
        "carer_id",
        "name the carers (carer_id): the return from a temporary placement is to the carers of "
        f"{where}, and the stability counts depend on it",
    )


def test_rule_383_a_usual_placement_without_postcode_or_carers_on_record() -> None:
    h, first = placed(setting=PlacementSetting(provider="PR1"))
    move(h, date(2023, 6, 1), "T4", PlacementSetting(), reason=None)
    refused(
        lambda: move(h, date(2023, 6, 5), "U6", FOSTER, reason=None),
        e.NotReturnedToUsualPlacement,
        "postcode",
        "a child in a temporary placement must subsequently return to his/her normal "
        f"placement (SSDA903 rule 383): the same PL_POST as placement {first} (U6, from "
        "2023-01-10) (none)",
    )
    # Carers unknown on the usual placement: the return names them and is accepted.
    back = move(h, date(2023, 6, 5), "U6", PlacementSetting(carer_id="household-7"), reason=None)
    assert h.placement(back).setting.carer_id == "household-7"


def test_rule_383_the_usual_placement_is_the_one_before_the_latest_temporary_one() -> None:
    h, _ = placed()
    second = move(h, date(2023, 3, 1), "U4", FOSTER)
    move(h, date(2023, 6, 1), "T2", PlacementSetting(), reason=None)
    move(h, date(2023, 6, 3), "U4", FOSTER, reason=None)  # back to U4, not the first U6
    move(h, date(2023, 7, 1), "T2", PlacementSetting(), reason=None)
    refused(
        lambda: move(h, date(2023, 7, 3), "U6", FOSTER, reason=None),
        e.NotReturnedToUsualPlacement,
        "placement_type",
        "a child in a temporary placement must subsequently return to his/her normal "
        "placement (SSDA903 rule 383): the same PLACE as placement "
        f"{h.placements[-2].id} (U4, from 2023-06-03)",
    )
    assert second != h.placements[-2].id


def test_rule_377_names_the_days_the_carer_holidays_began() -> None:
    h, _ = placed()
    for away, back in ((date(2023, 4, 1), date(2023, 4, 8)), (date(2023, 8, 1), date(2023, 8, 8))):
        move(h, away, "T3", PlacementSetting(), reason=None)
        move(h, back, "U6", FOSTER, reason=None)
    # Other temporary placements are not carer holidays.
    move(h, date(2023, 9, 1), "T2", PlacementSetting(), reason=None)
    move(h, date(2023, 9, 8), "U6", FOSTER, reason=None)
    refused(
        lambda: move(h, date(2024, 3, 31), "T3", PlacementSetting(), reason=None),
        e.TooManyCarerHolidayPlacements,
        "placement_type",
        "only two temporary placements while the usual foster carers are on holiday (T3) are "
        "allowed in any 12-month period (SSDA903 rule 377); this child began them on "
        "2023-04-01, 2023-08-01",
    )
    move(h, date(2024, 3, 31), "T2", PlacementSetting(), reason=None)  # T2: no limit


# ------------------------------------------------------------- adoption


def test_placed_for_adoption_refusals() -> None:
    h, first = placed()

    def adopt(
        placement_type: str,
        adopters: PlacementSetting | None = None,
        on: date = date(2024, 2, 1),
        history: PlacementHistory = h,
    ) -> None:
        history.record_placed_for_adoption(
            new_placement_id=uuid4(),
            effective_date=on,
            placement_type=placement_type,
            periods_of_care=IN_CARE,
            adopters=adopters,
        )

    refused(
        lambda: adopt("U4"),
        e.NotPlacedForAdoption,
        "placement_type",
        "'U4' is not a placed-for-adoption type (A3-A6)",
    )
    mismatch = (
        "A3/A5 mean placed with the current foster carers (give no adopters); A4/A6 mean "
        "placed with new adopters (give them)"
    )
    refused(lambda: adopt("A4"), e.AdoptiveCarersMismatch, "placement_type", mismatch)
    refused(
        lambda: adopt("A3", PlacementSetting(carer_id="x")),
        e.AdoptiveCarersMismatch,
        "placement_type",
        mismatch,
    )
    refused(
        lambda: adopt("A3", on=date(2023, 1, 10)),
        e.DatesOutOfOrder,
        "effective_date",
        "a move comes after the current placement started (2023-01-10)",
    )
    home, _ = placed("K2", HOME)
    refused(
        lambda: adopt("A5", history=home),
        e.AdoptiveCarersMismatch,
        "placement_type",
        "A3/A5 need a current foster placement, not K2",
    )
    move(h, date(2023, 6, 1), "T2", PlacementSetting(), reason=None)
    refused(
        lambda: adopt("A6", PlacementSetting(carer_id="adopters-1")),
        e.TemporaryPlacementNotAllowed,
        "effective_date",
        "a child is placed for adoption from their usual placement, not from a temporary one, "
        "which ends by a return to it (SSDA903 rule 383)",
    )
    assert h.placement(first).end == date(2023, 6, 1)


def test_placed_for_adoption_from_the_placement_named_with_the_reason_given() -> None:
    h, first = placed()
    adopters = PlacementSetting(provider="PR5", postcode="cd1 1ab", carer_id="adopters-3")
    adoptive = place_for_adoption(
        h, "A4", adopters=adopters, reason_place_change="CREQB", from_placement_id=first
    )
    old, new = h.placement(first), h.placement(adoptive)
    assert (old.end, old.reason_place_change) == (date(2024, 2, 1), "CREQB")
    assert (new.start, new.placement_type, new.setting.postcode) == (
        date(2024, 2, 1),
        "A4",
        "CD1 1AB",
    )
    pending = len(h.pending_events)
    place_for_adoption(  # a retry
        h, "A4", adoptive=adoptive, adopters=adopters, from_placement_id=first
    )
    assert len(h.pending_events) == pending
    refused(
        lambda: place_for_adoption(h, "A3", date(2024, 3, 1), from_placement_id=first),
        e.NotCurrentPlacement,
        "placement_id",
        f"placement {first} ended on 2024-02-01; it is not the current placement",
    )


def test_placed_for_adoption_by_the_foster_carers_keeps_their_setting_and_event() -> None:
    h, first = placed()
    h.collect_events()
    adoptive = place_for_adoption(h, "A5")
    (placed_event,) = h.collect_events()
    assert (placed_event.from_placement_id, placed_event.placement_id) == (first, adoptive)  # type: ignore[attr-defined]
    assert placed_event.reason_place_change == "PLACE"  # type: ignore[attr-defined]
    assert placed_event.carer_id == "household-7"  # type: ignore[attr-defined]
    assert placed_event.postcode == "AB1 2CD"  # type: ignore[attr-defined]
    assert placed_event.provider == "PR1"  # type: ignore[attr-defined]
    assert h.placement(adoptive).setting == h.placement(first).setting


# ------------------------------------------------------------ Staying Put


def test_staying_put_refusals() -> None:
    h, first = placed(periods=LEFT_CARE)

    def stay(
        on: date, placement_id: UUID | None = None, periods: list[PeriodOfCare] = LEFT_CARE
    ) -> None:
        h.record_staying_put(effective_date=on, periods_of_care=periods, placement_id=placement_id)

    refused(
        lambda: stay(date(2024, 6, 30)),
        e.StayingPutNotAtLeavingCare,
        "effective_date",
        "Staying Put starts on the day a period of care ends",
    )
    other = uuid4()
    refused(
        lambda: stay(date(2024, 7, 1), other),
        e.StayingPutNotAtLeavingCare,
        "placement_id",
        f"Staying Put continues placement {first}, the one current when the period of care ended",
    )
    stay(date(2024, 7, 1), first)
    pending = len(h.pending_events)
    stay(date(2024, 7, 1), first)  # a retry naming the placement
    stay(date(2024, 7, 1))  # a retry not naming it
    assert len(h.pending_events) == pending
    for on, named in ((date(2024, 7, 1), other), (date(2024, 7, 2), None)):
        refused(
            partial(stay, on, named),
            e.StayingPutAlreadyRecorded,
            "effective_date",
            "Staying Put was recorded from 2024-07-01",
        )


def test_staying_put_needs_a_placement_current_when_care_ended() -> None:
    h, first = placed(periods=LEFT_CARE)
    h.end_placement(placement_id=first, effective_date=date(2024, 6, 1), periods_of_care=LEFT_CARE)
    refused(
        lambda: h.record_staying_put(effective_date=date(2024, 7, 1), periods_of_care=LEFT_CARE),
        e.StayingPutNotAtLeavingCare,
        "effective_date",
        "no placement was current when the period of care ended",
    )
    home, _ = placed("K2", HOME, periods=LEFT_CARE)
    refused(
        lambda: home.record_staying_put(effective_date=date(2024, 7, 1), periods_of_care=LEFT_CARE),
        e.NotAFosterPlacement,
        "effective_date",
        "Staying Put continues a foster placement (U1-U6), not K2",
    )


def test_staying_put_continues_the_placement_of_the_period_that_ended() -> None:
    # Two periods: the first ended 1 June 2023 (placement ended then), the second at 18.
    periods = [
        PeriodOfCare(date(2023, 1, 10), date(2023, 6, 1)),
        PeriodOfCare(date(2023, 9, 1), date(2024, 7, 1)),
    ]
    h, first = placed(periods=periods)
    second = placed_again(h, first, date(2023, 6, 1), date(2023, 9, 1), periods, "U4")
    h.record_staying_put(effective_date=date(2024, 7, 1), periods_of_care=periods)
    assert h.staying_put is not None and h.staying_put.placement_id == second
    assert h.placement(second).end == date(2024, 7, 1)
    assert h.placement(first).end == date(2023, 6, 1)


def test_staying_put_placement_is_not_voided() -> None:
    h, first = placed(periods=LEFT_CARE)
    h.record_staying_put(effective_date=date(2024, 7, 1), periods_of_care=LEFT_CARE)
    refused(
        lambda: h.void_placement(placement_id=first, reason="KEYING"),
        NothingToCorrect,
        "placement_id",
        "Staying Put continues this placement; it cannot be voided",
    )


# --------------------------------------------------------------- corrections


def test_correction_refusals_name_the_field_and_the_rule() -> None:
    h, first = placed()
    second = move(h, date(2023, 6, 1), "U4", FOSTER)
    refused(
        lambda: h.amend_placement(
            placement_id=first, reason="OOPS", carer_id="x", periods_of_care=IN_CARE
        ),
        UnknownCorrectionReason,
        "reason",
        "'OOPS' is not a correction reason (KEYING, LATE, WRONG-CHILD, DUPLICATE, AUDIT, "
        "COURT, OTHER)",
    )
    refused(
        lambda: h.amend_placement(
            placement_id=second, reason="LATE", end_date=date(2023, 9, 1), periods_of_care=IN_CARE
        ),
        NothingToCorrect,
        "end_date",
        "an open placement ends by a move or an end, not by a correction",
    )
    refused(
        lambda: h.amend_placement(
            placement_id=second, reason="LATE", placement_type="T1", periods_of_care=IN_CARE
        ),
        e.TemporaryPlacementNotAllowed,
        "placement_type",
        "a correction does not turn a placement into a temporary one or back (SSDA903 rules "
        "226, 383): void it and insert the right one",
    )
    refused(
        lambda: h.amend_placement(
            placement_id=first, reason="LATE", placement_type="Q9", periods_of_care=IN_CARE
        ),
        e.UnknownCode,
        "placement_type",
        "'Q9' is not an SSDA903 PLACE code",
    )
    unknown = uuid4()
    refused(
        lambda: h.void_placement(placement_id=unknown, reason="KEYING"),
        e.PlacementNotFound,
        "placement_id",
        f"no placement {unknown} in this history",
    )
    refused(
        lambda: h.amend_placement(
            placement_id=first, reason="LATE", start_date=date(2023, 1, 9), periods_of_care=IN_CARE
        ),
        e.OutsidePeriodOfCare,
        "start_date",
        "the child was not looked after on 2023-01-09",
    )
    refused(
        lambda: h.amend_placement(
            placement_id=first, reason="LATE", end_date=date(2023, 1, 10), periods_of_care=IN_CARE
        ),
        e.DatesOutOfOrder,
        "end_date",
        f"placement {first} would end (2023-01-10) on or before it starts (2023-01-10)",
    )
    h.void_placement(placement_id=second, reason="DUPLICATE")
    refused(
        lambda: h.amend_placement(
            placement_id=second, reason="LATE", carer_id="x", periods_of_care=IN_CARE
        ),
        PlacementVoidedAlready,
        "placement_id",
        f"placement {second} was voided; it is no longer in this history",
    )
    refused(
        lambda: h.insert_placement(
            placement_id=second,
            start_date=date(2023, 7, 1),
            end_date=date(2023, 8, 1),
            placement_type="U4",
            setting=FOSTER,
            reason="LATE",
            periods_of_care=IN_CARE,
        ),
        e.DuplicatePlacementId,
        "placement_id",
        f"placement {second} is already in this history",
    )


def test_every_event_names_the_child_and_a_move_keeps_its_short_break_flag() -> None:
    h, first = placed(periods=LEFT_CARE)
    respite = move(h, date(2023, 6, 1), "U6", FOSTER, periods=LEFT_CARE)
    second = uuid4()
    h.change_placement(
        new_placement_id=second,
        effective_date=date(2023, 7, 1),
        placement_type="U6",
        setting=FOSTER,
        reason_place_change="CARPL",
        periods_of_care=LEFT_CARE,
        short_break=True,
    )
    assert (h.placement(first).short_break, h.placement(respite).short_break) == (False, False)
    assert h.placement(second).short_break is True
    h.end_placement(placement_id=second, effective_date=date(2024, 7, 1), periods_of_care=LEFT_CARE)
    h.record_staying_put(effective_date=date(2024, 7, 1), periods_of_care=LEFT_CARE)
    assert {event.child_id for event in h.collect_events()} == {CHILD}  # type: ignore[attr-defined]


def test_staying_put_does_not_continue_a_placement_begun_the_day_care_ended() -> None:
    # Care ended on 1 July 2024 and began again that day; the first placement ended in June.
    periods = [LEFT_CARE[0], PeriodOfCare(date(2024, 7, 1))]
    h, first = placed(periods=periods)
    placed_again(h, first, date(2024, 6, 1), date(2024, 7, 1), periods)
    refused(
        lambda: h.record_staying_put(effective_date=date(2024, 7, 1), periods_of_care=periods),
        e.StayingPutNotAtLeavingCare,
        "effective_date",
        "no placement was current when the period of care ended",
    )


def test_after_a_return_voided_in_error_the_usual_placement_is_the_one_before_both_stays() -> None:
    h, first = placed()
    move(h, date(2023, 6, 1), "T2", PlacementSetting(), reason=None)
    back = move(h, date(2023, 6, 8), "U6", FOSTER, reason=None)
    move(h, date(2023, 7, 1), "T4", PlacementSetting(), reason=None)
    # The return on 8 June never happened: the T2 stay ran on until the T4 one.
    h.void_placement(placement_id=back, reason="KEYING")
    assert [p.placement_type for p in h.placements] == ["U6", "T2", "T4"]
    home = move(h, date(2023, 7, 5), "U6", FOSTER, reason=None)
    assert h.current_placement is not None and h.current_placement.id == home
    assert h.placement(first).setting.carer_id == h.placement(home).setting.carer_id
