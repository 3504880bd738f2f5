"""Schools' feeds: valid, malformed, unknown-child, duplicate and partly valid rows; files
refused whole; a large file streamed with its progress followed (real servers)."""

from __future__ import annotations

import json
import time
from typing import Any
from uuid import UUID

import pytest

from education.conftest import known_child
from education.harness import Running, make_upn, wait_for

pytestmark = pytest.mark.integration

SCHOOL = "100001"
HEADER = "upn,urn,period_start,period_end,sessions_possible,sessions_attended,authorised_absence"


def school(service: Running) -> dict[str, str]:
    return {**service.headers("mis.school1", "service"), "Idempotency-Key": str(time.time_ns())}


def enrolled_child(service: Running, serial: int) -> tuple[UUID, str]:
    upn = make_upn(serial)
    child = known_child(service, upn=upn)
    response = service.client.post(
        f"/v1/children/{child}/enrolments",
        json={"urn": SCHOOL, "phase": "secondary", "effective_date": "2023-09-04"},
        headers=service.write(),
    )
    assert response.status_code == 201, response.text
    return child, upn


def send(service: Running, kind: str, body: bytes, media: str, **headers: str) -> Any:
    return service.client.post(
        f"/v1/feeds/{kind}",
        content=body,
        headers={**school(service), "Content-Type": media, **headers},
    )


def finished(service: Running, accepted: Any) -> dict[str, Any]:
    assert accepted.status_code == 202, accepted.text
    location = accepted.headers["Location"]
    headers = service.headers("mis.school1", "service")

    def done() -> dict[str, Any] | None:
        body: dict[str, Any] = service.client.get(location, headers=headers).json()
        return body if body["status"] != "processing" else None

    return wait_for(done, timeout=120, what="the feed")


def rows(service: Running, feed: dict[str, Any]) -> dict[int, tuple[str, str | None]]:
    body = service.client.get(
        feed["rows"], headers=service.headers("mis.school1", "service")
    ).json()
    return {r["row"]: (r["outcome"], r["detail"]) for r in body["rows"]}


def test_a_partly_valid_csv_says_row_by_row_what_was_recorded_and_what_was_refused_and_why(
    education: Running,
) -> None:
    child, upn = enrolled_child(education, 11)
    bad_letter = ("A" if upn[0] != "A" else "B") + upn[1:]
    stranger = make_upn(9911)  # valid, but no child the council looks after
    csv = "\n".join(
        [
            HEADER,
            f"{upn},{SCHOOL},2023-09-04,2023-10-20,70,65,3",  # recorded
            f"{bad_letter},{SCHOOL},2023-09-04,2023-10-20,70,65,3",  # check letter wrong
            f"{stranger},{SCHOOL},2023-09-04,2023-10-20,70,65,3",  # unknown child
            f"{upn},{SCHOOL},2023-10-30,2023-12-20,70,71,0",  # more attended than possible
            f"{upn},{SCHOOL},2023-10-30,not-a-date,70,60,0",  # malformed
            f"{upn},999999,2023-10-30,2023-12-20,70,60,0",  # not enrolled there
            f"{upn},{SCHOOL},2023-09-04,2023-10-20,70,65,3",  # the same again: unchanged
        ]
    ).encode()
    feed = finished(education, send(education, "attendance", csv, "text/csv"))
    assert (feed["rows_total"], feed["recorded"], feed["unchanged"], feed["refused"]) == (
        7,
        1,
        1,
        5,
    )
    outcome = rows(education, feed)
    assert outcome[1] == ("recorded", None)
    assert outcome[2][0] == "refused" and "check letter" in str(outcome[2][1])
    assert outcome[3] == ("refused", "upn: no child the council looks after has this UPN")
    assert outcome[4][0] == "refused" and str(outcome[4][1]).startswith("sessions_attended")
    assert outcome[5][0] == "refused" and "period_end" in str(outcome[5][1])
    assert outcome[6][0] == "refused" and str(outcome[6][1]).startswith("urn")
    assert outcome[7][0] == "unchanged"

    # The feed sent again records nothing twice; other figures for a period correct it.
    again = finished(education, send(education, "attendance", csv, "text/csv"))
    assert (again["recorded"], again["unchanged"]) == (0, 2)
    fixed = f"{HEADER}\n{upn},{SCHOOL},2023-09-04,2023-10-20,70,66,2\n".encode()
    corrected = finished(education, send(education, "attendance", fixed, "text/csv"))
    assert corrected["corrected"] == 1
    status = education.client.get(
        f"/v1/children/{child}/education/status",
        params={"as_of": "2023-11-01"},
        headers=education.headers("aud.green", "auditor"),
    )
    wait_for(
        lambda: (
            education.client.get(
                f"/v1/children/{child}/education/status",
                params={"as_of": "2023-11-01"},
                headers=education.headers("aud.green", "auditor"),
            ).json()["sessions_attended"]
            == 66
        ),
        what="the corrected attendance",
    )
    assert status.status_code == 200


