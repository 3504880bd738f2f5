"""Adoption milestones in order, and the child's views and wishes against the record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from casefile.children import amira
from casefile.refusals import refusal
from services.casefile.domain import Child, errors
from services.casefile.domain import commands as c
from services.casefile.domain.values import AdoptionProgress, ViewsAndWishes, ViewsSubject

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


# --------------------------------------------------------------------------- on the aggregate
#
# The rules themselves, on `Child` with no application around it: retries that
# record nothing, other facts refused, and what each refusal says (the API's
# problem detail) and names.


def steps(child: Child) -> dict[str, Callable[[date], None]]:
    return {
        "decision": lambda day: child.record_adoption_decision(effective_date=day),
        "placement order": lambda day: child.record_placement_order(effective_date=day),
        "matched": lambda day: child.record_adoption_match(effective_date=day),
        "placed": lambda day: child.record_placed_for_adoption(effective_date=day),
        "adopted": lambda day: child.record_adoption(effective_date=day),
    }


ON = {
    "decision": DECIDED,
    "placement order": PLACEMENT_ORDER,
    "matched": MATCHED,
    "placed": PLACED,
    "adopted": ADOPTED,
}


def test_each_step_again_records_nothing_and_on_another_day_is_refused() -> None:
    child = amira()
    for step, record in steps(child).items():
        record(ON[step])
        version = child.version
        record(ON[step])
        assert child.version == version, step
        field, message = refusal(
            errors.AdoptionMilestoneAlreadyRecorded,
            record,
            day=ON[step] - timedelta(days=1),
        )
        assert field == "effective_date"
        if step == "decision":
            assert message == "the decision to place for adoption was made on 2024-03-01"
        else:
            assert message == f"{step} is already recorded, on {ON[step]}"


def test_steps_may_fall_on_the_same_day() -> None:
    child = amira()
    for record in steps(child).values():
        record(DECIDED)
    assert child.adoption == AdoptionProgress(DECIDED, DECIDED, DECIDED, DECIDED, DECIDED)


def test_a_step_entered_late_may_fall_on_the_day_of_the_next() -> None:
    child = amira()
    record = steps(child)
    record["decision"](DECIDED)
    record["matched"](MATCHED)
    record["placement order"](MATCHED)
    assert child.adoption is not None and child.adoption.placement_order_date == MATCHED


def test_what_a_step_out_of_order_says() -> None:
    child = amira()
    record = steps(child)
    expected = (
        "effective_date",
        "no decision that the child should be placed for adoption is recorded",
    )
    assert refusal(errors.AdoptionMilestoneOutOfOrder, lambda: record["matched"](MATCHED)) == (
        expected
    )
    record["decision"](DECIDED)
    assert refusal(errors.AdoptionMilestoneOutOfOrder, lambda: record["placed"](PLACED)) == (
        "effective_date",
        "placed needs matched recorded first",
    )
    assert refusal(
        errors.AdoptionMilestoneOutOfOrder, lambda: record["matched"](date(2024, 2, 29))
    ) == ("effective_date", "matched cannot be before decision (2024-03-01)")
    record["matched"](MATCHED)
    assert refusal(
        errors.AdoptionMilestoneOutOfOrder, lambda: record["placement order"](date(2024, 7, 2))
    ) == ("effective_date", "placement order cannot be after matched (2024-07-01)")
    child.reverse_adoption_decision(effective_date=date(2024, 8, 1), reason="RD2")
    assert refusal(errors.AdoptionMilestoneOutOfOrder, lambda: record["placed"](PLACED)) == (
        expected
    )


def test_what_a_refused_decision_says() -> None:
    child = amira()
    assert refusal(
        errors.NotLookedAfter,
        lambda: child.record_adoption_decision(effective_date=date(2024, 1, 7)),
    ) == ("effective_date", "the child was not looked after on 2024-01-07")
    child.record_adoption_decision(effective_date=DECIDED)
    child.reverse_adoption_decision(effective_date=date(2024, 6, 1), reason="RD2")
    assert refusal(
        errors.AdoptionMilestoneOutOfOrder,
        lambda: child.record_adoption_decision(effective_date=date(2024, 5, 31)),
    ) == ("effective_date", "the previous plan for adoption was reversed on 2024-06-01")
    child.record_adoption_decision(effective_date=date(2024, 6, 1))  # the day it was reversed
    assert child.adoption == AdoptionProgress(decision_date=date(2024, 6, 1))
    assert child.previous_adoption_plans == [
        AdoptionProgress(
            decision_date=DECIDED, reversed_date=date(2024, 6, 1), reversal_reason="RD2"
        )
    ]


def test_a_reversal_again_records_nothing_and_other_facts_are_refused() -> None:
    child = amira()
    child.record_adoption_decision(effective_date=DECIDED)
    child.reverse_adoption_decision(effective_date=date(2024, 6, 1), reason="RD2")
    version = child.version
    child.reverse_adoption_decision(effective_date=date(2024, 6, 1), reason="RD2")
    assert child.version == version
    for day, reason in [(date(2024, 6, 1), "RD3"), (date(2024, 6, 2), "RD2")]:
        assert refusal(
            errors.AdoptionMilestoneOutOfOrder,
            child.reverse_adoption_decision,
            effective_date=day,
            reason=reason,
        ) == ("effective_date", "there is no current decision to place for adoption to reverse")
    assert child.adoption is not None
    assert (child.adoption.reversed_date, child.adoption.reversal_reason) == (
        date(2024, 6, 1),
        "RD2",
    )


def test_what_a_refused_reversal_says() -> None:
    child = amira()
    reverse = child.reverse_adoption_decision
    assert refusal(
        errors.AdoptionMilestoneOutOfOrder,
        lambda: reverse(effective_date=date(2024, 6, 1), reason="RD2"),
    ) == ("effective_date", "there is no current decision to place for adoption to reverse")
    child.record_adoption_decision(effective_date=DECIDED)
    assert refusal(
        errors.UnknownCode, lambda: reverse(effective_date=date(2024, 6, 1), reason="RD9")
    ) == ("reason", "'RD9' is not an SSDA903 REASON_PLACED_CEASED code")
    child.record_adoption_match(effective_date=MATCHED)
    assert refusal(
        errors.AdoptionMilestoneOutOfOrder,
        lambda: reverse(effective_date=date(2024, 6, 30), reason="RD2"),
    ) == ("effective_date", "the plan for adoption has a step recorded on 2024-07-01")
    child.record_placed_for_adoption(effective_date=PLACED)
    child.record_adoption(effective_date=ADOPTED)
    assert refusal(
        errors.AdoptionMilestoneOutOfOrder,
        lambda: reverse(effective_date=date(2025, 2, 1), reason="RD2"),
    ) == ("effective_date", "the child was adopted on 2025-01-20")


def test_a_reversal_may_fall_on_the_day_of_the_last_step() -> None:
    child = amira()
    child.record_adoption_decision(effective_date=DECIDED)
    child.record_adoption_match(effective_date=MATCHED)
    child.reverse_adoption_decision(effective_date=MATCHED, reason="RD1")
    assert child.adoption is not None and child.adoption.reversed_date == MATCHED


VIEWS = UUID("00000000-0000-4000-8000-0000000000d1")


def test_views_again_record_nothing_and_other_content_is_refused() -> None:
    child = amira()
    review = uuid4()
    child.record_review(
        review_id=review,
        review_date=date(2024, 2, 2),
        iro_id="iro-17",
        participation="PN1",
        child_views_recorded=True,
    )
    said = {
        "effective_date": date(2024, 2, 2),
        "views": " I want to see my brother. ",
        "about": "review",
        "about_id": review,
    }
    child.record_views_and_wishes(views_id=VIEWS, **said)  # type: ignore[arg-type]
    assert child.views_and_wishes[VIEWS] == ViewsAndWishes(
        VIEWS, date(2024, 2, 2), ViewsSubject.REVIEW, review, "I want to see my brother."
    )
    version = child.version
    child.record_views_and_wishes(views_id=VIEWS, **said)  # type: ignore[arg-type]
    assert child.version == version
    for other in [
        {"effective_date": date(2024, 2, 3)},
        {"views": "I want to see my sister."},
        {"about": "case", "about_id": None},
        {"about_id": uuid4()},
    ]:
        content = {**said, **other}
        assert refusal(
            errors.IdAlreadyUsed,
            child.record_views_and_wishes,
            views_id=VIEWS,
            **content,
        ) == ("views_id", f"views and wishes {VIEWS} are already recorded, with other content")


def test_what_refused_views_say() -> None:
    child = amira()

    def views(**content: object) -> None:
        said: dict[str, object] = {"effective_date": date(2024, 2, 2), "views": "..."}
        child.record_views_and_wishes(views_id=uuid4(), **{**said, **content})  # type: ignore[arg-type]

    assert refusal(errors.UnknownCode, lambda: views(about="school")) == (
        "about",
        "'school' is not a valid about",
    )
    assert refusal(errors.MissingValue, lambda: views(views=" ")) == (
        "views",
        "views must not be blank",
    )
    somewhere = uuid4()
    assert refusal(
        errors.SubjectNotFound, lambda: views(about="care_plan", about_id=somewhere)
    ) == (
        "about_id",
        "views about care plan are not recorded against an id",
    )
    assert refusal(errors.SubjectNotFound, lambda: views(about="missing_episode")) == (
        "about_id",
        "say which missing episode these views are about (about_id)",
    )
    assert refusal(
        errors.SubjectNotFound, lambda: views(about="in_touch_contact", about_id=somewhere)
    ) == ("about_id", f"no in touch contact {somewhere} in this record")


@pytest.mark.parametrize(
    "about", ["period_of_care", "review", "visit", "missing_episode", "in_touch_contact"]
)
def test_views_about_a_part_of_the_record_name_one_in_it(about: str) -> None:
    child = Child.register(
        local_child_id="KAI04",
        date_of_birth=date(2007, 5, 10),
        sex="M",
        ethnicity="APKN",
        registration_date=date(2022, 1, 10),
    )
    period, review, visit, episode, contact = (uuid4() for _ in range(5))
    day = date(2023, 6, 1)
    child.start_period_of_care(
        period_id=period, start_date=date(2022, 1, 10), legal_status="V2", category_of_need="N4"
    )
    child.record_review(
        review_id=review,
        review_date=day,
        iro_id="iro-1",
        participation="PN1",
        child_views_recorded=True,
    )
    child.record_visit(visit_id=visit, visit_date=day, seen_alone=True)
    child.record_missing_episode_start(episode_id=episode, start_date=day, missing_type="M")
    child.record_care_leaver_eligibility(effective_date=day, status="eligible")
    child.record_in_touch_contact(contact_id=contact, contact_date=day, in_touch="YES")
    ids = {
        "period_of_care": period,
        "review": review,
        "visit": visit,
        "missing_episode": episode,
        "in_touch_contact": contact,
    }
    for subject, known in ids.items():
        if subject != about:
            with pytest.raises(errors.SubjectNotFound):
                child.record_views_and_wishes(
                    views_id=uuid4(), effective_date=day, views="...", about=about, about_id=known
                )
    views_id = uuid4()
    child.record_views_and_wishes(
        views_id=views_id, effective_date=day, views="...", about=about, about_id=ids[about]
    )
    assert child.views_and_wishes[views_id].about_id == ids[about]
