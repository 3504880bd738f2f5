"""Unit tests of the `Placements` application on the library's in-memory store (no servers)."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from services.placements.application import Placements
from services.placements.domain import PeriodOfCare, PlacementSetting, VersionConflict
from services.placements.domain.errors import PlacementsOverlap
from shared.domain_errors import NotFound

IN_CARE = [PeriodOfCare(date(2023, 1, 10))]
FOSTER = PlacementSetting(provider="PR1", carer_id="household-7", postcode="AB1 2CD")


@pytest.fixture
def app() -> Placements:
    return Placements(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def test_name() -> None:
    assert Placements.name == "placements"


def test_commands_return_the_new_version(app: Placements) -> None:
    child = uuid4()
    # Opened + PlacementStarted in one save.
    v = app.start_placement(
        child, IN_CARE, effective_date=date(2023, 1, 10), placement_type="U6", setting=FOSTER
    )
    assert v == 2
    # A move is one event: version 3.
    v = app.change_placement(
        child,
        IN_CARE,
        effective_date=date(2023, 6, 1),
        placement_type="U4",
        reason_place_change="CARPL",
        setting=PlacementSetting(provider="PR4", carer_id="household-9"),
        expected_version=v,
    )
    assert v == 3
    history = app.get_history(child)
    assert history.version == 3
    assert [p.placement_type for p in history.placements] == ["U6", "U4"]
    # Stored dates come back as dates.
    assert history.placements[0].end == date(2023, 6, 1)


def test_the_caller_may_choose_placement_ids(app: Placements) -> None:
    child, placement = uuid4(), uuid4()
    app.start_placement(
        child,
        IN_CARE,
        effective_date=date(2023, 1, 10),
        placement_type="U6",
        setting=FOSTER,
        placement_id=placement,
    )
    app.end_placement(child, IN_CARE, placement_id=placement, effective_date=date(2023, 2, 1))
    assert app.get_history(child).placement(placement).end == date(2023, 2, 1)


def test_expected_version_backs_if_match(app: Placements) -> None:
    child = uuid4()
    with pytest.raises(VersionConflict):
        app.start_placement(
            child,
            IN_CARE,
            effective_date=date(2023, 1, 10),
            placement_type="U6",
            expected_version=1,
        )
    v = app.start_placement(
        child, IN_CARE, effective_date=date(2023, 1, 10), placement_type="U6", expected_version=0
    )
    with pytest.raises(VersionConflict) as raised:
        app.change_placement(
            child,
            IN_CARE,
            effective_date=date(2023, 6, 1),
            placement_type="U4",
            reason_place_change="CARPL",
            expected_version=v - 1,
        )
    assert (raised.value.expected, raised.value.actual) == (v - 1, v)
    assert app.get_history(child).version == v


def test_a_broken_rule_records_nothing(app: Placements) -> None:
    child = uuid4()
    v = app.start_placement(child, IN_CARE, effective_date=date(2023, 1, 10), placement_type="U6")
    with pytest.raises(PlacementsOverlap):
        app.start_placement(child, IN_CARE, effective_date=date(2023, 2, 1), placement_type="U4")
    assert app.get_history(child).version == v


def test_unknown_child(app: Placements) -> None:
    with pytest.raises(NotFound):
        app.get_history(uuid4())
    with pytest.raises(NotFound):
        app.end_placement(uuid4(), IN_CARE, placement_id=uuid4(), effective_date=date(2023, 2, 1))


def test_adoption_and_staying_put(app: Placements) -> None:
    child = uuid4()
    periods = [PeriodOfCare(date(2023, 1, 10), date(2024, 9, 1))]
    app.start_placement(
        child, periods, effective_date=date(2023, 1, 10), placement_type="U6", setting=FOSTER
    )
    v = app.record_placed_for_adoption(
        child, periods, effective_date=date(2024, 2, 1), placement_type="A5"
    )
    assert v == 3
    other = uuid4()
    app.start_placement(
        other, periods, effective_date=date(2023, 1, 10), placement_type="U4", setting=FOSTER
    )
    assert app.record_staying_put(other, periods, effective_date=date(2024, 9, 1)) == 3
    staying_put = app.get_history(other).staying_put
    assert staying_put is not None and staying_put.start == date(2024, 9, 1)


def test_history_id_is_the_childs(app: Placements) -> None:
    child = UUID("00000000-0000-4000-8000-00000000000a")
    app.start_placement(child, IN_CARE, effective_date=date(2023, 1, 10), placement_type="U6")
    assert app.get_history(child).child_id == child


def _stale_once(app: Placements, child: UUID, monkeypatch: pytest.MonkeyPatch) -> None:
    """The next load returns the history as it was before another writer's move."""
    stale = app.get_history(child)
    app.change_placement(
        child,
        IN_CARE,
        effective_date=date(2023, 6, 1),
        placement_type="U4",
        reason_place_change="CARPL",
    )
    real = app._existing
    loads = iter([stale])
    monkeypatch.setattr(app, "_existing", lambda child_id: next(loads, None) or real(child_id))


def test_lost_race_with_if_match_is_a_version_conflict(
    app: Placements, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = uuid4()
    v = app.start_placement(child, IN_CARE, effective_date=date(2023, 1, 10), placement_type="U6")
    _stale_once(app, child, monkeypatch)
    # The caller read version 2 and the stale load agrees, but the save finds 3.
    with pytest.raises(VersionConflict) as raised:
        app.change_placement(
            child,
            IN_CARE,
            effective_date=date(2023, 9, 1),
            placement_type="K2",
            reason_place_change="CARPL",
            expected_version=v,
        )
    assert (raised.value.expected, raised.value.actual) == (2, 3)


def test_lost_race_without_if_match_runs_again_on_the_newer_history(
    app: Placements, monkeypatch: pytest.MonkeyPatch
) -> None:
    child = uuid4()
    app.start_placement(child, IN_CARE, effective_date=date(2023, 1, 10), placement_type="U6")
    _stale_once(app, child, monkeypatch)
    v = app.change_placement(
        child,
        IN_CARE,
        effective_date=date(2023, 9, 1),
        placement_type="K2",
        reason_place_change="CARPL",
    )
    assert v == 4
    assert [p.placement_type for p in app.get_history(child).placements] == ["U6", "U4", "K2"]
