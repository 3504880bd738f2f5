"""Unit tests of the `Placements` application on the library's in-memory store (no servers).

Commands go through the shared command cycle (`ServiceApplication.execute`);
the child's periods of care, which the service learns from casefile, are
given here directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.placements.application import NotLookedAfter, Placements
from services.placements.domain import PeriodOfCare, PlacementHistory, VersionConflict
from services.placements.domain import commands as c
from services.placements.domain.errors import PlacementsOverlap
from shared.commands import Command
from shared.domain_errors import NotFound

IN_CARE = [PeriodOfCare(date(2023, 1, 10))]
FOSTER: dict[str, Any] = {
    "placement_provider": "PR1",
    "carer_id": "household-7",
    "postcode": "AB1 2CD",
}


@pytest.fixture
def app() -> Placements:
    return Placements(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def run(
    app: Placements,
    child: UUID,
    command: Command,
    periods: Sequence[PeriodOfCare] = IN_CARE,
    expected: int | None = None,
    **path: Any,
) -> int:
    app.periods_of_care = lambda _: periods
    return app.execute(child, command, expected, path=path)


def start(placement_type: str = "U6", day: date = date(2023, 1, 10), **fields: Any) -> Command:
    fields.setdefault("carer_id", "household-7")
    return c.StartPlacement(
        placement_id=fields.pop("placement_id", uuid4()),
        effective_date=day,
        placement_type=placement_type,
        **fields,
    )


def move(day: date, placement_type: str = "U4", **fields: Any) -> Command:
    fields.setdefault("carer_id", f"household-{placement_type}")
    return c.MovePlacement(
        new_placement_id=uuid4(),
        effective_date=day,
        placement_type=placement_type,
        reason_place_change="CARPL",
        **fields,
    )


def test_name() -> None:
    assert Placements.name == "placements"


def test_commands_return_the_new_version(app: Placements) -> None:
    child = uuid4()
    # Opened + PlacementStarted in one save.
    v = run(app, child, start(**FOSTER))
    assert v == 2
    # A move is one event: version 3.
    v = run(
        app,
        child,
        move(date(2023, 6, 1), placement_provider="PR4", carer_id="household-9"),
        expected=v,
    )
    assert v == 3
    history = app.get_history(child)
    assert history.version == 3
    assert [p.placement_type for p in history.placements] == ["U6", "U4"]
    # Stored dates come back as dates.
    assert history.placements[0].end == date(2023, 6, 1)


def test_the_caller_may_choose_placement_ids(app: Placements) -> None:
    child, placement = uuid4(), uuid4()
    run(app, child, start(placement_id=placement, **FOSTER))
    run(app, child, c.EndPlacement(effective_date=date(2023, 2, 1)), placement_id=placement)
    assert app.get_history(child).placement(placement).end == date(2023, 2, 1)


def test_a_retry_records_nothing_and_answers_the_current_version(app: Placements) -> None:
    child = uuid4()
    first = start()
    v = run(app, child, first, expected=0)
    # The answer was lost; the client sends the same command with the same If-Match.
    assert run(app, child, first, expected=0) == v == 2
    moved = move(date(2023, 6, 1))
    v = run(app, child, moved, expected=2)
    assert run(app, child, moved, expected=2) == v == 3
    assert run(app, child, moved) == 3  # and without If-Match
    assert len(app.get_history(child).placements) == 2


def test_expected_version_backs_if_match(app: Placements) -> None:
    child = uuid4()
    with pytest.raises(VersionConflict):
        run(app, child, start(), expected=1)
    v = run(app, child, start(), expected=0)
    with pytest.raises(VersionConflict) as raised:
        run(app, child, move(date(2023, 6, 1)), expected=v - 1)
    assert (raised.value.expected, raised.value.actual) == (v - 1, v)
    assert app.get_history(child).version == v


def test_a_broken_rule_records_nothing(app: Placements) -> None:
    child = uuid4()
    v = run(app, child, start())
    with pytest.raises(PlacementsOverlap):
        run(app, child, start("U4", date(2023, 2, 1)))
    assert app.get_history(child).version == v


def test_a_child_not_known_to_be_looked_after_cannot_be_placed(app: Placements) -> None:
    child = uuid4()
    with pytest.raises(NotLookedAfter) as raised:
        run(app, child, start(), periods=[])
    assert raised.value.field == "effective_date"
    with pytest.raises(NotFound):
        app.get_history(child)


def test_unknown_child(app: Placements) -> None:
    with pytest.raises(NotFound):
        app.get_history(uuid4())
    with pytest.raises(NotFound):
        run(app, uuid4(), c.EndPlacement(effective_date=date(2023, 2, 1)), placement_id=uuid4())


def test_adoption_and_staying_put(app: Placements) -> None:
    child = uuid4()
    periods = [PeriodOfCare(date(2023, 1, 10), date(2024, 9, 1))]
    first = uuid4()
    run(app, child, start(placement_id=first, **FOSTER), periods)
    adoption = c.PlaceForAdoption(effective_date=date(2024, 2, 1), placement_type="A5")
    assert run(app, child, adoption, periods, placement_id=first) == 3
    other = uuid4()
    run(app, other, start("U4", **FOSTER), periods)
    staying_put = c.StartStayingPut(effective_date=date(2024, 9, 1))
    assert run(app, other, staying_put, periods) == 3
    arrangement = app.get_history(other).staying_put
    assert arrangement is not None and arrangement.start == date(2024, 9, 1)


def test_history_id_is_the_childs(app: Placements) -> None:
    child = UUID("00000000-0000-4000-8000-00000000000a")
    run(app, child, start())
    assert app.get_history(child).child_id == child
    assert app.aggregate_id(child) == PlacementHistory.create_id(child)


def _stale_once(app: Placements, child: UUID, monkeypatch: pytest.MonkeyPatch) -> None:
    """A command's next load returns the history as it was before another writer's move."""
    stale = app.repository.get(app.aggregate_id(child))
    run(app, child, move(date(2023, 6, 1)))
    real = app.repository.get
    loads = iter([stale])

    def get(aggregate_id: UUID, **kwargs: Any) -> Any:
        return next(loads, None) or real(aggregate_id, **kwargs)

    monkeypatch.setattr(app.repository, "get", get)


def test_lost_race_with_if_match_is_a_version_conflict(
    app: Placements, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = uuid4()
    v = run(app, child, start())
    _stale_once(app, child, monkeypatch)
    # The caller read version 2 and the stale load agrees, but the save finds 3.
    with pytest.raises(VersionConflict) as raised:
        run(app, child, move(date(2023, 9, 1), "K2"), expected=v)
    assert (raised.value.expected, raised.value.actual) == (2, 3)


def test_lost_race_without_if_match_runs_again_on_the_newer_history(
    app: Placements, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = uuid4()
    run(app, child, start())
    _stale_once(app, child, monkeypatch)
    v = run(app, child, move(date(2023, 9, 1), "K2"))
    assert v == 4
    assert [p.placement_type for p in app.get_history(child).placements] == ["U6", "U4", "K2"]


def test_every_903_setting_field_of_a_command_reaches_the_placement(app: Placements) -> None:
    child, first = uuid4(), uuid4()
    fields: dict[str, Any] = {
        "placement_provider": "PR1",
        "urn": "SC654321",
        "postcode": "AB1 2CD",
        "home_postcode": "AB3 4EF",
        "inside_council_area": False,
        "distance_from_home_miles": 12.5,
        "carer_id": "household-7",
    }
    run(app, child, start("U4", placement_id=first, **fields))
    setting = app.get_history(child).placement(first).setting
    assert (
        setting.provider,
        setting.urn,
        setting.postcode,
        setting.home_postcode,
        setting.inside_council_area,
        setting.distance_from_home_miles,
        setting.carer_id,
    ) == tuple(fields.values())


def test_placed_for_adoption_with_the_adopters_the_command_names(app: Placements) -> None:
    child, first = uuid4(), uuid4()
    run(app, child, start(placement_id=first, **FOSTER))
    adopters = c.SettingFields(placement_provider="PR5", carer_id="adopters-3", postcode="CD1 1AB")
    adoption = c.PlaceForAdoption(
        new_placement_id=uuid4(),
        effective_date=date(2024, 2, 1),
        placement_type="A6",
        adopters=adopters,
    )
    run(app, child, adoption, placement_id=first)
    current = app.get_history(child).current_placement
    assert current is not None
    assert (current.placement_type, current.setting.carer_id, current.setting.provider) == (
        "A6",
        "adopters-3",
        "PR5",
    )
