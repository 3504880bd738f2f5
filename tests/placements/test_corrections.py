"""Late corrections to a placement history: amend, insert a missed one, void (no servers).

Each correction is an event of its own carrying why; the original events stay
in the history, replaying to the record as it stood before (recorded time),
while the stability rules count the corrected placements (valid time).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from services.placements.application import Placements
from services.placements.domain import PeriodOfCare, PlacementHistory, PlacementSetting, events
from services.placements.domain import commands as c
from services.placements.domain.corrections import (
    NothingToCorrect,
    PlacementVoidedAlready,
    UnknownCorrectionReason,
)
from services.placements.domain.errors import (
    DatesOutOfOrder,
    DuplicatePlacementId,
    OutsidePeriodOfCare,
    PlacementsOverlap,
    TemporaryPlacementNotAllowed,
    UnknownCode,
)
from services.placements.domain.stability import ChildRecord, child_stability

CHILD = UUID("00000000-0000-4000-8000-0000000000c1")
IN_CARE = [PeriodOfCare(date(2023, 1, 10))]


def setting(carer: str) -> PlacementSetting:
    return PlacementSetting(provider="PR1", carer_id=carer)


def place(
    h: PlacementHistory,
    placement_id: UUID,
    on: date,
    carer: str,
    periods: list[PeriodOfCare] = IN_CARE,
) -> None:
    """Start a U4 placement with `carer`: the first one, or the first after a gap."""
    h.start_placement(
        placement_id=placement_id,
        effective_date=on,
        placement_type="U4",
        setting=setting(carer),
        periods_of_care=periods,
    )


def move(
    h: PlacementHistory,
    new: UUID,
    on: date,
    carer: str,
    why: str = "CARPL",
    periods: list[PeriodOfCare] = IN_CARE,
) -> None:
    """Move to a U4 placement with `carer`, for reason `why` (the care plan unless said)."""
    h.change_placement(
        new_placement_id=new,
        effective_date=on,
        placement_type="U4",
        setting=setting(carer),
        reason_place_change=why,
        periods_of_care=periods,
    )


def three_placements(
    second_move_why: str = "CARPL",
) -> tuple[PlacementHistory, list[UUID]]:
    """Placed 10 Jan 2023 (h-1), moved 1 Jun 2023 (h-2, CARPL), moved 15 Nov 2023 (h-3)."""
    h = PlacementHistory(child_id=CHILD)
    ids = [uuid4(), uuid4(), uuid4()]
    place(h, ids[0], date(2023, 1, 10), "h-1")
    move(h, ids[1], date(2023, 6, 1), "h-2")
    move(h, ids[2], date(2023, 11, 15), "h-3", why=second_move_why)
    return h, ids


def placed_then_moved(
    periods: list[PeriodOfCare] = IN_CARE,
) -> tuple[PlacementHistory, UUID, UUID]:
    """Placed 10 Jan 2023 (h-1), moved by the care plan 1 Jun 2023 (h-2)."""
    h = PlacementHistory(child_id=CHILD)
    first, second = uuid4(), uuid4()
    place(h, first, date(2023, 1, 10), "h-1", periods)
    move(h, second, date(2023, 6, 1), "h-2", periods=periods)
    return h, first, second


def placed_again_after_a_gap(
    periods: list[PeriodOfCare], ended: date, again: date
) -> tuple[PlacementHistory, UUID, UUID]:
    """Placed 10 Jan 2023 (h-1) until `ended`, placed again (h-2) on `again`."""
    h = PlacementHistory(child_id=CHILD)
    first, second = uuid4(), uuid4()
    place(h, first, date(2023, 1, 10), "h-1", periods)
    h.end_placement(placement_id=first, effective_date=ended, periods_of_care=periods)
    place(h, second, again, "h-2", periods)
    return h, first, second


def insert_missed(
    h: PlacementHistory,
    start: date = date(2023, 9, 1),
    end: date = date(2023, 11, 15),
    placement_id: UUID | None = None,
    **more: Any,
) -> UUID:
    """Insert a missed U4 placement with carer h-x, found late (reason LATE unless said)."""
    placement_id = placement_id or uuid4()
    fields: dict[str, Any] = {
        "placement_type": "U4",
        "setting": setting("h-x"),
        "reason": "LATE",
        "periods_of_care": IN_CARE,
        **more,
    }
    h.insert_placement(placement_id=placement_id, start_date=start, end_date=end, **fields)
    return placement_id


def spans(h: PlacementHistory) -> list[tuple[date, date | None, str | None]]:
    return [(p.start, p.end, p.setting.carer_id) for p in h.placements]


def last_event(h: PlacementHistory) -> Any:
    return h.pending_events[-1]


# -------------------------------------------------------------------- amend


def test_amending_a_start_moves_the_day_of_the_move_into_it() -> None:
    h, ids = three_placements()
    h.amend_placement(
        placement_id=ids[1],
        start_date=date(2023, 5, 20),
        reason="LATE",
        note="the move was on the 20th",
        periods_of_care=IN_CARE,
    )
    assert spans(h) == [
        (date(2023, 1, 10), date(2023, 5, 20), "h-1"),
        (date(2023, 5, 20), date(2023, 11, 15), "h-2"),
        (date(2023, 11, 15), None, "h-3"),
    ]
    event = last_event(h)
    assert isinstance(event, events.PlacementAmended)
    assert (event.reason, event.note, event.child_id) == ("LATE", "the move was on the 20th", CHILD)
    assert event.effective_date == date(2023, 5, 20)


def test_amending_an_end_moves_the_start_of_the_next_and_carer_and_type_change() -> None:
    h, ids = three_placements()
    h.amend_placement(
        placement_id=ids[1],
        end_date=date(2023, 12, 1),
        carer_id="h-2b",
        placement_type="U5",
        reason="KEYING",
        periods_of_care=IN_CARE,
    )
    assert spans(h)[1:] == [
        (date(2023, 6, 1), date(2023, 12, 1), "h-2b"),
        (date(2023, 12, 1), None, "h-3"),
    ]
    assert h.placements[1].placement_type == "U5"


def test_an_amendment_already_made_records_nothing() -> None:
    h, ids = three_placements()
    before = len(h.pending_events)
    h.amend_placement(
        placement_id=ids[1], start_date=date(2023, 6, 1), reason="LATE", periods_of_care=IN_CARE
    )
    assert len(h.pending_events) == before


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"start_date": date(2023, 1, 5)}, OutsidePeriodOfCare),  # before care began
        ({"start_date": date(2023, 1, 10)}, DatesOutOfOrder),  # the one before would be empty
        ({"end_date": date(2024, 1, 1)}, NothingToCorrect),  # h-3 is still open
        ({"placement_type": "T1"}, TemporaryPlacementNotAllowed),
        ({"carer_id": "h-9", "reason": "OOPS"}, UnknownCorrectionReason),
    ],
)
def test_amendments_that_break_the_history_are_refused(fields: dict[str, Any], error: type) -> None:
    h, ids = three_placements()
    target = ids[2] if "end_date" in fields else ids[1]
    before = spans(h)
    with pytest.raises(error):
        h.amend_placement(
            placement_id=target,
            periods_of_care=IN_CARE,
            **{"reason": "LATE", **fields},
        )
    assert spans(h) == before


# ------------------------------------------------------------------- insert


def test_a_missed_placement_is_inserted_between_two_recorded_ones() -> None:
    h, _ = three_placements()
    missed = insert_missed(h, reason_place_change="CARPL")
    assert spans(h) == [
        (date(2023, 1, 10), date(2023, 6, 1), "h-1"),
        (date(2023, 6, 1), date(2023, 9, 1), "h-2"),
        (date(2023, 9, 1), date(2023, 11, 15), "h-x"),
        (date(2023, 11, 15), None, "h-3"),
    ]
    assert isinstance(last_event(h), events.PlacementInserted)
    # The same insertion again (a retry) records nothing; the id with other facts is refused.
    count = len(h.pending_events)
    insert_missed(h, placement_id=missed)
    assert len(h.pending_events) == count
    with pytest.raises(DuplicatePlacementId):
        insert_missed(h, date(2023, 9, 2), placement_id=missed)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2023, 7, 1), date(2023, 8, 1)),  # inside h-2: would split it
        (date(2023, 5, 1), date(2023, 12, 1)),  # h-2 wholly inside the new one
    ],
)
def test_an_insertion_that_splits_or_swallows_a_placement_is_refused(
    start: date, end: date
) -> None:
    h, _ = three_placements()
    with pytest.raises(PlacementsOverlap):
        insert_missed(h, start, end)


# --------------------------------------------------------------------- void


def test_voiding_a_move_in_error_gives_its_days_back_to_the_placement_before() -> None:
    h, ids = three_placements()
    h.void_placement(placement_id=ids[1], reason="WRONG-CHILD")
    assert spans(h) == [
        (date(2023, 1, 10), date(2023, 11, 15), "h-1"),
        (date(2023, 11, 15), None, "h-3"),
    ]
    assert isinstance(last_event(h), events.PlacementVoided)
    count = len(h.pending_events)
    h.void_placement(placement_id=ids[1], reason="WRONG-CHILD")  # a retry
    assert len(h.pending_events) == count
    with pytest.raises(PlacementVoidedAlready):
        h.amend_placement(
            placement_id=ids[1], carer_id="h-9", reason="KEYING", periods_of_care=IN_CARE
        )


def test_voiding_the_current_placement_makes_the_one_before_current_again() -> None:
    h, ids = three_placements()
    h.void_placement(placement_id=ids[2], reason="DUPLICATE")
    assert h.current_placement is not None
    assert h.current_placement.id == ids[1]


def test_a_correction_needs_a_reason_from_the_list() -> None:
    with pytest.raises(ValidationError):
        c.VoidPlacement.model_validate({})
    with pytest.raises(ValidationError):
        c.AmendPlacement.model_validate({"reason": "LATE"})  # nothing to amend
    with pytest.raises(ValidationError):
        c.VoidPlacement.model_validate({"reason": "LATE", "note": "x" * 501})
    h, ids = three_placements()
    with pytest.raises(UnknownCorrectionReason):
        h.void_placement(placement_id=ids[1], reason="BECAUSE")


# ------------------------------------------- stored, replayed, and counted


def test_corrections_are_stored_replayed_and_counted_the_original_stays() -> None:
    app = Placements(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.periods_of_care = lambda _: IN_CARE
    h, ids = three_placements()
    app.save(h)
    stood = datetime.now(UTC)
    app.execute(CHILD, c.VoidPlacement(reason="DUPLICATE"), None, path={"placement_id": ids[1]})

    now = app.get_history(CHILD)
    assert [p.id for p in now.placements] == [ids[0], ids[2]]
    # The original move is still in the history, followed by the correction.
    names = [type(e).__name__ for e in app.events.get(now.id)]
    assert names == [
        "Opened",
        "PlacementStarted",
        "PlacementChanged",
        "PlacementChanged",
        "PlacementVoided",
    ]
    # As the record stood before the correction (recorded time): three placements.
    before = app.history_as_of(CHILD, stood)
    assert [p.id for p in before.placements] == ids

    def moves(history: PlacementHistory) -> int:
        record = ChildRecord(
            child_id=str(CHILD),
            date_of_birth=date(2012, 5, 1),
            periods_of_care=tuple(IN_CARE),
            placements=history.spans(),
        )
        return child_stability(record, date(2024, 3, 31)).move_count

    assert (moves(before), moves(now)) == (2, 1)


def test_an_insert_through_the_command_cycle_derives_its_id_and_answers_it() -> None:
    app = Placements(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.periods_of_care = lambda _: IN_CARE
    h, _ = three_placements()
    app.save(h)
    command = c.InsertPlacement(
        placement_id=uuid4(),
        start_date=date(2023, 9, 1),
        end_date=date(2023, 11, 15),
        placement_type="U4",
        carer_id="h-x",
        reason="LATE",
    )
    version = app.execute(CHILD, command, None, path={})
    assert version == h.version + 1
    assert len(app.get_history(CHILD).placements) == 4


def test_corrections_are_published_as_new_versioned_types_without_the_note() -> None:
    from services.placements.adapters.integration_events import translate
    from shared.contracts import placements as contract

    h, ids = three_placements()
    h.void_placement(placement_id=ids[1], reason="WRONG-CHILD", note="meant for C-1002")
    (published,) = translate(h.pending_events[-1], {})
    assert isinstance(published, contract.PlacementVoided)
    assert published.cloudevent_type().endswith("placements.placement.voided.v1")
    assert published.reason == "WRONG-CHILD"
    assert [(p.placement_id, p.end_date) for p in published.placements] == [
        (str(ids[0]), date(2023, 11, 15))
    ]
    assert "meant for" not in published.model_dump_json()


# ------------------------------------------- what a correction carries and keeps


def full_setting(carer: str) -> PlacementSetting:
    return PlacementSetting(
        provider="PR1",
        urn="SC654321",
        postcode="AB1 2CD",
        home_postcode="AB3 4EF",
        inside_council_area=False,
        distance_from_home_miles=12.5,
        carer_id=carer,
    )


def test_a_correction_keeps_every_903_field_it_does_not_correct_and_replays_to_the_same() -> None:
    h = PlacementHistory(child_id=CHILD)
    first, second = uuid4(), uuid4()
    h.start_placement(
        placement_id=first,
        effective_date=date(2023, 1, 10),
        placement_type="U4",
        setting=full_setting("h-1"),
        periods_of_care=IN_CARE,
        short_break=True,
    )
    h.change_placement(
        new_placement_id=second,
        effective_date=date(2023, 6, 1),
        placement_type="U5",
        setting=full_setting("h-2"),
        reason_place_change="CREQB",
        periods_of_care=IN_CARE,
    )
    kept = h.placement(first)
    # The move was on 20 May: the start of the second moves the end of the first.
    h.amend_placement(
        placement_id=second, start_date=date(2023, 5, 20), reason="LATE", periods_of_care=IN_CARE
    )
    assert h.placement(first) == replace(kept, end=date(2023, 5, 20))
    assert h.placement(first).reason_place_change == "CREQB"
    assert h.placement(first).short_break is True
    assert h.placement(second).setting == full_setting("h-2")
    rebuilt: PlacementHistory | None = None
    for event in h.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert rebuilt is not None and rebuilt.placements == h.placements


def test_an_amendment_carries_only_the_placements_it_changed() -> None:
    h, ids = three_placements()
    h.amend_placement(
        placement_id=ids[1], carer_id="h-2b", reason="KEYING", note=None, periods_of_care=IN_CARE
    )
    event = last_event(h)
    assert [s["placement_id"] for s in event.spans] == [str(ids[1])]
    assert (event.removed, event.placement_id, event.note) == ([], ids[1], None)
    assert event.effective_date == date(2023, 6, 1)
    # A later start: the correction is effective from the day first recorded.
    h.amend_placement(
        placement_id=ids[1], start_date=date(2023, 6, 10), reason="LATE", periods_of_care=IN_CARE
    )
    event = last_event(h)
    assert sorted(s["placement_id"] for s in event.spans) == sorted([str(ids[1]), str(ids[0])])
    assert event.effective_date == date(2023, 6, 1)
    assert spans(h)[:2] == [
        (date(2023, 1, 10), date(2023, 6, 10), "h-1"),
        (date(2023, 6, 10), date(2023, 11, 15), "h-2b"),
    ]


def test_amending_the_end_of_a_placement_left_by_leaving_care_moves_no_other() -> None:
    periods = [PeriodOfCare(date(2023, 1, 10), date(2023, 9, 1)), PeriodOfCare(date(2023, 12, 1))]
    h, first, _ = placed_again_after_a_gap(periods, date(2023, 8, 1), date(2023, 12, 1))
    h.amend_placement(
        placement_id=first, end_date=date(2023, 9, 1), reason="LATE", periods_of_care=periods
    )
    assert spans(h) == [
        (date(2023, 1, 10), date(2023, 9, 1), "h-1"),
        (date(2023, 12, 1), None, "h-2"),
    ]
    with pytest.raises(OutsidePeriodOfCare) as raised:
        h.amend_placement(
            placement_id=first, end_date=date(2023, 9, 2), reason="LATE", periods_of_care=periods
        )
    assert (raised.value.field, str(raised.value)) == (
        "end_date",
        "the placement's period of care ended on 2023-09-01",
    )


def test_amending_an_open_placement_back_before_an_earlier_one_is_an_overlap() -> None:
    periods = [PeriodOfCare(date(2023, 1, 1))]
    h, first, second = placed_again_after_a_gap(periods, date(2023, 3, 1), date(2023, 4, 1))
    for day, earlier, later in (
        (date(2023, 1, 5), second, first),  # the open one would come first
        (date(2023, 2, 1), first, second),  # the first would still run then
    ):
        with pytest.raises(PlacementsOverlap) as raised:
            h.amend_placement(
                placement_id=second, start_date=day, reason="LATE", periods_of_care=periods
            )
        assert (raised.value.field, str(raised.value)) == (
            "start_date",
            f"placement {earlier} would overlap placement {later}; a child lives in one "
            "placement at a time",
        )
    # Back to the day the first ended: a move, no gap, no overlap.
    h.amend_placement(
        placement_id=second, start_date=date(2023, 3, 1), reason="LATE", periods_of_care=periods
    )
    assert spans(h)[1] == (date(2023, 3, 1), None, "h-2")


@pytest.mark.parametrize(
    ("start", "end", "expected", "touched"),
    [
        # Between h-2 and h-3: h-2 now ends on 1 Sep; h-3 (from 15 Nov) is untouched.
        (
            date(2023, 9, 1),
            date(2023, 11, 15),
            [("h-1", date(2023, 6, 1)), ("h-2", date(2023, 9, 1)), ("h-x", date(2023, 11, 15))],
            ["h-x", "h-2"],
        ),
        # On the day h-2 began: h-2 now begins when the missed one ended; h-1 is untouched.
        (
            date(2023, 6, 1),
            date(2023, 7, 1),
            [("h-1", date(2023, 6, 1)), ("h-x", date(2023, 7, 1)), ("h-2", date(2023, 11, 15))],
            ["h-x", "h-2"],
        ),
        # At the start of the current placement: it now starts on 1 Dec.
        (
            date(2023, 11, 15),
            date(2023, 12, 1),
            [("h-1", date(2023, 6, 1)), ("h-2", date(2023, 11, 15)), ("h-x", date(2023, 12, 1))],
            ["h-x", "h-3"],
        ),
    ],
)
def test_an_insertion_trims_only_the_neighbours_it_meets(
    start: date, end: date, expected: list[tuple[str, date]], touched: list[str]
) -> None:
    h, _ = three_placements()
    missed = insert_missed(h, start, end, reason="AUDIT", note="found in the audit")
    assert [(carer, e) for _, e, carer in spans(h)][:3] == [(c, e) for c, e in expected]
    event = last_event(h)
    assert [s["carer_id"] for s in event.spans] == touched
    assert (event.placement_id, event.effective_date, event.reason, event.note, event.removed) == (
        missed,
        start,
        "AUDIT",
        "found in the audit",
        [],
    )
    inserted = h.placement(missed)
    assert (inserted.placement_type, inserted.short_break, inserted.reason_place_change) == (
        "U4",
        False,
        None,
    )


def test_a_missed_placement_keeps_its_reason_for_change_and_short_break() -> None:
    h, _ = three_placements()
    missed = insert_missed(
        h, setting=full_setting("h-x"), short_break=True, reason_place_change="CREQB"
    )
    inserted = h.placement(missed)
    assert (inserted.short_break, inserted.reason_place_change) == (True, "CREQB")
    assert inserted.setting == full_setting("h-x")


@pytest.mark.parametrize(
    ("start", "end", "fields", "error", "field", "message"),
    [
        (
            date(2023, 9, 1),
            date(2023, 9, 1),
            {},
            DatesOutOfOrder,
            "end_date",
            "a placement ends after the day it starts",
        ),
        (
            date(2023, 9, 1),
            date(2023, 11, 15),
            {"placement_type": "T2"},
            TemporaryPlacementNotAllowed,
            "placement_type",
            "a missed temporary stay is entered by amending the moves around it, not as a "
            "placement of its own (SSDA903 rules 380, 383)",
        ),
        (
            date(2023, 9, 1),
            date(2023, 11, 15),
            {"reason_place_change": "BORED"},
            UnknownCode,
            "reason_place_change",
            "'BORED' is not an SSDA903 REASON_PLACE_CHANGE code",
        ),
        (
            date(2022, 12, 1),
            date(2023, 1, 10),
            {},
            OutsidePeriodOfCare,
            "start_date",
            "the child was not looked after on 2022-12-01",
        ),
    ],
)
def test_insertions_refused(
    start: date,
    end: date,
    fields: dict[str, Any],
    error: type[Exception],
    field: str,
    message: str,
) -> None:
    h, _ = three_placements()
    with pytest.raises(error) as raised:
        insert_missed(h, start, end, **fields)
    assert (raised.value.field, str(raised.value)) == (field, message)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("start", "end", "within", "field", "message"),
    [
        (
            date(2023, 7, 1),
            date(2023, 8, 1),
            1,
            "start_date",
            "runs through the whole of the new one; amend or void it first",
        ),
        (
            date(2023, 12, 1),
            date(2024, 1, 1),
            2,
            "start_date",
            "runs through the whole of the new one; amend or void it first",
        ),
        (
            date(2023, 5, 1),
            date(2023, 11, 15),
            1,
            "end_date",
            "(2023-06-01 to 2023-11-15) lies within the new one; void it first",
        ),
    ],
)
def test_an_insertion_that_splits_or_swallows_says_which_placement(
    start: date, end: date, within: int, field: str, message: str
) -> None:
    h, ids = three_placements()
    with pytest.raises(PlacementsOverlap) as raised:
        insert_missed(h, start, end)
    assert (raised.value.field, str(raised.value)) == (field, f"placement {ids[within]} {message}")


def test_voiding_a_move_gives_the_placement_before_its_end_and_reason() -> None:
    # To h-2 by the care plan (CARPL); out of h-2 at the carers' request (CREQB).
    h, ids = three_placements(second_move_why="CREQB")
    h.amend_placement(
        placement_id=ids[1], end_date=date(2023, 11, 15), reason="LATE", periods_of_care=IN_CARE
    )  # nothing changes: already so
    h.void_placement(placement_id=ids[1], reason="WRONG-CHILD", note="meant for C-1002")
    event = last_event(h)
    assert (event.placement_id, event.effective_date, event.reason, event.note) == (
        ids[1],
        date(2023, 6, 1),
        "WRONG-CHILD",
        "meant for C-1002",
    )
    assert event.removed == [str(ids[1])]
    assert h.placement(ids[0]).reason_place_change == "CREQB"
    assert h.placement(ids[0]).end == date(2023, 11, 15)


def test_voiding_the_first_placement_leaves_a_gap_and_voids_are_remembered() -> None:
    h, ids = three_placements()
    h.void_placement(placement_id=ids[0], reason="DUPLICATE")
    assert last_event(h).spans == []
    h.void_placement(placement_id=ids[2], reason="DUPLICATE")
    assert set(h.voided) == {ids[0], ids[2]}
    assert [p.id for p in h.placements] == [ids[1]]
    rebuilt: PlacementHistory | None = None
    for event in h.collect_events():
        rebuilt = event.mutate(rebuilt)
    assert rebuilt is not None and set(rebuilt.voided) == {ids[0], ids[2]}


def test_with_staying_put_the_other_placements_can_still_be_voided() -> None:
    periods = [PeriodOfCare(date(2023, 1, 10), date(2024, 7, 1))]
    h, first, second = placed_then_moved(periods)
    h.record_staying_put(effective_date=date(2024, 7, 1), periods_of_care=periods)
    h.void_placement(placement_id=first, reason="DUPLICATE")
    assert [p.id for p in h.placements] == [second]


def test_the_amendment_document_says_at_least_one_amendable_field_not_null() -> None:
    schema = c.AmendPlacement.model_json_schema()
    assert schema["anyOf"] == [
        {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
        for name in ("start_date", "end_date", "placement_type", "carer_id")
    ]
    # As every command's document: a note of spaces only is too short.
    assert "pattern" in schema["properties"]["note"]["anyOf"][0]
