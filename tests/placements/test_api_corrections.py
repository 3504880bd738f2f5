"""Late corrections through the API on real NATS and PostgreSQL: amend, insert, void; the
figures as of a date follow the corrections, and `as_of_recorded` reproduces a figure
reported before them; the placements history shows the original and the correction."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from placements.harness import Service, wait_for

pytestmark = pytest.mark.integration

SW = "sw.corrector"
AS_OF = "2024-03-31"


def post(service: Service, path: str, body: dict[str, Any]) -> Any:
    return service.client.post(path, json=body, headers=service.write_headers(SW))


def moves(service: Service, child: UUID, **query: str) -> int:
    params = "&".join(f"{k}={v}" for k, v in {"as_of": AS_OF, **query}.items())
    response = service.client.get(
        f"/v1/children/{child}/stability?{params}", headers=service.headers(SW, "social_worker")
    )
    assert response.status_code == 200, response.text
    count: int = response.json()["move_count"]
    return count


def council(service: Service, **query: str) -> dict[str, Any]:
    params = "&".join(f"{k}={v}" for k, v in {"as_of": AS_OF, **query}.items())
    response = service.client.get(
        f"/v1/stability?{params}", headers=service.headers("perf.lee", "performance")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def placed_and_moved(service: Service) -> tuple[UUID, list[str]]:
    """In care from 10 January 2023; placed (h-1), moved 1 June (h-2), moved 15 November (h-3)."""
    child = service.child_in_care(social_worker=SW)
    started = service.start(child, SW, carer_id="h-1")
    assert started.status_code == 201, started.text
    ids = [started.json()["id"]]
    for day, carer in (("2023-06-01", "h-2"), ("2023-11-15", "h-3")):
        moved = post(
            service,
            f"/v1/children/{child}/placements/{ids[-1]}/move",
            {
                "effective_date": day,
                "placement_type": "U4",
                "reason_place_change": "CARPL",
                "carer_id": carer,
            },
        )
        assert moved.status_code == 200, moved.text
        ids.append(moved.json()["id"])
    service.placements_projected(child, 3)
    return child, ids


def test_void_insert_and_amend_change_the_figures_and_recorded_time_reproduces_them(
    service: Service,
) -> None:
    child, ids = placed_and_moved(service)
    assert moves(service, child) == 2
    reported = council(service)
    time.sleep(0.01)
    stood = datetime.now(UTC).isoformat().replace("+00:00", "Z")

    voided = post(
        service,
        f"/v1/children/{child}/placements/{ids[1]}/void",
        {"reason": "WRONG-CHILD", "note": "the June move was another child's"},
    )
    assert voided.status_code == 200, voided.text
    assert voided.json()["id"] == ids[1]
    assert voided.headers["ETag"] == '"5"'
    service.placements_projected(child, 2)
    assert moves(service, child) == 1  # valid time: the corrected history
    assert moves(service, child, as_of_recorded=stood) == 2  # as the record stood
    # Three placements in the year made the child count in the short-term indicator; the
    # figure reported then is reproduced as the record stood, not as it is now.
    assert council(service)["short_term"] != reported["short_term"]
    assert council(service, as_of_recorded=stood)["short_term"] == reported["short_term"]

    inserted = post(
        service,
        f"/v1/children/{child}/placements/missed",
        {
            "start_date": "2023-09-01",
            "end_date": "2023-11-15",
            "placement_type": "U4",
            "carer_id": "h-x",
            "reason_place_change": "CARPL",
            "reason": "LATE",
        },
    )
    assert inserted.status_code == 201, inserted.text
    service.placements_projected(child, 3)
    assert moves(service, child) == 2

    amended = post(
        service,
        f"/v1/children/{child}/placements/{inserted.json()['id']}/amend",
        {"start_date": "2023-08-20", "reason": "KEYING"},
    )
    assert amended.status_code == 200, amended.text

    def starts() -> list[date] | None:
        record = service.runtime.reads.child_record(child)
        found = [s.start for s in record.placements] if record else []
        return found if date(2023, 8, 20) in found else None

    assert wait_for(starts) == [date(2023, 1, 10), date(2023, 8, 20), date(2023, 11, 15)]

    # The placement history shows the corrected placements; the history of events shows
    # the original move and each correction, who made it and why.
    placements = service.client.get(
        f"/v1/children/{child}/placements", headers=service.headers(SW, "social_worker")
    ).json()["placements"]
    assert [p["start_date"] for p in placements] == ["2023-01-10", "2023-08-20", "2023-11-15"]
    history = service.client.get(
        f"/v1/children/{child}/history", headers=service.headers(SW, "social_worker")
    )
    assert history.status_code == 200, history.text
    entries = history.json()["entries"]
    assert [e["event_type"] for e in entries] == [
        "Opened",
        "PlacementStarted",
        "PlacementChanged",
        "PlacementChanged",
        "PlacementVoided",
        "PlacementInserted",
        "PlacementAmended",
    ]
    void = entries[4]
    assert (void["actor"], void["role"], void["reason"]) == (SW, "social_worker", "WRONG-CHILD")
    assert void["placement_id"] == ids[1]
    assert void["effective_date"] == "2023-06-01"


def test_corrections_that_break_the_history_are_refused_naming_the_field(
    service: Service,
) -> None:
    child, ids = placed_and_moved(service)
    no_reason = post(service, f"/v1/children/{child}/placements/{ids[1]}/void", {})
    assert no_reason.status_code == 422
    overlap = post(
        service,
        f"/v1/children/{child}/placements/missed",
        {
            "start_date": "2023-07-01",
            "end_date": "2023-08-01",
            "placement_type": "U4",
            "carer_id": "h-x",
            "reason": "LATE",
        },
    )
    assert overlap.status_code == 422, overlap.text
    assert overlap.json()["errors"][0]["field"] == "body.start_date"
    before_care = post(
        service,
        f"/v1/children/{child}/placements/{ids[0]}/amend",
        {"start_date": "2022-12-01", "reason": "KEYING"},
    )
    assert before_care.status_code == 422, before_care.text
    unknown = post(
        service,
        f"/v1/children/{child}/placements/{UUID(int=7)}/amend",
        {"carer_id": "h-9", "reason": "KEYING"},
    )
    assert unknown.status_code in (404, 422), unknown.text
