"""Break-glass grants and their reviews, worked through (unit, no servers).

sw.duty has no relationship with Amira. At 02:00 on 3 February 2024 the police
ring: she is missing. sw.duty asks for break-glass access; it lasts four hours
(until 06:00). Asking again at 03:00 changes nothing; at 07:00 a new grant is
needed, and recorded. tm.okafor, the manager of Amira's team, reviews each.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.casefile.adapters.integration_events import translate
from services.casefile.application import Casefile
from services.casefile.domain import commands as c
from services.casefile.domain.break_glass import BreakGlass, BreakGlassGrant, BreakGlassReview
from services.casefile.domain.errors import (
    BreakGlassAlreadyReviewed,
    BreakGlassGrantNotFound,
    ChildNotFound,
    OwnBreakGlassReview,
)
from shared.contracts import casefile as contract
from shared.dates import ENGLAND

from .conftest import CARE_STARTS, Case

TWO_AM = datetime(2024, 2, 3, 2, 0, tzinfo=UTC)
FOUR_HOURS = timedelta(hours=4)
REASON = "Police: Amira missing, allocated worker unreachable"


def granted(record: BreakGlass, at: datetime, reason: str = REASON) -> BreakGlassGrant:
    return record.grant(
        user_id="sw.duty",
        role="social_worker",
        reason=reason,
        team="north-1",
        at=at,
        lasting=FOUR_HOURS,
    )


def test_a_grant_lasts_its_time_and_asking_again_within_it_records_nothing() -> None:
    record = BreakGlass(child_id=str(uuid4()))
    first = granted(record, TWO_AM)
    assert (first.user_id, first.role, first.reason, first.team) == (
        "sw.duty",
        "social_worker",
        REASON,
        "north-1",
    )
    assert (first.granted_at, first.expires_at) == (TWO_AM, datetime(2024, 2, 3, 6, 0, tzinfo=UTC))
    assert first.open_at(datetime(2024, 2, 3, 5, 59, tzinfo=UTC))
    assert not first.open_at(datetime(2024, 2, 3, 6, 0, tzinfo=UTC))
    pending = len(record.pending_events)

    again = granted(record, TWO_AM + timedelta(hours=1), "another reason")
    assert again == first  # same grant, same end: asking again never extends it
    assert len(record.pending_events) == pending


def test_after_expiry_only_a_new_recorded_grant_gives_access() -> None:
    record = BreakGlass(child_id=str(uuid4()))
    first = granted(record, TWO_AM)
    second = granted(record, datetime(2024, 2, 3, 7, 0, tzinfo=UTC), "Still missing at 07:00")
    assert second.grant_id != first.grant_id
    assert second.expires_at == datetime(2024, 2, 3, 11, 0, tzinfo=UTC)
    assert [type(e).__name__ for e in record.collect_events()] == ["Opened", "Granted", "Granted"]
    assert record.latest_of("sw.duty") == second
    assert record.latest_of("sw.other") is None


def test_each_grant_is_reviewed_once_by_someone_else() -> None:
    record = BreakGlass(child_id=str(uuid4()))
    grant = granted(record, TWO_AM)
    with pytest.raises(
        OwnBreakGlassReview,
        match=r"^a break-glass use is reviewed by someone other than who used it$",
    ) as own:
        record.review(grant_id=grant.grant_id, reviewer_id="sw.duty", note="fine", at=TWO_AM)
    assert own.value.field == "alert_id"
    with pytest.raises(BreakGlassGrantNotFound):
        record.review(grant_id=uuid4(), reviewer_id="tm.okafor", note="?", at=TWO_AM)

    morning = datetime(2024, 2, 3, 9, 0, tzinfo=UTC)
    record.review(grant_id=grant.grant_id, reviewer_id="tm.okafor", note="Justified", at=morning)
    pending = len(record.pending_events)
    # The same review again (a retry) records nothing; another is refused.
    record.review(grant_id=grant.grant_id, reviewer_id="tm.okafor", note="Justified", at=morning)
    assert len(record.pending_events) == pending
    # Another reviewer is told who reviewed it, and when.
    with pytest.raises(BreakGlassAlreadyReviewed) as again:
        record.review(grant_id=grant.grant_id, reviewer_id="tm.patel", note="Hmm", at=morning)
    assert again.value.message == (
        "this break-glass use was reviewed by tm.okafor at 2024-02-03T09:00:00+00:00"
    )
    assert again.value.field == "alert_id"
    review = record.grants[grant.grant_id].review
    assert review == BreakGlassReview("tm.okafor", "Justified", morning)
    # The review's event names the child, as every event of the record does (its audit envelope).
    reviewed = record.collect_events()[-1]
    assert (type(reviewed).__name__, reviewed.child_id) == ("Reviewed", record.child_id)  # type: ignore[attr-defined]


def test_the_application_records_the_childs_team_with_the_grant(case: Case) -> None:
    app, child = case.app, case.child_id
    app.execute(
        child,
        c.AllocateSocialWorker(
            effective_date=CARE_STARTS, social_worker_id="sw.jones", team="north-1"
        ),
    )
    grant = app.grant_break_glass(
        child, user_id="sw.duty", role="social_worker", reason=REASON, lasting=FOUR_HOURS
    )
    assert grant.team == "north-1"
    assert grant.expires_at - grant.granted_at == FOUR_HOURS
    version = app.get_case(child).version
    # A grant is beside the case record, never a version of it.
    app.grant_break_glass(
        child, user_id="sw.other", role="social_worker", reason=REASON, lasting=FOUR_HOURS
    )
    assert app.get_case(child).version == version
    record = app.break_glass(child)
    assert record is not None and len(record.grants) == 2

    assert (
        app.review_break_glass(child, grant_id=grant.grant_id, reviewer_id="tm.okafor", note="ok")
        == record.version + 1
    )


def test_no_grant_is_recorded_for_a_child_never_registered(app: Casefile) -> None:
    unknown = uuid4()
    with pytest.raises(ChildNotFound):
        app.grant_break_glass(
            unknown, user_id="sw.duty", role="social_worker", reason=REASON, lasting=FOUR_HOURS
        )
    assert app.break_glass(unknown) is None


def test_a_grant_is_published_without_its_reason(case: Case) -> None:
    app, child = case.app, case.child_id
    grant = app.grant_break_glass(
        child, user_id="sw.duty", role="social_worker", reason=REASON, lasting=FOUR_HOURS
    )
    app.review_break_glass(child, grant_id=grant.grant_id, reviewer_id="tm.okafor", note="ok")
    record = app.break_glass(child)
    assert record is not None
    stored = app.recorder.select_events(record.id)
    published = [
        out for event in stored for out in translate(app.mapper.to_domain_event(event), {})
    ]
    assert published == [
        contract.BreakGlassGranted(
            child_id=str(child),
            effective_date=grant.granted_at.astimezone(ENGLAND).date(),
            grant_id=str(grant.grant_id),
            user_id="sw.duty",
            role="social_worker",
            granted_at=grant.granted_at,
            expires_at=grant.expires_at,
        )
    ]
    assert REASON not in published[0].model_dump_json()
