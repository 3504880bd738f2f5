"""Erasure at the end of retention, end to end: casefile and placements, real NATS and PostgreSQL.

A child born in 1946 (retention ended on the 75th birthday, 2021) and a child
born in 2015 are recorded in both services. The records manager lists what is
due and erases the first; every copy of that child's record (casefile's and
placements' events, access logs, integration events, read models) becomes
unreadable or is removed, replays pass over it, and the second child is
untouched. The erasure itself stays in the audit trail.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from uuid import UUID, uuid4

import nats
import psycopg
import pytest
from nats_access import admin_options, fresh_integration_streams

from casefile.beside import Placements, placements_fixture
from casefile.harness import CasefileService, wait_for
from services.casefile.domain.retention import Erasure
from shared.contracts.relay import IntegrationMessage, decode_integration, integration_stream
from shared.eventstore import envelope as env
from shared.eventstore.keyring import keys_bucket
from shared.eventstore.reader import StreamReader
from shared.projections.runner import ERASED

pytestmark = pytest.mark.integration

CASEFILE_RELAY = True
RM = ("rm.hughes", "records_manager")


@pytest.fixture(scope="module", autouse=True)
def fresh_integration_stream(nats_url: str) -> None:
    """This module's casefile relay starts from an empty INTEGRATION_CASEFILE (one relay each)."""
    fresh_integration_streams(nats_url, "casefile")


placements = placements_fixture(relay=False)


def _rows(database_url: str, sql: str, *params: Any) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(sql, params).fetchone()
    return int(row[0]) if row else 0


def _child_in_both(
    casefile: CasefileService, placements: Placements, born: str, start: str
) -> UUID:
    child = casefile.register(date_of_birth=born, registration_date=start)
    period = casefile.post(
        f"/children/{child}/periods-of-care",
        {"start_date": start, "legal_status": "C2", "category_of_need": "N1"},
    )
    assert period.status_code == 201, period.text

    def placed() -> bool:
        started = placements.client.post(
            f"/v1/children/{child}/placements",
            json={"effective_date": start, "placement_type": "U4", "carer_id": "household-9"},
            headers=placements.headers("sw.jones", "social_worker", write=True),
        )
        return started.status_code == 201

    wait_for(placed, 20)  # placements learns the period of care from casefile's relay
    return child


@pytest.fixture(scope="module")
def children(casefile_service: CasefileService, placements: Placements) -> tuple[UUID, UUID]:
    old = _child_in_both(casefile_service, placements, "1946-05-01", "1950-01-10")
    young = _child_in_both(casefile_service, placements, "2015-03-01", "2024-01-08")
    assert casefile_service.get(f"/children/{old}").status_code == 200  # a read, audited
    return old, young


def _integration_messages(nats_url: str, child: UUID) -> list[Any]:
    reader = StreamReader.connect(nats_url)
    try:
        messages = reader.all_on_subject(integration_stream("casefile"), "integration.casefile.>")
    finally:
        reader.close()
    return [m for m in messages if json.loads(m.data)["subject"] == str(child)]


def test_only_records_past_retention_are_listed_and_erasable(
    casefile_service: CasefileService, children: tuple[UUID, UUID]
) -> None:
    old, young = children
    listed = casefile_service.get("/retention/due", *RM)
    assert listed.status_code == 200, listed.text
    due = {item["child_id"]: item for item in listed.json()["items"]}
    assert due[str(old)]["retention_ended_on"] == "2021-05-01"
    assert str(young) not in due
    assert casefile_service.get("/retention/due").status_code == 403  # a social worker

    refused = casefile_service.post(
        "/erasures", {"child_id": str(young), "reason": "DPO ref 2026/18"}, *RM
    )
    assert refused.status_code == 422, refused.text
    assert "2090-03-01" in refused.json()["detail"]
    assert casefile_service.get(f"/children/{young}").status_code == 200

    not_allowed = casefile_service.post("/erasures", {"child_id": str(old), "reason": "tidying up"})
    assert not_allowed.status_code == 403


