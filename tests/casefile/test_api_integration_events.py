"""The relay publishes casefile's integration events, minimised, each exactly once.

This module runs the service with its relay on; it reads what was published
from the INTEGRATION_CASEFILE stream, as a consumer would.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import nats
import pytest
from nats.js.errors import NotFoundError
from nats_access import admin_options

from casefile.harness import CasefileService
from shared.contracts import casefile as contract
from shared.contracts.relay import (
    SOURCE_INDEX,
    SOURCE_SEQUENCE,
    decode_integration,
    integration_stream,
)
from shared.contracts.sealing import SEALED
from shared.eventstore.reader import StoredMessage, StreamReader

pytestmark = pytest.mark.integration

CASEFILE_RELAY = True
STREAM = integration_stream("casefile")
NOTE = "Amira told me about her school friend"
VIEWS = "I want to stay with my foster carers"


@pytest.fixture(scope="module", autouse=True)
def fresh_integration_stream(nats_url: str) -> Iterator[None]:
    """One relay per integration stream: start from an empty one.

    The relay's position is the last message in INTEGRATION_CASEFILE, so a
    stream left by another module's service (another event stream) would
    mislead it. Only the test stream is deleted, on the test server.
    """

    async def delete() -> None:
        client = await nats.connect(**admin_options(nats_url))
        try:
            await client.jetstream().delete_stream(STREAM)
        except NotFoundError:
            pass
        finally:
            await client.close()

    asyncio.run(delete())
    yield


def published(nats_url: str) -> list[StoredMessage]:
    reader = StreamReader.connect(nats_url)
    try:
        return reader.all_on_subject(STREAM, "integration.casefile.>")
    except Exception:
        return []
    finally:
        reader.close()


def wait_for_published(nats_url: str, count: int, timeout: float = 10.0) -> list[StoredMessage]:
    deadline = time.monotonic() + timeout
    while True:
        messages = published(nats_url)
        if len(messages) >= count or time.monotonic() > deadline:
            return messages
        time.sleep(0.1)


def test_a_case_is_published_minimised_and_exactly_once(
    casefile_service: CasefileService,
) -> None:
    service = casefile_service
    child_id = service.register(nhs_number="9434765919")  # registered + allocated
    base = f"/children/{child_id}"
    steps = [
        (
            "/periods-of-care",
            {"start_date": "2024-01-08", "legal_status": "C1", "category_of_need": "N1"},
        ),
        (
            "/social-worker",
            {
                "effective_date": "2024-02-01",
                "social_worker_id": "sw.new",
                "team": "north-1",
                "reason": "LEFTRL",
            },
        ),
        ("/visits", {"visit_date": "2024-02-02", "seen_alone": True, "note": NOTE}),
        ("/views-and-wishes", {"effective_date": "2024-02-02", "views": VIEWS}),
        ("/care-plan", {"effective_date": "2024-02-03", "note": NOTE}),
    ]
    for path, body in steps:
        allocated = path not in ("/periods-of-care", "/social-worker")
        who = {"user": "sw.new" if allocated else "sw.jones", "role": "social_worker"}
        response = service.post(base + path, body, **who)
        assert response.status_code in (200, 201), (path, response.text)
    service.get(base, user="sw.new")  # a read: recorded, never published

    messages = wait_for_published(service.nats_url, 7)
    time.sleep(0.5)  # anything more would be a duplicate
    messages = published(service.nats_url)
    decoded = [decode_integration(m) for m in messages]
    assert [type(d.data) for d in decoded] == [
        contract.ChildRegistered,
        contract.ChildNhsNumberRecorded,  # a keyed digest, for health to match by
        contract.SocialWorkerAllocated,
        contract.PeriodOfCareStarted,
        contract.SocialWorkerAllocated,
        contract.VisitRecorded,
        contract.CarePlanAgreed,
    ]
    assert all(d.data.child_id == str(child_id) for d in decoded)
    positions = {(m.headers[SOURCE_SEQUENCE], m.headers[SOURCE_INDEX]) for m in messages}
    assert len(positions) == len(messages)  # each output of each source event once
    assert len({d.id for d in decoded}) == len(decoded)

    change = decoded[4].data
    assert isinstance(change, contract.SocialWorkerAllocated)
    assert (change.social_worker_id, change.team, change.reason) == ("sw.new", "north-1", "LEFTRL")
    assert messages[4].subject == "integration.casefile.social-worker.allocated.v1"
    assert decoded[4].type == "uk.gov.belonging.casefile.social-worker.allocated.v1"

    opened = "".join(d.data.model_dump_json() for d in decoded)
    everything = b"".join(m.data for m in messages).decode() + opened
    for secret in (NOTE, VIEWS, "9434765919", "note", "local_child_id"):
        assert secret not in everything
    # Health matches by a keyed digest of the NHS number; the number itself is never sent.
    assert all("nhs_number" not in d.data.model_dump() for d in decoded)
    registered = decoded[0].data.model_dump(mode="json")
    assert set(registered) == {"child_id", "effective_date", "date_of_birth", "uasc"}
    # Sealed under the child's integration key: no date of birth in clear on disk.
    raw = json.loads(messages[0].data)
    assert (raw["datacontenttype"], set(raw["data"])) == (SEALED, {"sealed"})
    assert registered["date_of_birth"] not in messages[0].data.decode()