def test_an_exclusions_feed_as_json(education: Running) -> None:
    _, upn = enrolled_child(education, 12)
    body = json.dumps(
        [
            {
                "upn": upn,
                "urn": SCHOOL,
                "kind": "suspension",
                "start_date": "2023-11-06",
                "days": 2,
                "reason": "DB",
            },
            {
                "upn": upn,
                "urn": SCHOOL,
                "kind": "suspension",
                "start_date": "2023-11-20",
                "days": 1,
                "reason": "XX",
            },
            {
                "upn": upn,
                "urn": SCHOOL,
                "kind": "permanent",
                "start_date": "2024-02-01",
                "reason": "PA",
                "favourite": 1,
            },
            [1, 2],
        ]
    ).encode()
    feed = finished(education, send(education, "exclusions", body, "application/json"))
    assert (feed["recorded"], feed["refused"]) == (1, 3)
    outcome = rows(education, feed)
    assert "reason" in str(outcome[2][1]) and "favourite" in str(outcome[3][1])
    assert outcome[4] == ("refused", "a row is a JSON object")


@pytest.mark.parametrize(
    ("body", "media", "says"),
    [
        (b"upn,urn,start,end\nX,1,2,3\n", "text/csv", "header row"),
        (HEADER.encode() + b"\nA1,\xff\xfe,2023-09-04,2023-10-20,1,1,0\n", "text/csv", "not UTF-8"),
        (b"", "text/csv", "empty"),
        (b'[{"upn": "x"}, {"upn": ', "application/json", "malformed"),
        (b'{"upn": "x"}', "application/json", "array"),
    ],
)
def test_a_bad_header_encoding_or_structure_is_refused_whole(
    education: Running, body: bytes, media: str, says: str
) -> None:
    response = send(education, "attendance", body, media)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["type"].endswith("feed-refused") and says in problem["detail"]


def test_only_csv_or_json_and_only_for_school_systems_and_the_virtual_school(
    education: Running,
) -> None:
    assert send(education, "attendance", b"x", "text/plain").status_code == 415
    response = education.client.post(
        "/v1/feeds/attendance",
        content=HEADER.encode(),
        headers={**education.headers("sw.adeyemi", "social_worker"),
                 "Idempotency-Key": "k", "Content-Type": "text/csv"},
    )  # fmt: skip
    assert response.status_code == 403


def test_a_large_file_is_streamed_and_its_progress_can_be_followed(education: Running) -> None:
    _, upn = enrolled_child(education, 13)
    wrong = ("A" if upn[0] != "A" else "B") + upn[1:]

    def lines() -> Any:
        yield HEADER.encode() + b"\n"
        for n in range(50_000):
            who = upn if n == 25_000 else wrong
            yield f"{who},{SCHOOL},2023-09-04,2023-09-08,10,{n % 10},0\n".encode()

    body = b"".join(lines())
    assert len(body) > 64 * 1024  # far past the limit every other body keeps
    accepted = send(education, "attendance", body, "text/csv")
    assert accepted.status_code == 202, accepted.text
    seen = []
    headers = education.headers("mis.school1", "service")
    while True:
        progress = education.client.get(accepted.headers["Location"], headers=headers).json()
        seen.append(progress["rows_done"])
        if progress["status"] != "processing":
            break
        time.sleep(0.2)
    assert progress["rows_total"] == 50_000 and progress["rows_done"] == 50_000
    assert (progress["recorded"], progress["refused"]) == (1, 49_999)
    assert seen == sorted(seen)
    page = education.client.get(
        f"{accepted.headers['Location']}/rows", params={"outcome": "recorded"}, headers=headers
    ).json()
    assert [r["row"] for r in page["rows"]] == [25_001]
