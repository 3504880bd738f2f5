"""Adoption milestones in order, and the child's views and wishes against the record."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from services.casefile.domain import commands as c
from services.casefile.domain import errors

from .conftest import Case

DECIDED = date(2024, 3, 1)
PLACEMENT_ORDER = date(2024, 5, 1)
MATCHED = date(2024, 7, 1)
PLACED = date(2024, 7, 15)
ADOPTED = date(2025, 1, 20)


def test_milestones_in_order(case: Case) -> None:
    app, child_id = case.app, case.child_id
    app.execute(child_id, c.RecordAdoptionDecision.model_construct(effective_date=DECIDED))
    app.execute(child_id, c.RecordPlacementOrder.model_construct(effective_date=PLACEMENT_ORDER))
    app.execute(child_id, c.RecordAdoptionMatch.model_construct(effective_date=MATCHED))
    app.execute(child_id, c.RecordPlacedForAdoption.model_construct(effective_date=PLACED))
    app.execute(child_id, c.RecordAdoption.model_construct(effective_date=ADOPTED))

    adoption = app.get_case(child_id).adoption
    assert adoption is not None
    assert (
        adoption.decision_date,
        adoption.placement_order_date,
        adoption.matched_date,
        adoption.placed_date,
        adoption.adopted_date,
    ) == (DECIDED, PLACEMENT_ORDER, MATCHED, PLACED, ADOPTED)
    names = [type(e).__name__ for e in app.events.get(child_id)][-5:]
    assert names == [
        "AdoptionDecisionMade",
        "PlacementOrderGranted",
        "MatchedWithAdopters",
        "PlacedForAdoption",
        "AdoptionOrderGranted",
    ]


def test_milestone_before_the_decision_is_out_of_order(case: Case) -> None:
    with pytest.raises(errors.AdoptionMilestoneOutOfOrder):
        case.app.execute(
            case.child_id, c.RecordAdoptionMatch.model_construct(effective_date=MATCHED)
        )
    with pytest.raises(errors.AdoptionMilestoneOutOfOrder):
        case.app.execute(
            case.child_id, c.RecordPlacementOrder.model_construct(effective_date=PLACEMENT_ORDER)
        )


def test_each_step_needs_the_one_before(case: Case) -> None:
    app, child_id = case.app, case.child_id
    app.execute(child_id, c.RecordAdoptionDecision.model_construct(effective_date=DECIDED))
    with pytest.raises(errors.AdoptionMilestoneOutOfOrder):
        app.execute(
            child_id, c.RecordPlacedForAdoption.model_construct(effective_date=PLACED)
        )  # not yet matched
    app.execute(
        child_id, c.RecordAdoptionMatch.model_construct(effective_date=MATCHED)
    )  # with consent: no order needed
    with pytest.raises(errors.AdoptionMilestoneOutOfOrder):
        app.execute(
            child_id, c.RecordAdoption.model_construct(effective_date=ADOPTED)
        )  # not yet placed


def test_step_dated_before_an_earlier_step_is_out_of_order(case: Case) -> None:
    app, child_id = case.app, case.child_id
    app.execute(child_id, c.RecordAdoptionDecision.model_construct(effective_date=DECIDED))
    with pytest.raises(errors.AdoptionMilestoneOutOfOrder) as caught:
        app.execute(
            child_id, c.RecordAdoptionMatch.model_construct(effective_date=date(2024, 2, 28))
        )  # rule 333
    assert caught.value.field == "effective_date"
    app.execute(child_id, c.RecordAdoptionMatch.model_construct(effective_date=MATCHED))
    # A placement order entered late cannot be dated after the match already recorded.
    with pytest.raises(errors.AdoptionMilestoneOutOfOrder):
        app.execute(
            child_id, c.RecordPlacementOrder.model_construct(effective_date=date(2024, 7, 2))
        )
    app.execute(child_id, c.RecordPlacementOrder.model_construct(effective_date=PLACEMENT_ORDER))


def test_decision_needs_the_child_looked_after(case: Case) -> None:
    with pytest.raises(errors.NotLookedAfter):  # rule 334
        case.app.execute(
            case.child_id, c.RecordAdoptionDecision.model_construct(effective_date=date(2024, 1, 3))
        )


def test_milestone_recorded_twice(case: Case) -> None:
    app, child_id = case.app, case.child_id
    app.execute(child_id, c.RecordAdoptionDecision.model_construct(effective_date=DECIDED))
    version = app.execute(
        child_id, c.RecordAdoptionDecision.model_construct(effective_date=DECIDED)
    )  # retry
    assert version == 3
    with pytest.raises(errors.AdoptionMilestoneAlreadyRecorded):
        app.execute(
            child_id, c.RecordAdoptionDecision.model_construct(effective_date=date(2024, 3, 2))
        )


def test_reversed_decision_then_a_new_one(case: Case) -> None:
    app, child_id = case.app, case.child_id
    app.execute(child_id, c.RecordAdoptionDecision.model_construct(effective_date=DECIDED))
    with pytest.raises(errors.UnknownCode):
        app.execute(
            child_id,
            c.ReverseAdoptionDecision.model_construct(
                effective_date=date(2024, 6, 1), reason="RD9"
            ),
        )
    app.execute(
        child_id,
        c.ReverseAdoptionDecision.model_construct(effective_date=date(2024, 6, 1), reason="RD2"),
    )
    with pytest.raises(errors.AdoptionMilestoneOutOfOrder):
        app.execute(child_id, c.RecordAdoptionMatch.model_construct(effective_date=MATCHED))
    app.execute(child_id, c.RecordAdoptionDecision.model_construct(effective_date=date(2024, 9, 1)))
    child = app.get_case(child_id)
    assert child.adoption is not None and child.adoption.decision_date == date(2024, 9, 1)
    assert child.previous_adoption_plans[0].reversal_reason == "RD2"


def test_views_and_wishes_against_a_review(case: Case) -> None:
    review_id = uuid4()
    case.app.execute(
        case.child_id,
        c.RecordReview.model_construct(
            review_date=date(2024, 2, 2),
            iro_id="iro-17",
            participation="PN1",
            child_views_recorded=True,
        ),
        path={"review_id": review_id},
    )
    views_id = uuid4()
    case.app.execute(
        case.child_id,
        c.RecordViewsAndWishes.model_construct(
            views_id=views_id,
            effective_date=date(2024, 2, 2),
            views="I want to see my brother every weekend.",
            about="review",
            about_id=review_id,
        ),
    )
    recorded = case.app.get_case(case.child_id).views_and_wishes[views_id]
    assert (recorded.about, recorded.about_id) == ("review", review_id)
    event = list(case.app.events.get(case.child_id))[-1]
    assert type(event).__name__ == "ViewsAndWishesRecorded"
    assert event.views == "I want to see my brother every weekend."  # type: ignore[attr-defined]


def test_views_against_something_not_in_the_record(case: Case) -> None:
    with pytest.raises(errors.SubjectNotFound) as caught:
        case.app.execute(
            case.child_id,
            c.RecordViewsAndWishes.model_construct(
                views_id=uuid4(),
                effective_date=date(2024, 2, 2),
                views="...",
                about="review",
                about_id=uuid4(),
            ),
        )
    assert caught.value.field == "about_id"
    with pytest.raises(errors.MissingValue):
        case.app.execute(
            case.child_id,
            c.RecordViewsAndWishes.model_construct(
                views_id=uuid4(), effective_date=date(2024, 2, 2), views="  "
            ),
        )
    case.app.execute(
        case.child_id,
        c.RecordViewsAndWishes.model_construct(
            views_id=uuid4(),
            effective_date=date(2024, 2, 2),
            views="I like my school.",
            about="period_of_care",
            about_id=case.period_id,
        ),
    )