def test_an_erasure_reaches_every_copy_of_the_record(
    casefile_service: CasefileService, placements: Placements, children: tuple[UUID, UUID]
) -> None:
    old, young = children
    nats_url = casefile_service.nats_url
    before = _integration_messages(nats_url, old)
    assert before and all(isinstance(decode_integration(m), IntegrationMessage) for m in before)
    placements_rows = (
        "SELECT count(*) FROM placements_spans.placement_spans WHERE child_id::text = %s",
        "SELECT count(*) FROM placements_care_periods.children WHERE child_id::text = %s",
    )
    for sql in placements_rows:
        assert _rows(placements.database_url, sql, str(old)) == 1

    key = str(uuid4())
    erased = casefile_service.post(
        "/erasures", {"child_id": str(old), "reason": "DPO ref 2026/17"}, *RM, key=key
    )
    assert erased.status_code == 201, erased.text
    assert erased.json()["id"] == str(Erasure.create_id(old))
    again = casefile_service.post(
        "/erasures", {"child_id": str(old), "reason": "DPO ref 2026/17"}, *RM, key=key
    )
    assert (again.status_code, again.json()) == (201, erased.json())

    # casefile: the record answers 410, its rows go
    assert casefile_service.get(f"/children/{old}").status_code == 410
    assert (
        casefile_service.get(f"/children/{old}/history", "aud.green", "auditor").status_code == 410
    )
    wait_for(
        lambda: (
            _rows(
                casefile_service.database_url,
                "SELECT count(*) FROM casefile_children.children WHERE child_id = %s",
                str(old),
            )
            == 0
        ),
        20,
    )
    # placements follows: its rows go and its record of the child is unreadable
    for sql in placements_rows:
        wait_for(lambda sql=sql: _rows(placements.database_url, sql, str(old)) == 0, 20)
    history = placements.client.get(
        f"/v1/children/{old}/placements", headers=placements.headers("aud.green", "auditor")
    )
    assert history.status_code == 410, history.text
    # integration events about the child cannot be opened any more
    assert all(decode_integration(m) is ERASED for m in before)
    # the events are still there (append-only), unreadable without their key
    assert casefile_service.messages(str(old))
    # the other child is untouched in both services
    assert casefile_service.get(f"/children/{young}").status_code == 200
    assert _rows(placements.database_url, placements_rows[0], str(young)) == 1

    # the erasure is in the audit trail: who, when; nothing but the pseudonymous id
    (record,) = casefile_service.messages(str(Erasure.create_id(old)))
    assert record.headers[env.ACTOR] == "rm.hughes"
    assert record.headers[env.CHILD] == str(old)


def test_a_replay_after_the_erasure_passes_over_the_erased_record(
    casefile_service: CasefileService, children: tuple[UUID, UUID]
) -> None:
    old, _young = children
    if casefile_service.get(f"/children/{old}").status_code != 410:
        casefile_service.post("/erasures", {"child_id": str(old), "reason": "ref"}, *RM)
    casefile_service.settle()

    reports = casefile_service.rebuild_read_models()
    assert reports and all(not any(r.differences.values()) for r in reports), reports


def test_a_destroyed_key_is_gone_from_the_key_bucket(
    casefile_service: CasefileService, children: tuple[UUID, UUID]
) -> None:
    old, young = children
    if casefile_service.get(f"/children/{old}").status_code != 410:
        casefile_service.post("/erasures", {"child_id": str(old), "reason": "ref"}, *RM)

    async def entries() -> dict[str, bool]:
        client = await nats.connect(**admin_options(casefile_service.nats_url))
        try:
            kv = await client.jetstream().key_value(keys_bucket(casefile_service.stream))
            found = {}
            for child in (old, young):
                try:
                    await kv.get(str(child))
                    found[str(child)] = True
                except Exception:
                    found[str(child)] = False
            return found
        finally:
            await client.close()

    deadline = time.monotonic() + 5
    while (found := asyncio.run(entries()))[str(old)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert found == {str(old): False, str(young): True}
