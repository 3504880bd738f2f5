"""End to end: a mid-year school move recorded in education reaches placements' Stability
Index, for the child and the council, as of the right dates (real NATS and PostgreSQL).

Education runs its relay (`SchoolMovesStated` on `INTEGRATION_EDUCATION`); placements
reads it with its own NATS user. Until education holds a school record for the child,
the measure says it has no data; it never says 0 %. The children here were looked
after in 2003-04, so no other test's children share the council's cohort.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest
from nats_access import NatsAccess

from education.harness import Running, child_facts, publish_casefile, running, wait_for
from services.education.bootstrap import build_app as build_education
from services.education.settings import EducationSettings
from services.placements.bootstrap import build_app as build_placements
from services.placements.settings import PlacementsSettings
from shared.auth.tokens import DevIssuer

pytestmark = pytest.mark.integration

SW = "sw.stable"
IN_CARE = date(2003, 6, 2)


@pytest.fixture(scope="module")
def both(
    nats_access: NatsAccess,
    nats_url: str,
    database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Running, Running]]:
    issuer = DevIssuer(tmp_path_factory.mktemp("dev-issuer"))
    with running(
        "education", build_education, EducationSettings, nats_access, nats_url, database_url,
        issuer, relay=True,
    ) as education, running(
        "placements", build_placements, PlacementsSettings, nats_access, nats_url, database_url,
        issuer,
    ) as placements:  # fmt: skip
        yield education, placements


def child_index(placements: Running, child: Any, as_of: str, **recorded: str) -> dict[str, Any]:
    response = placements.client.get(
        f"/v1/children/{child}/stability",
        params={"as_of": as_of, **recorded},
        headers=placements.headers(SW, "social_worker"),
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def council_index(placements: Running, as_of: str) -> dict[str, Any]:
    response = placements.client.get(
        "/v1/stability",
        params={"as_of": as_of},
        headers=placements.headers("aud.green", "auditor"),
    )
    assert response.status_code == 200, response.text
    index: dict[str, Any] = response.json()["stability_index"]
    return index


def test_a_mid_year_school_move_changes_the_childs_and_the_councils_stability_index(
    both: tuple[Running, Running],
) -> None:
    education, placements = both
    child = uuid4()
    publish_casefile(
        education.casefile_nats,
        *child_facts(
            child, upn=None, social_worker=SW, date_of_birth=date(1995, 3, 1), start=IN_CARE
        ),
    )
    wait_for(
        lambda: (
            placements.runtime.reads.child_record(child) is not None
            and education.runtime.reads.looked_after_on(str(child), date(2004, 1, 1)) is not None
        ),
        what="casefile's facts in both services",
    )

    # Nothing from education yet: no data, not 0 %.
    before = child_index(placements, child, "2004-03-31")
    assert before["mid_year_school_moves"] is None
    assert "no data source" in before["unavailable"]["mid_year_school_moves"]
    council = council_index(placements, "2004-03-31")
    assert council["school_moves"] is None and "school_moves" in council["unavailable"]

    # Education records the school, then a move in January (mid-year).
    for path, body in (
        ("enrolments", {"urn": "100001", "phase": "primary", "effective_date": "2003-09-08"}),
        ("school-moves", {"urn": "100002", "phase": "primary", "effective_date": "2004-01-12"}),
    ):
        response = education.client.post(
            f"/v1/children/{child}/{path}", json=body, headers=education.write()
        )
        assert response.status_code == 201, response.text

    wait_for(
        lambda: (
            child_index(placements, child, "2004-03-31")["mid_year_school_moves"] == ["2004-01-12"]
        ),
        what="the school move in placements",
    )
    # As of the right dates: before the school record starts, unknown; after it, none
    # until the move; from the move on, one.
    assert child_index(placements, child, "2003-08-31")["mid_year_school_moves"] is None
    assert child_index(placements, child, "2004-01-11")["mid_year_school_moves"] == []
    assert child_index(placements, child, "2004-01-12")["mid_year_school_moves"] == ["2004-01-12"]

    assert council_index(placements, "2003-08-31")["school_moves"] is None
    quiet = council_index(placements, "2004-01-11")["school_moves"]
    assert (quiet["numerator"], quiet["denominator"], quiet["percentage"]) == (0, 1, 0.0)
    moved = council_index(placements, "2004-03-31")["school_moves"]
    assert (moved["numerator"], moved["denominator"], moved["percentage"]) == (1, 1, 100.0)

    # A correction reaches placements too: the move voided, the index back to none...
    reported = datetime.now(UTC).isoformat()
    time.sleep(0.05)
    record = education.client.get(
        f"/v1/children/{child}/education", headers=education.headers("vs.head", "virtual_school")
    ).json()
    second = next(e for e in record["enrolments"] if e["urn"] == "100002")
    voided = education.client.post(
        f"/v1/children/{child}/enrolments/{second['enrolment_id']}/void",
        json={"reason": "ERROR"},
        headers=education.write(),
    )
    assert voided.status_code == 200, voided.text
    wait_for(
        lambda: child_index(placements, child, "2004-03-31")["mid_year_school_moves"] == [],
        what="the void in placements",
    )
    # ...while the figure as the record stood before the void is the one first reported.
    as_it_stood = child_index(placements, child, "2004-03-31", as_of_recorded=reported)
    assert as_it_stood["mid_year_school_moves"] == ["2004-01-12"]
