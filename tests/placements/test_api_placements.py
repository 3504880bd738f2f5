"""The placements API end to end on real NATS and PostgreSQL: a child's placements and moves,
their stability per child and per council, the published integration events and the
access log."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

import pytest
from nats_access import fresh_integration_streams

from placements.harness import Service, wait_for
from services.placements.application import Placements
from shared.contracts.relay import IntegrationMessage, decode_integration, integration_stream
from shared.contracts.sealing import SEALED
from shared.eventstore.reader import StreamReader

pytestmark = pytest.mark.integration

SW = "sw.okafor"
AS_OF = "2024-03-31"


@pytest.fixture(scope="module")
def relay_enabled(nats_url: str) -> bool:
    fresh_integration_streams(nats_url, "placements")  # this module's relay starts empty
    return True


def council(service: Service, as_of: str = AS_OF) -> dict[str, object]:
    response = service.client.get(
        f"/v1/stability?as_of={as_of}", headers=service.headers("perf.lee", "performance")
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def child_stability(service: Service, child: UUID, as_of: str = AS_OF) -> dict[str, object]:
    response = service.client.get(
        f"/v1/children/{child}/stability?as_of={as_of}",
        headers=service.headers(SW, "social_worker"),
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


@pytest.fixture(scope="module")
def moved_twice(service: Service) -> tuple[UUID, list[str], dict[str, object]]:
    """A child comes into care on 10 January 2023, is placed, and moves twice in the year."""
    child = service.child_in_care(social_worker=SW, start=date(2023, 1, 10))
    baseline = council(service)
    # In care on 31 March 2024 with no placement yet recorded: in the cohort already.
    assert child_stability(service, child)["in_cohort"] is True

    started = service.start(
        child,
        SW,
        effective_date="2023-01-10",
        placement_type="U4",
        carer_id="household-1",
        postcode="AB1 2CD",
    )
    assert started.status_code == 201, started.text
    assert started.headers["ETag"] == '"2"'
    first = started.json()["id"]
    assert started.headers["Location"] == f"/v1/children/{child}/placements"

    ids = [first]
    version = started.headers["ETag"]
    for day, carer in (("2023-06-01", "household-2"), ("2023-11-15", "household-3")):
        moved = service.client.post(
            f"/v1/children/{child}/placements/{ids[-1]}/move",
            json={
                "effective_date": day,
                "placement_type": "U4",
                "reason_place_change": "CARPL",
                "carer_id": carer,
            },
            headers=service.write_headers(SW, if_match=version),
        )
        assert moved.status_code == 200, moved.text
        version = moved.headers["ETag"]
        ids.append(moved.json()["id"])
    assert version == '"4"'
    service.placements_projected(child, 3)
    return child, ids, baseline


def test_the_history_shows_three_placements(
    service: Service, moved_twice: tuple[UUID, list[str], dict[str, object]]
) -> None:
    child, ids, _ = moved_twice
    response = service.client.get(
        f"/v1/children/{child}/placements", headers=service.headers(SW, "social_worker")
    )
    assert response.status_code == 200
    assert response.headers["ETag"] == '"4"'
    history = response.json()
    assert [p["placement_id"] for p in history["placements"]] == ids
    assert [p["end_date"] for p in history["placements"]] == ["2023-06-01", "2023-11-15", None]
    assert [p["reason_place_change"] for p in history["placements"]] == ["CARPL", "CARPL", None]
    assert history["current_placement_id"] == ids[-1]


def test_child_stability_counts_three_placements_and_two_moves(
    service: Service, moved_twice: tuple[UUID, list[str], dict[str, object]]
) -> None:
    child, ids, _ = moved_twice
    stability = child_stability(service, child)
    assert stability["placement_count"] == 3
    assert stability["move_count"] == 2
    assert stability["moves"] == ["2023-06-01", "2023-11-15"]
    assert stability["current_placement_id"] == ids[-1]
    # 15 November 2023 to 31 March 2024.
    assert stability["days_in_current_placement"] == (date(2024, 3, 31) - date(2023, 11, 15)).days
    assert stability["legal_status"] == "C2"
    assert stability["in_cohort"] is True
    # A year later the first two placements are out of the window: one placement, no moves.
    later = child_stability(service, child, "2024-12-31")
    assert later["placement_count"] == 1
    assert later["move_count"] == 0


def test_council_short_term_indicator_counts_the_child_in_its_numerator(
    service: Service, moved_twice: tuple[UUID, list[str], dict[str, object]]
) -> None:
    _, _, baseline = moved_twice
    after = council(service)
    short_before: dict[str, int] = baseline["short_term"]  # type: ignore[assignment]
    short_after: dict[str, int] = after["short_term"]  # type: ignore[assignment]
    # The child was already in the cohort (looked after on 31 March 2024); now with
    # three placements in the year they are in the numerator too.
    assert short_after["denominator"] == short_before["denominator"] >= 1
    assert short_after["numerator"] == short_before["numerator"] + 1
    expected = round(100 * short_after["numerator"] / short_after["denominator"], 1)
    assert short_after["percentage"] == pytest.approx(expected)
    index_before: dict[str, dict[str, int]] = baseline["stability_index"]  # type: ignore[assignment]
    index_after: dict[str, dict[str, int]] = after["stability_index"]  # type: ignore[assignment]
    assert (
        index_after["placement_moves"]["numerator"]
        == index_before["placement_moves"]["numerator"] + 1
    )
    # Nothing feeds school moves until the education service is connected: the
    # measure says so (null, with the reason), never 0.0 %.
    assert index_after["school_moves"] is None
    assert "no data source" in index_after["unavailable"]["school_moves"]  # type: ignore[index]


def test_trend_gives_every_month_with_its_counts(
    service: Service, moved_twice: tuple[UUID, list[str], dict[str, object]]
) -> None:
    response = service.client.get(
        "/v1/stability/trend?from=2023-10&to=2024-03",
        headers=service.headers("tm.shah", "team_manager"),
    )
    assert response.status_code == 200, response.text
    months = response.json()["months"]
    assert [m["as_of"] for m in months] == [
        "2023-10-31",
        "2023-11-30",
        "2023-12-31",
        "2024-01-31",
        "2024-02-29",
        "2024-03-31",
    ]
    assert months[-1] == council(service)
    assert all({"numerator", "denominator", "percentage"} <= set(m["short_term"]) for m in months)


def test_moves_are_published_minimised(
    service: Service, moved_twice: tuple[UUID, list[str], dict[str, object]]
) -> None:
    child, ids, _ = moved_twice
    reader = StreamReader.connect(service.nats_url)

    def published() -> list[dict[str, Any]]:
        found = []
        seq = 1
        while batch := reader.next_batch(
            integration_stream("placements"), seq, "integration.placements.>"
        ):
            for message in batch:
                event = json.loads(message.data)
                if event["subject"] == str(child):
                    opened = decode_integration(message)
                    assert isinstance(opened, IntegrationMessage)
                    event["sealed"] = event["data"]
                    event["data"] = opened.data.model_dump(mode="json")
                    found.append(event)
            seq = batch[-1].seq + 1
        return found if len(found) == 3 else []

    try:
        events = wait_for(published, what="three integration events")
    finally:
        reader.close()
    for event in events:  # sealed under the child's integration key: nothing in clear on disk
        assert (event["datacontenttype"], set(event["sealed"])) == (SEALED, {"sealed"})
    assert [e["type"] for e in events] == [
        "uk.gov.belonging.placements.placement.started.v1",
        "uk.gov.belonging.placements.placement.changed.v1",
        "uk.gov.belonging.placements.placement.changed.v1",
    ]
    assert [e["data"]["placement_id"] for e in events] == ids
    assert events[1]["data"]["from_placement_id"] == ids[0]
    assert events[1]["data"]["reason_place_change"] == "CARPL"
    for event in events:  # never where the child lives
        assert not {"postcode", "home_postcode", "carer_id", "urn"} & set(event["data"])


def test_reading_the_history_is_recorded(
    service: Service, moved_twice: tuple[UUID, list[str], dict[str, object]]
) -> None:
    child, _, _ = moved_twice
    app: Placements = service.runtime.application

    def reads() -> int:
        return len(app.access_logs.reads_of(str(child)))

    before = reads()
    response = service.client.get(
        f"/v1/children/{child}/placements", headers=service.headers("aud.green", "auditor")
    )
    assert response.status_code == 200
    assert reads() == before + 1
