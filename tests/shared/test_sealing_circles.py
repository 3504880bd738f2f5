"""Integration events for a narrower circle: sealed under that circle's key, opened only by it.

Health detail (an SDQ score) goes out sealed for the `health-detail` circle;
a consumer with only the council's integration key passes it over as not its
own (never quarantined, never a stopped projection); a member opens it; an
erasure destroys the child's key in every circle. Real NATS key-value bucket.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import uuid4

import pytest
from eventsourcing.cryptography import AESCipher

from shared.contracts import health, sealing
from shared.contracts.quarantine import accept_from_relay
from shared.contracts.relay import (
    SEALED_FOR,
    SOURCE_INDEX,
    SOURCE_SEQUENCE,
    IntegrationMessage,
    decode_integration,
    to_cloudevent,
)
from shared.eventstore.keyring import DamagedBody
from shared.eventstore.reader import StoredMessage
from shared.eventstore.settings import NatsSettings
from shared.projections.runner import ERASED

pytestmark = pytest.mark.integration


@pytest.fixture
def keys(nats_url: str) -> Iterator[tuple[NatsSettings, str, str]]:
    """This process as health (in the circle), then restored as it was."""
    before = (sealing._made_for, sealing._circles_made_for)
    settings = NatsSettings.load(url=nats_url)
    general, detail = AESCipher.create_key(32), AESCipher.create_key(32)
    sealing.use_integration_keys(settings, general)
    sealing.use_circle_keys(settings, {"health-detail": detail})
    yield settings, general, detail
    made_for, circles_made_for = before
    sealing.use_integration_keys(*(made_for or (None, None)))
    if circles_made_for is None:
        sealing.use_circle_keys(None, {})
    else:
        sealing.use_circle_keys(circles_made_for[0], dict(circles_made_for[1]))


def _message(event: health.HealthEvent) -> StoredMessage:
    body = to_cloudevent(event, f"health-1-{uuid4()}", health.SERVICE, None)
    headers = {SOURCE_SEQUENCE: "1", SOURCE_INDEX: "0"}
    return StoredMessage(1, event.subject(), headers, body)


def test_health_detail_opens_only_inside_its_circle(keys: tuple[NatsSettings, str, str]) -> None:
    settings, _, _ = keys
    child = str(uuid4())
    sdq = health.SdqRecorded.model_validate(
        {
            "child_id": child,
            "effective_date": date(2024, 3, 1),
            "entry_id": str(uuid4()),
            **_sdq_fields(),
        }
    )
    message = _message(sdq)
    assert b'"sealedfor":"health-detail"' in message.data.replace(b" ", b"")
    inside = decode_integration(message)
    assert isinstance(inside, IntegrationMessage) and inside.data == sdq

    # A service given only the council's integration key: not its event.
    sealing.use_circle_keys(settings, {})
    with pytest.raises(sealing.NotInCircle):
        decode_integration(message)
    assert accept_from_relay(health.SERVICE, message) is None  # passed over, not quarantined
    # ...and the wider key does not open it either.
    with pytest.raises(DamagedBody):
        sealing.open_sealed(child, {"sealed": _sealed_text(message)})


def test_a_care_event_is_sealed_under_the_wider_key_and_an_erasure_reaches_every_circle(
    keys: tuple[NatsSettings, str, str],
) -> None:
    _, _, _ = keys
    child = str(uuid4())
    assessed = health.HealthAssessmentCompleted(
        child_id=child,
        effective_date=date(2024, 2, 1),
        entry_id=str(uuid4()),
        assessment="initial",
        assessment_date=date(2024, 2, 1),
    )
    sdq = health.SdqRecorded.model_validate(
        {
            "child_id": child,
            "effective_date": date(2024, 3, 1),
            "entry_id": str(uuid4()),
            **_sdq_fields(),
        }
    )
    care, detail = _message(assessed), _message(sdq)
    assert SEALED_FOR.encode() not in care.data
    assert isinstance(decode_integration(care), IntegrationMessage)

    sealing.destroy_child_keys(child)
    assert decode_integration(care) is ERASED
    assert decode_integration(detail) is ERASED


def _sdq_fields() -> dict[str, object]:
    """The SDQ contract's own fields besides the common ones (a score, as health sends)."""
    fields = set(health.SdqRecorded.model_fields) - {"child_id", "effective_date", "entry_id"}
    values: dict[str, object] = {}
    for name in fields:
        annotation = str(health.SdqRecorded.model_fields[name].annotation)
        if "date" in annotation:
            values[name] = date(2024, 3, 1)
        elif "int" in annotation:
            values[name] = 18
        else:
            values[name] = None
    return values


def _sealed_text(message: StoredMessage) -> str:
    import json

    data = json.loads(message.data)["data"]
    return str(data["sealed"])
