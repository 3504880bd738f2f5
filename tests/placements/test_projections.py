"""The placements read models on real servers: what they hold, that a rebuild from the
first event equals the live projection and is swapped in, and the school-moves
extension point."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from uuid import UUID, uuid4

import asyncpg
import nats
import pytest
from nats.js.api import StreamConfig
from nats_access import admin_options

from placements.harness import Service, publish_casefile, relay_headers, wait_for
from services.placements.bootstrap import PARTS, replayable_projections
from services.placements.projections import MidYearSchoolMove, SchoolMoves
from shared.contracts import casefile
from shared.projections import ProjectionRunner, RebuildReport, Source, rebuild

pytestmark = pytest.mark.integration

SW = "sw.nowak"


def move(service: Service, child: UUID, placement: str, version: int, **body: object) -> str:
    response = service.client.post(
        f"/v1/children/{child}/placements/{placement}/move",
        json={"placement_type": "U4", "reason_place_change": "CARPL", **body},
        headers=service.write_headers(SW, if_match=f'"{version}"'),
    )
    assert response.status_code == 200, response.text
    placement_id: str = response.json()["id"]
    return placement_id


@pytest.fixture(scope="module")
def histories(service: Service) -> dict[str, UUID]:
    """A few children with different histories, fully projected."""
    moved = service.child_in_care(social_worker=SW)
    first = service.start(moved, SW, carer_id="h-1").json()["id"]
    second = move(service, moved, first, 2, effective_date="2023-04-01", carer_id="h-2")
    # A week in hospital (T1: no reason for a temporary move) and back to the same carer.
    temporary = move(
        service,
        moved,
        second,
        3,
        effective_date="2023-08-01",
        placement_type="T1",
        reason_place_change=None,
    )
    move(
        service,
        moved,
        temporary,
        4,
        effective_date="2023-08-07",
        carer_id="h-2",
        reason_place_change=None,
    )

    left = service.child_in_care(social_worker=SW, start=date(2022, 3, 1), end=date(2023, 9, 30))
    placement = service.start(left, SW, effective_date="2022-03-01").json()["id"]
    ended = service.client.post(
        f"/v1/children/{left}/placements/{placement}/end",
        json={"effective_date": "2023-09-30"},
        headers=service.write_headers(SW, if_match='"2"'),
    )
    assert ended.status_code == 200, ended.text

    adopted = service.child_in_care(
        social_worker=SW, date_of_birth=date(2019, 2, 1), start=date(2020, 1, 6)
    )
    fostered = service.start(
        adopted, SW, effective_date="2020-01-06", placement_type="U3", carer_id="h-7"
    ).json()["id"]
    response = service.client.post(
        f"/v1/children/{adopted}/placements/{fostered}/placed-for-adoption",
        json={"effective_date": "2023-05-02", "placement_type": "A5"},
        headers=service.write_headers(SW, if_match='"2"'),
    )
    assert response.status_code == 200, response.text

    service.placements_projected(moved, 4)
    service.placements_projected(left, 1)
    service.placements_projected(adopted, 2)
    wait_for(lambda: service.runtime.reads.child_record(left).placements[0].end)  # type: ignore[union-attr]
    return {"moved": moved, "left": left, "adopted": adopted}


def test_spans_follow_the_events(service: Service, histories: dict[str, UUID]) -> None:
    record = service.runtime.reads.child_record(histories["moved"])
    assert record is not None
    assert [(s.start, s.end, s.placement_type) for s in record.placements] == [
        (date(2023, 1, 10), date(2023, 4, 1), "U4"),
        (date(2023, 4, 1), date(2023, 8, 1), "U4"),
        (date(2023, 8, 1), date(2023, 8, 7), "T1"),
        (date(2023, 8, 7), None, "U4"),
    ]
    left = service.runtime.reads.child_record(histories["left"])
    assert left is not None
    assert [p.end for p in left.periods_of_care] == [date(2023, 9, 30)]
    assert [s.end for s in left.placements] == [date(2023, 9, 30)]


def test_child_stability_applies_the_dfe_rules_to_the_rows(
    service: Service, histories: dict[str, UUID]
) -> None:
    headers = service.headers(SW, "social_worker")
    moved = service.client.get(
        f"/v1/children/{histories['moved']}/stability?as_of=2024-03-31", headers=headers
    ).json()
    # The week in hospital and the return to the same carer are not moves; the
    # move of 1 April 2023 is inside the year to 31 March 2024.
    assert moved["move_count"] == 1
    assert moved["placement_count"] == 2
    assert moved["days_in_current_placement"] == (date(2024, 3, 31) - date(2023, 4, 1)).days

    left = service.client.get(
        f"/v1/children/{histories['left']}/stability?as_of=2024-03-31", headers=headers
    ).json()
    assert left["looked_after"] is False
    assert left["in_cohort"] is False

    adopted = service.client.get(
        f"/v1/children/{histories['adopted']}/stability?as_of=2023-06-30", headers=headers
    ).json()
    # Placed for adoption with the foster carers since January 2020: one placement,
    # under 16, looked after 2.5 years and in the same placement 2 years.
    assert adopted["move_count"] == 0
    assert adopted["long_term_cohort"] is True
    assert adopted["long_term_stable"] is True


async def _rebuild_all(service: Service) -> list[RebuildReport]:
    pool = await asyncpg.create_pool(service.settings.database_url, min_size=1, max_size=3)
    try:
        return [
            await rebuild(projection, pool, service.nats_url)
            for projection in PARTS.replayable_projections(service.settings)
        ]
    finally:
        await pool.close()


def test_a_rebuild_equals_the_live_projection_and_is_swapped_in(
    service: Service, histories: dict[str, UUID]
) -> None:
    headers = service.headers("perf.lee", "performance")
    before = service.client.get("/v1/stability/trend?from=2023-01&to=2024-03", headers=headers)
    reports = asyncio.run(_rebuild_all(service))
    assert [r.projection for r in reports] == [
        "placements_care_periods",
        "placements_spans",
        "placements_school_moves",
        "placements_break_glass",
    ]
    for report in reports:
        assert set(report.differences.values()) <= {0}, report
        assert report.swapped, report
    assert reports[1].events >= 9  # this module's placement events at least
    after = service.client.get("/v1/stability/trend?from=2023-01&to=2024-03", headers=headers)
    assert after.json() == before.json()

    # The live runners carry on in the swapped-in schemas.
    child = service.child_in_care(social_worker=SW)
    service.start(child, SW)
    service.placements_projected(child, 1)


def test_belonging_replay_finds_the_same_projections(service: Service) -> None:
    names = [p.name for p in replayable_projections()]
    assert names == [p.name for p in PARTS.replayable_projections(service.settings)]


def test_school_moves_extension_point(service: Service, histories: dict[str, UUID]) -> None:
    """What connecting the education service will do: a source and a reader of its events.

    Runs after the rebuild test: it adds rows from a stream the service's own
    `SchoolMoves` (with no source yet) would not replay.
    """
    child = histories["moved"]
    unique = uuid4().hex[:8]
    stream, subject = f"EDUCATION_TEST_{unique.upper()}", f"education_test_{unique}"
    projection_connected: list[bool] = []

    async def publish_and_project() -> None:
        client = await nats.connect(**admin_options(service.nats_url))
        try:
            js = client.jetstream()
            await js.add_stream(
                StreamConfig(name=stream, subjects=[f"{subject}.>"], allow_direct=True)
            )
            for day, mid_year in (("2023-11-06", True), ("2023-09-04", False)):
                body = {"child_id": str(child), "move_date": day, "mid_year": mid_year}
                await js.publish(f"{subject}.school-move", json.dumps(body).encode())
        finally:
            await client.close()

        def read_move(event: dict[str, object]) -> MidYearSchoolMove | None:
            if not event["mid_year"]:
                return None
            return MidYearSchoolMove(
                str(event["child_id"]), date.fromisoformat(str(event["move_date"]))
            )

        projection = SchoolMoves(
            sources=[Source(stream, f"{subject}.>", lambda m: json.loads(m.data))],
            read_move=read_move,
        )
        projection_connected.append(projection.connected)
        pool = await asyncpg.create_pool(service.settings.database_url, min_size=1, max_size=2)
        runner = ProjectionRunner(projection, pool, service.nats_url)
        try:
            await runner.setup()
            assert await runner.catch_up() == 2
        finally:
            runner.close()
            await pool.close()

    asyncio.run(publish_and_project())
    # Connected, `bootstrap.school_moves()` gives a projection with a source and
    # ReadModels counts what it holds; until then the figure is null (ADR 0002).
    reads = service.runtime.reads
    reads.school_moves_connected = projection_connected[0]
    try:
        stability = service.client.get(
            f"/v1/children/{child}/stability?as_of=2024-03-31",
            headers=service.headers(SW, "social_worker"),
        ).json()
    finally:
        reads.school_moves_connected = False
    assert stability["mid_year_school_moves"] == ["2023-11-06"]
    assert stability["unavailable"] == {}


def test_casefile_events_of_unknown_types_are_passed_over(service: Service) -> None:
    """A tolerant reader: a newer casefile event type does not stop the projection."""

    async def publish_unknown() -> None:
        client = await nats.connect(**service.casefile_nats)
        try:
            body = json.dumps(
                {
                    "specversion": "1.0",
                    "id": str(uuid4()),
                    "source": "/belonging/casefile",
                    "type": "uk.gov.belonging.casefile.something-new.v9",
                    "datacontenttype": "application/json",
                    "data": {"child_id": "x"},
                }
            ).encode()
            await client.jetstream().publish(
                "integration.casefile.something-new.v9", body, headers=relay_headers()
            )
        finally:
            await client.close()

    asyncio.run(publish_unknown())
    child = service.child_in_care(social_worker=SW)  # later facts still arrive
    publish_casefile(
        service.casefile_nats,
        casefile.SocialWorkerAllocated(
            child_id=str(child), effective_date=date(2023, 3, 1), social_worker_id="sw.x", team="T"
        ),
    )
    wait_for(lambda: service.runtime.reads.allocated_social_worker(child, date.today()) == "sw.x")
    ready = service.client.get("/ready")
    assert ready.status_code == 200, ready.text
