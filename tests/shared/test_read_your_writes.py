"""Read-your-writes positions without servers: parsing, what a relay message proves, collecting."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from shared.contracts.relay import SOURCE_COUNT, SOURCE_INDEX, SOURCE_SEQUENCE
from shared.domain_errors import RuleBroken
from shared.eventstore.reader import StoredMessage
from shared.read_your_writes import (
    Published,
    _published_through,
    collecting,
    format_position,
    parse_positions,
)


def test_positions_parse_and_format() -> None:
    assert parse_positions("casefile=12") == {"casefile": 12}
    assert parse_positions(" casefile = 12 , health=3") == {"casefile": 12, "health": 3}
    assert parse_positions("casefile=3, casefile=9") == {"casefile": 9}
    assert parse_positions(format_position("casefile", 7)) == {"casefile": 7}


@pytest.mark.parametrize(
    "value", ["", "casefile", "casefile=0", "Casefile=1", "casefile=1e3", "casefile=1,", "a=1;b=2"]
)
def test_malformed_positions_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        parse_positions(value)


def _message(**headers: str) -> StoredMessage:
    return StoredMessage(1, "integration.casefile.x", headers, b"")


def test_what_a_relay_message_proves_published() -> None:
    assert _published_through(None) == 0
    one = {SOURCE_SEQUENCE: "10", SOURCE_INDEX: "0"}
    assert _published_through(_message(**one)) == 10  # no count: one output
    assert _published_through(_message(**one, **{SOURCE_COUNT: "1"})) == 10
    assert _published_through(_message(**one, **{SOURCE_COUNT: "2"})) == 9  # another to come
    last = {SOURCE_SEQUENCE: "10", SOURCE_INDEX: "1", SOURCE_COUNT: "2"}
    assert _published_through(_message(**last)) == 10
    assert _published_through(_message()) == 0  # not the relay's
    assert _published_through(_message(**{SOURCE_SEQUENCE: "x", SOURCE_INDEX: "0"})) == 0


def _recording(seq: int, event: Any) -> Any:
    return SimpleNamespace(domain_event=event, notification=SimpleNamespace(id=seq))


def test_a_write_s_position_is_its_last_published_event() -> None:
    published = Published("casefile", lambda event, headers: [event] if event != "quiet" else [])
    published.note([_recording(5, "loud")])  # outside a request: nothing collected
    with collecting() as written:
        published.note([_recording(5, "loud"), _recording(6, "quiet")])
        published.note([_recording(7, "quiet")])
    assert written.position == "casefile=5"
    with collecting() as nothing:
        published.note([_recording(8, "quiet")])
    assert nothing.position is None


def test_rules_say_whose_facts_they_were_checked_against() -> None:
    from services.placements.application import NotLookedAfter
    from services.placements.domain.errors import OutsidePeriodOfCare, PlacementsOverlap

    assert RuleBroken.learned_from == ()
    assert NotLookedAfter.learned_from == OutsidePeriodOfCare.learned_from == ("casefile",)
    assert PlacementsOverlap.learned_from == ()
