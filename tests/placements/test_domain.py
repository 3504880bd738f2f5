"""Unit tests of the `PlacementHistory` aggregate: its rules and its events. No servers."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from services.placements.domain import PeriodOfCare, PlacementHistory, PlacementSetting
from services.placements.domain.errors import (
    AdoptiveCarersMismatch,
    DatesOutOfOrder,
    DistanceWithoutPostcodes,
    DuplicatePlacementId,
    InvalidPostcode,
    NegativeDistance,
    NoCurrentPlacement,
    NotAFosterPlacement,
    NotPlacedForAdoption,
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
    UnknownCode,
    UrnNotApplicable,
)
from services.placements.domain.model import NAMESPACE, normalise_postcode
from shared.domain_errors import RuleBroken

CHILD = UUID("00000000-0000-4000-8000-000000000001")
IN_CARE = [PeriodOfCare(date(2023, 1, 10))]
FOSTER = PlacementSetting(
    provider="PR1",
    postcode="ab1 2cd",
    home_postcode="AB3 4EF",
    inside_council_area=True,
    distance_from_home_miles=3.2,
    carer_id="household-7",
)


def history() -> PlacementHistory:
    return PlacementHistory(child_id=CHILD)


def placed(
    start: date = date(2023, 1, 10),
    placement_type: str = "U6",
    setting: PlacementSetting = FOSTER,
    periods: list[PeriodOfCare] | None = None,
) -> tuple[PlacementHistory, UUID]:
    h = history()
    first = uuid4()
    h.start_placement(
        placement_id=first,
        effective_date=start,
        placement_type=placement_type,
        setting=setting,
        periods_of_care=periods or IN_CARE,
    )
    return h, first


def move(
    h: PlacementHistory,
    on: date,
    placement_type: str = "U4",
    reason: str | None = "CARPL",
    setting: PlacementSetting | None = None,
    periods: list[PeriodOfCare] | None = None,
) -> UUID:
    new = uuid4()
    h.change_placement(
        new_placement_id=new,
        effective_date=on,
        placement_type=placement_type,
        setting=setting or PlacementSetting(provider="PR4", carer_id="household-9"),
        reason_place_change=reason,
        periods_of_care=periods or IN_CARE,
    )
    return new


# ------------------------------------------------------------------ identity


def test_history_id_is_derived_from_the_child_id() -> None:
    from uuid import uuid5

    assert PlacementHistory.create_id(CHILD) == uuid5(NAMESPACE, str(CHILD))
    assert history().id == PlacementHistory.create_id(CHILD)
    assert history().child_id == CHILD


# ---------------------------------------------------------------- the events


def test_every_fact_event_has_an_effective_date_and_names_the_child() -> None:
    h, first = placed()
    move(h, date(2023, 5, 1), "T2", reason=None, setting=PlacementSetting())
    back = move(h, date(2023, 5, 8), "U6", reason=None, setting=FOSTER)
    h.record_placed_for_adoption(
        new_placement_id=uuid4(),
        effective_date=date(2024, 2, 1),
        placement_type="A5",
        periods_of_care=IN_CARE,
    )
    events = h.collect_events()
    names = [type(e).__name__ for e in events]
    assert names == [
        "Opened",
        "PlacementStarted",
        "PlacementChanged",
        "PlacementChanged",
        "PlacedForAdoption",
    ]
    for e in events[1:]:
        assert isinstance(e.effective_date, date)  # type: ignore[attr-defined]
    for e in events:
        assert e.child_id == CHILD  # type: ignore[attr-defined]
    assert events[3].from_placement_id != first  # type: ignore[attr-defined]
    assert events[3].placement_id == back  # type: ignore[attr-defined]


def test_replaying_the_events_rebuilds_the_same_history() -> None:
    h, _ = placed()
    move(h, date(2023, 6, 1))
    events = h.collect_events()
    rebuilt: PlacementHistory | None = None
    for e in events:
        rebuilt = e.mutate(rebuilt)
    assert rebuilt is not None
    assert rebuilt.placements == h.placements
    assert rebuilt.version == h.version == 3


def test_start_records_the_903_fields_normalised() -> None:
    h, first = placed()
    p = h.placement(first)
    assert p.start == date(2023, 1, 10)
    assert p.end is None
    assert p.placement_type == "U6"
    assert p.setting.provider == "PR1"
    assert p.setting.postcode == "AB1 2CD"
    assert p.setting.home_postcode == "AB3 4EF"
    assert p.setting.inside_council_area is True
    assert p.setting.distance_from_home_miles == 3.2
    assert h.current_placement == p
    assert h.placement_on(date(2023, 1, 9)) is None
    assert h.placement_on(date(2023, 1, 10)) == p


def test_a_move_is_one_event_ending_the_old_placement_the_day_the_new_one_starts() -> None:
    h, first = placed()
    h.collect_events()
    new = move(h, date(2023, 6, 1), reason="CREQB")
    assert len(h.collect_events()) == 1
    old = h.placement(first)
    assert old.end == date(2023, 6, 1)
    assert old.reason_place_change == "CREQB"
    assert h.placement(new).start == date(2023, 6, 1)
    # Half-open spans: on moving day the child is in the new placement.
    assert h.placement_on(date(2023, 6, 1)) == h.placement(new)
    assert h.placement_on(date(2023, 5, 31)) == old


# ---------------------------------------------------------- no overlap rule


def test_cannot_start_a_placement_while_one_is_open() -> None:
    h, _ = placed()
    with pytest.raises(PlacementsOverlap) as raised:
        h.start_placement(
            placement_id=uuid4(),
            effective_date=date(2023, 3, 1),
            placement_type="K2",
            setting=PlacementSetting(provider="PR4", urn="SC123456"),
            periods_of_care=IN_CARE,
        )
    assert raised.value.field == "effective_date"


def test_cannot_start_a_placement_inside_an_earlier_one() -> None:
    periods = [PeriodOfCare(date(2023, 1, 10), date(2023, 6, 1)), PeriodOfCare(date(2023, 9, 1))]
    h, first = placed(periods=periods)
    h.end_placement(placement_id=first, effective_date=date(2023, 6, 1), periods_of_care=periods)
    # Backdated into the first placement's span: overlap.
    with pytest.raises(PlacementsOverlap):
        h.start_placement(
            placement_id=uuid4(),
            effective_date=date(2023, 5, 1),
            placement_type="U4",
            setting=FOSTER,
            periods_of_care=periods,
        )


def test_child_who_left_care_can_be_placed_again_in_a_new_period() -> None:
    periods = [PeriodOfCare(date(2023, 1, 10), date(2023, 6, 1)), PeriodOfCare(date(2023, 9, 1))]
    h, first = placed(periods=periods)
    h.end_placement(placement_id=first, effective_date=date(2023, 6, 1), periods_of_care=periods)
    second = uuid4()
    h.start_placement(
        placement_id=second,
        effective_date=date(2023, 9, 1),
        placement_type="U6",
        setting=FOSTER,
        periods_of_care=periods,
    )
    assert [p.id for p in h.placements] == [first, second]


def test_placement_ids_are_unique_in_a_history() -> None:
    h, first = placed()
    with pytest.raises(DuplicatePlacementId):
        h.change_placement(
            new_placement_id=first,
            effective_date=date(2023, 6, 1),
            placement_type="U4",
            setting=FOSTER,
            reason_place_change="CARPL",
            periods_of_care=IN_CARE,
        )


# ---------------------------------------------------- within a period of care


def test_a_placement_starts_within_a_period_of_care() -> None:
    with pytest.raises(OutsidePeriodOfCare) as raised:
        placed(start=date(2023, 1, 9))
    assert raised.value.field == "effective_date"


def test_not_looked_after_on_the_day_care_ended() -> None:
    periods = [PeriodOfCare(date(2023, 1, 10), date(2023, 6, 1))]
    with pytest.raises(OutsidePeriodOfCare):
        placed(start=date(2023, 6, 1), periods=periods)


def test_a_placement_ends_by_the_end_of_its_period_of_care() -> None:
    periods = [PeriodOfCare(date(2023, 1, 10), date(2023, 6, 1))]
    h, first = placed(periods=periods)
    with pytest.raises(OutsidePeriodOfCare) as raised:
        h.end_placement(
            placement_id=first, effective_date=date(2023, 6, 2), periods_of_care=periods
        )
    assert raised.value.field == "effective_date"
    h.end_placement(placement_id=first, effective_date=date(2023, 6, 1), periods_of_care=periods)
    assert h.placement(first).end == date(2023, 6, 1)


def test_a_move_happens_within_the_period_of_care() -> None:
    periods = [PeriodOfCare(date(2023, 1, 10), date(2023, 6, 1))]
    h, _ = placed(periods=periods)
    # Leaving care is not a move: on 1 June the child is no longer looked after.
    with pytest.raises(OutsidePeriodOfCare):
        move(h, date(2023, 6, 1), periods=periods)


# ------------------------------------------------------------ dates in order


def test_a_placement_ends_after_it_starts() -> None:
    h, first = placed()
    with pytest.raises(DatesOutOfOrder):
        h.end_placement(
            placement_id=first, effective_date=date(2023, 1, 10), periods_of_care=IN_CARE
        )


def test_a_move_comes_after_the_current_placement_started() -> None:
    h, _ = placed()
    with pytest.raises(DatesOutOfOrder):
        move(h, date(2023, 1, 10))
    with pytest.raises(DatesOutOfOrder):
        move(h, date(2023, 1, 1))


def test_cannot_end_twice_or_end_what_is_not_there() -> None:
    h, first = placed()
    h.end_placement(placement_id=first, effective_date=date(2023, 2, 1), periods_of_care=IN_CARE)
    with pytest.raises(PlacementAlreadyEnded):
        h.end_placement(
            placement_id=first, effective_date=date(2023, 3, 1), periods_of_care=IN_CARE
        )
    with pytest.raises(PlacementNotFound):
        h.end_placement(
            placement_id=uuid4(), effective_date=date(2023, 3, 1), periods_of_care=IN_CARE
        )


def test_a_move_needs_a_current_placement() -> None:
    with pytest.raises(NoCurrentPlacement):
        move(history(), date(2023, 2, 1))


# ------------------------------------------------------ SSDA903 field rules


@pytest.mark.parametrize(
    ("placement_type", "setting", "error", "field"),
    [
        ("U9", PlacementSetting(), UnknownCode, "placement_type"),
        ("u6", PlacementSetting(), UnknownCode, "placement_type"),
        ("U6", PlacementSetting(provider="PR9"), UnknownCode, "placement_provider"),
        ("Z11", PlacementSetting(provider="PR1"), ProviderNotApplicable, "placement_provider"),
        ("P1", PlacementSetting(urn="SC123456"), UrnNotApplicable, "urn"),
        ("U6", PlacementSetting(postcode="not a postcode"), InvalidPostcode, "postcode"),
        (
            "U6",
            PlacementSetting(postcode="AB1 2CD", distance_from_home_miles=4.0),
            DistanceWithoutPostcodes,
            "distance_from_home_miles",
        ),
        (
            "U6",
            PlacementSetting(
                postcode="AB1 2CD", home_postcode="AB1 3", distance_from_home_miles=-1.0
            ),
            NegativeDistance,
            "distance_from_home_miles",
        ),
    ],
)
def test_903_fields_are_checked(
    placement_type: str, setting: PlacementSetting, error: type[RuleBroken], field: str
) -> None:
    with pytest.raises(error) as raised:
        placed(placement_type=placement_type, setting=setting)
    assert raised.value.field == field
    assert isinstance(raised.value, RuleBroken)


def test_urn_placeholder_is_allowed_where_no_urn_applies() -> None:
    h, first = placed(placement_type="P1", setting=PlacementSetting(provider="PR0", urn="xxxxxxx"))
    assert h.placement(first).setting.urn == "XXXXXXX"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("sw1a1aa", "SW1A 1AA"),
        (" M1  1AE ", "M1 1AE"),
        ("b33 8", "B33 8"),
        ("", None),
        (None, None),
    ],
)
def test_postcodes_full_or_sector(given: str | None, stored: str | None) -> None:
    assert normalise_postcode(given, "postcode") == stored


def test_reason_for_change_is_required_and_coded() -> None:
    h, _ = placed()
    with pytest.raises(ReasonForChangeRequired) as raised:
        move(h, date(2023, 6, 1), reason=None)
    assert raised.value.field == "reason_place_change"
    with pytest.raises(UnknownCode):
        move(h, date(2023, 6, 1), reason="BORED")


# ------------------------------------------------------ temporary placements


def test_temporary_placement_moves_carry_no_reason() -> None:
    h, _ = placed()
    with pytest.raises(ReasonForChangeNotApplicable):
        move(h, date(2023, 6, 1), "T1", reason="CARPL", setting=PlacementSetting())
    move(h, date(2023, 6, 1), "T1", reason=None, setting=PlacementSetting())
    with pytest.raises(ReasonForChangeNotApplicable):
        move(h, date(2023, 6, 9), "U6", reason="CARPL", setting=FOSTER)
    move(h, date(2023, 6, 9), "U6", reason=None, setting=FOSTER)


def test_a_period_of_care_neither_starts_nor_ends_in_a_temporary_placement() -> None:
    with pytest.raises(TemporaryPlacementNotAllowed):
        placed(placement_type="T4", setting=PlacementSetting())
    h, _ = placed()
    temporary = move(h, date(2023, 6, 1), "T4", reason=None, setting=PlacementSetting())
    with pytest.raises(TemporaryPlacementNotAllowed):
        h.end_placement(
            placement_id=temporary, effective_date=date(2023, 6, 5), periods_of_care=IN_CARE
        )


def test_a_short_break_is_not_a_temporary_placement() -> None:
    h, _ = placed()
    with pytest.raises(TemporaryPlacementNotAllowed) as raised:
        h.change_placement(
            new_placement_id=uuid4(),
            effective_date=date(2023, 6, 1),
            placement_type="T0",
            setting=PlacementSetting(),
            reason_place_change=None,
            periods_of_care=IN_CARE,
            short_break=True,
        )
    assert raised.value.field == "short_break"


# ---------------------------------------------------------- placed for adoption


def test_placed_for_adoption_with_the_current_foster_carers_keeps_the_setting() -> None:
    h, first = placed()
    adoptive = uuid4()
    h.record_placed_for_adoption(
        new_placement_id=adoptive,
        effective_date=date(2024, 2, 1),
        placement_type="A3",
        periods_of_care=IN_CARE,
    )
    assert h.placement(first).end == date(2024, 2, 1)
    assert h.placement(first).reason_place_change == "PLACE"
    assert h.placement(adoptive).setting == h.placement(first).setting
    assert h.placement(adoptive).placed_for_adoption


def test_placed_for_adoption_with_new_adopters() -> None:
    h, first = placed()
    adoptive = uuid4()
    adopters = PlacementSetting(provider="PR5", carer_id="adopters-3", postcode="CD1 1AB")
    h.record_placed_for_adoption(
        new_placement_id=adoptive,
        effective_date=date(2024, 2, 1),
        placement_type="A6",
        periods_of_care=IN_CARE,
        adopters=adopters,
    )
    assert h.placement(first).reason_place_change == "CARPL"
    assert h.placement(adoptive).setting.carer_id == "adopters-3"


def test_placed_for_adoption_codes_must_match_who_the_adopters_are() -> None:
    h, _ = placed()
    with pytest.raises(NotPlacedForAdoption):
        h.record_placed_for_adoption(
            new_placement_id=uuid4(),
            effective_date=date(2024, 2, 1),
            placement_type="U4",
            periods_of_care=IN_CARE,
        )
    with pytest.raises(AdoptiveCarersMismatch):  # A4: not with current carers, so name them
        h.record_placed_for_adoption(
            new_placement_id=uuid4(),
            effective_date=date(2024, 2, 1),
            placement_type="A4",
            periods_of_care=IN_CARE,
        )
    with pytest.raises(AdoptiveCarersMismatch):  # A5 means the current carers
        h.record_placed_for_adoption(
            new_placement_id=uuid4(),
            effective_date=date(2024, 2, 1),
            placement_type="A5",
            periods_of_care=IN_CARE,
            adopters=PlacementSetting(carer_id="someone-else"),
        )
    home, _ = placed(placement_type="K2", setting=PlacementSetting(provider="PR4", urn="SC1"))
    with pytest.raises(AdoptiveCarersMismatch):  # a children's home is not a foster carer
        home.record_placed_for_adoption(
            new_placement_id=uuid4(),
            effective_date=date(2024, 2, 1),
            placement_type="A3",
            periods_of_care=IN_CARE,
        )


# ----------------------------------------------------------------- staying put


def test_staying_put_continues_the_foster_placement_when_care_ends() -> None:
    periods = [PeriodOfCare(date(2023, 1, 10), date(2024, 7, 1))]
    h, first = placed(periods=periods)
    h.record_staying_put(effective_date=date(2024, 7, 1), periods_of_care=periods)
    assert h.placement(first).end == date(2024, 7, 1)
    assert h.staying_put is not None
    assert h.staying_put.placement_id == first
    assert h.staying_put.start == date(2024, 7, 1)
    assert h.current_placement is None
    pending = len(h.pending_events)
    h.record_staying_put(effective_date=date(2024, 7, 1), periods_of_care=periods)  # a retry
    assert len(h.pending_events) == pending  # records nothing
    with pytest.raises(StayingPutAlreadyRecorded):
        h.record_staying_put(effective_date=date(2024, 8, 1), periods_of_care=periods)


def test_staying_put_after_the_placement_was_ended_on_leaving_day() -> None:
    periods = [PeriodOfCare(date(2023, 1, 10), date(2024, 7, 1))]
    h, first = placed(periods=periods)
    h.end_placement(placement_id=first, effective_date=date(2024, 7, 1), periods_of_care=periods)
    h.record_staying_put(effective_date=date(2024, 7, 1), periods_of_care=periods)
    assert h.staying_put is not None and h.staying_put.placement_id == first


def test_staying_put_needs_the_end_of_care_and_a_foster_placement() -> None:
    with pytest.raises(StayingPutNotAtLeavingCare):
        h, _ = placed()
        h.record_staying_put(effective_date=date(2024, 7, 1), periods_of_care=IN_CARE)
    periods = [PeriodOfCare(date(2023, 1, 10), date(2024, 7, 1))]
    home, _ = placed(
        placement_type="K2", setting=PlacementSetting(provider="PR4", urn="SC1"), periods=periods
    )
    with pytest.raises(NotAFosterPlacement):
        home.record_staying_put(effective_date=date(2024, 7, 1), periods_of_care=periods)


# ------------------------------------------------------------ to the read side


def test_spans_are_what_the_stability_rules_read() -> None:
    h, first = placed()
    second = move(h, date(2023, 6, 1))
    spans = h.spans()
    assert [(s.placement_id, s.start, s.end, s.placement_type) for s in spans] == [
        (first, date(2023, 1, 10), date(2023, 6, 1), "U6"),
        (second, date(2023, 6, 1), None, "U4"),
    ]
    assert spans[0].carer_id == "household-7"
    assert spans[0].postcode == "AB1 2CD"


# ------------------------------------------- carers named where counts depend on them


def test_a_move_names_its_carers_and_so_does_the_placement_it_leaves() -> None:
    from services.placements.domain.errors import CarersRequired

    h, _ = placed()  # FOSTER names household-7
    # U6 -> U4: a new placement, or long-term fostering with the same carers (RNE T/U)?
    with pytest.raises(CarersRequired) as raised:
        move(h, date(2023, 6, 1), "U4", setting=PlacementSetting(provider="PR1"))
    assert raised.value.field == "carer_id"
    move(h, date(2023, 6, 1), "U4", setting=FOSTER)  # same carers, named: recorded
    # Recorded without carers (the first placement of a period may be): no move from it.
    bare, _ = placed(setting=PlacementSetting(provider="PR1"))
    with pytest.raises(CarersRequired) as raised:
        move(bare, date(2023, 6, 1), "U4", setting=FOSTER)
    assert raised.value.field == "carer_id"
    # A move into a temporary placement names none (it is never counted).
    move(bare, date(2023, 6, 1), "T2", reason=None, setting=PlacementSetting())


def test_a_placement_after_another_in_the_period_names_its_carers() -> None:
    from services.placements.domain.errors import CarersRequired

    h, first = placed()
    h.end_placement(placement_id=first, effective_date=date(2023, 3, 1), periods_of_care=IN_CARE)
    with pytest.raises(CarersRequired) as raised:
        h.start_placement(
            placement_id=uuid4(),
            effective_date=date(2023, 3, 5),
            placement_type="U6",
            setting=PlacementSetting(provider="PR1"),
            periods_of_care=IN_CARE,
        )
    assert raised.value.field == "carer_id"


def test_placed_for_adoption_with_new_adopters_names_them() -> None:
    from services.placements.domain.errors import CarersRequired

    h, _ = placed()
    with pytest.raises(CarersRequired) as raised:
        h.record_placed_for_adoption(
            new_placement_id=uuid4(),
            effective_date=date(2024, 2, 1),
            placement_type="A6",
            periods_of_care=IN_CARE,
            adopters=PlacementSetting(provider="PR1"),
        )
    assert raised.value.field == "carer_id"


# ------------------------------------------- SSDA903 temporary placement rules at entry


def test_rule_375_a_hospital_stay_as_t1_lasts_at_most_six_weeks() -> None:
    from services.placements.domain.errors import TemporaryPlacementTooLong

    h, _ = placed()
    move(h, date(2023, 6, 1), "T1", reason=None, setting=PlacementSetting())
    # 1 June + 42 days = 13 July: allowed; 14 July is more than six weeks.
    with pytest.raises(TemporaryPlacementTooLong) as raised:
        move(h, date(2023, 7, 14), "U6", reason=None, setting=FOSTER)
    assert raised.value.field == "effective_date"
    move(h, date(2023, 7, 13), "U6", reason=None, setting=FOSTER)


def test_rule_375_agrees_with_the_validator() -> None:
    import pandas as pd
    from lac_validator.rules.lac2026_27 import registry

    from services.placements.domain.model import HOSPITAL_TEMPORARY_MAX_DAYS

    episodes = pd.DataFrame(
        {
            "CHILD": ["1", "2"],
            "DECOM": ["01/06/2023", "01/06/2023"],
            "DEC": ["13/07/2023", "14/07/2023"],
            "PLACE": ["T1", "T1"],
        }
    )
    header = pd.DataFrame({"CHILD": ["1", "2"], "DOB": ["01/01/2015", "01/01/2015"]})
    assert registry["375"].func({"Episodes": episodes, "Header": header}) == {"Episodes": [1]}
    assert (date(2023, 7, 13) - date(2023, 6, 1)).days == HOSPITAL_TEMPORARY_MAX_DAYS


def test_rule_377_at_most_two_carer_holiday_placements_in_any_12_months() -> None:
    from services.placements.domain.errors import TooManyCarerHolidayPlacements

    h, _ = placed()
    for away, back in ((date(2023, 4, 1), date(2023, 4, 8)), (date(2023, 8, 1), date(2023, 8, 8))):
        move(h, away, "T3", reason=None, setting=PlacementSetting())
        move(h, back, "U6", reason=None, setting=FOSTER)
    # A third T3 on 31 March 2024: 1 April 2023 is in the year before it.
    with pytest.raises(TooManyCarerHolidayPlacements) as raised:
        move(h, date(2024, 3, 31), "T3", reason=None, setting=PlacementSetting())
    assert raised.value.field == "placement_type"
    # On 1 April 2024 the first is more than 12 months before: allowed.
    move(h, date(2024, 4, 1), "T3", reason=None, setting=PlacementSetting())


@pytest.mark.parametrize(
    ("placement_type", "setting", "field"),
    [
        ("U4", FOSTER, "placement_type"),  # another PLACE
        ("T2", PlacementSetting(), "placement_type"),  # another temporary placement
        ("U6", PlacementSetting(postcode="ZZ9 9ZZ", carer_id="household-7"), "postcode"),
        ("U6", PlacementSetting(postcode="AB1 2CD", carer_id="household-8"), "carer_id"),
        ("U6", PlacementSetting(postcode="AB1 2CD"), "carer_id"),  # carers not named
    ],
)
def test_rule_383_a_temporary_placement_is_followed_by_the_usual_one(
    placement_type: str, setting: PlacementSetting, field: str
) -> None:
    from services.placements.domain.errors import CarersRequired, NotReturnedToUsualPlacement

    h, _ = placed()
    move(h, date(2023, 6, 1), "T4", reason=None, setting=PlacementSetting())
    with pytest.raises((NotReturnedToUsualPlacement, CarersRequired)) as raised:
        move(h, date(2023, 6, 5), placement_type, reason=None, setting=setting)
    assert raised.value.field == field
    move(h, date(2023, 6, 5), "U6", reason=None, setting=FOSTER)
