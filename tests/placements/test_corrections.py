"""Late corrections to a placement history: amend, insert a missed one, void (no servers).

Each correction is an event of its own carrying why; the original events stay
in the history, replaying to the record as it stood before (recorded time),
while the stability rules count the corrected placements (valid time).
"""

from __future__ import annotations

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
)
from services.placements.domain.stability import ChildRecord, child_stability

CHILD = UUID("00000000-0000-4000-8000-0000000000c1")
IN_CARE = [PeriodOfCare(date(2023, 1, 10))]


def setting(carer: str) -> PlacementSetting:
    return PlacementSetting(provider="PR1", carer_id=carer)


def three_placements() -> tuple[PlacementHistory, list[UUID]]:
    """Placed 10 Jan 2023 (h-1), moved 1 Jun 2023 (h-2), moved 15 Nov 2023 (h-3)."""
    h = PlacementHistory(child_id=CHILD)
    ids = [uuid4(), uuid4(), uuid4()]
    h.start_placement(
        placement_id=ids[0],
        effective_date=date(2023, 1, 10),
        placement_type="U4",
        setting=setting("h-1"),
        periods_of_care=IN_CARE,
    )
    for new, day, carer in ((ids[1], date(2023, 6, 1), "h-2"), (ids[2], date(2023, 11, 15), "h-3")):
        h.change_placement(
            new_placement_id=new,
            effective_date=day,
            placement_type="U4",
            setting=setting(carer),
            reason_place_change="CARPL",
            periods_of_care=IN_CARE,
        )
    return h, ids


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
    missed = uuid4()
    h.insert_placement(
        placement_id=missed,
        start_date=date(2023, 9, 1),
        end_date=date(2023, 11, 15),
        placement_type="U4",
        setting=setting("h-x"),
        reason_place_change="CARPL",
        reason="LATE",
        periods_of_care=IN_CARE,
    )
    assert spans(h) == [
        (date(2023, 1, 10), date(2023, 6, 1), "h-1"),
        (date(2023, 6, 1), date(2023, 9, 1), "h-2"),
        (date(2023, 9, 1), date(2023, 11, 15), "h-x"),
        (date(2023, 11, 15), None, "h-3"),
    ]
    assert isinstance(last_event(h), events.PlacementInserted)
    # The same insertion again (a retry) records nothing; the id with other facts is refused.
    count = len(h.pending_events)
    h.insert_placement(
        placement_id=missed,
        start_date=date(2023, 9, 1),
        end_date=date(2023, 11, 15),
        placement_type="U4",
        setting=setting("h-x"),
        reason="LATE",
        periods_of_care=IN_CARE,
    )
    assert len(h.pending_events) == count
    with pytest.raises(DuplicatePlacementId):
        h.insert_placement(
            placement_id=missed,
            start_date=date(2023, 9, 2),
            end_date=date(2023, 11, 15),
            placement_type="U4",
            setting=setting("h-x"),
            reason="LATE",
            periods_of_care=IN_CARE,
        )


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
        h.insert_placement(
            placement_id=uuid4(),
            start_date=start,
            end_date=end,
            placement_type="U4",
            setting=setting("h-x"),
            reason="LATE",
            periods_of_care=IN_CARE,
        )


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
