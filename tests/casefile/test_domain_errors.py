"""What a user is told when the child or break-glass alert they name is not there.

A `NotFound` becomes a 404 problem detail whose text and `field` (the request's
name for the id) are shown to the user.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.casefile.application import Casefile
from services.casefile.domain.break_glass import BreakGlass
from services.casefile.domain.errors import BreakGlassGrantNotFound, ChildNotFound
from shared.domain_errors import NotFound


def test_a_child_never_registered_is_not_found_by_their_id(app: Casefile) -> None:
    unknown = uuid4()
    with pytest.raises(ChildNotFound) as caught:
        app.get_case(unknown)
    assert isinstance(caught.value, NotFound)
    assert caught.value.message == f"no child is registered with id {unknown}"
    assert str(caught.value) == caught.value.message
    assert (caught.value.field, caught.value.child_id) == ("child_id", unknown)


def test_an_alert_not_on_the_childs_record_is_not_found_by_its_id() -> None:
    record = BreakGlass(child_id=str(uuid4()))
    unknown = uuid4()
    with pytest.raises(BreakGlassGrantNotFound) as caught:
        record.review(
            grant_id=unknown,
            reviewer_id="tm.okafor",
            note="?",
            at=datetime(2024, 2, 3, 9, 0, tzinfo=UTC),
        )
    assert caught.value.message == f"no break-glass alert {unknown} is yours to see"
    assert str(caught.value) == caught.value.message
    assert (caught.value.field, caught.value.grant_id) == ("alert_id", unknown)
