"""Social worker allocation (feeds the Stability Index); care, permanence and pathway plans."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from casefile.children import amira
from casefile.refusals import refusal
from services.casefile.domain import Child, errors
from services.casefile.domain import commands as c
from services.casefile.domain.values import SocialWorkerAllocation

from .conftest import CARE_STARTS, Case


def allocate(
    case: Case, day: date, worker: str, team: str = "Children in Care 1", **kw: str
) -> int:
    return case.app.execute(
        case.child_id,
        c.AllocateSocialWorker.model_construct(
            effective_date=day, social_worker_id=worker, team=team, **kw
        ),
    )


def test_allocation_and_changes(case: Case) -> None:
    allocate(case, date(2024, 1, 8), "sw-101")
    allocate(case, date(2024, 5, 1), "sw-202", reason="LEFTRL")
    allocate(case, date(2024, 5, 1), "sw-202", reason="LEFTRL")  # retry: nothing recorded
    allocate(case, date(2024, 9, 1), "sw-202", team="Children in Care 2")  # same worker

    child = case.app.get_case(case.child_id)
    assert [a.social_worker_id for a in child.allocations] == ["sw-101", "sw-202", "sw-202"]
    assert child.allocation_on(date(2024, 4, 30)).social_worker_id == "sw-101"  # type: ignore[union-attr]
    assert child.allocation_on(date(2024, 9, 1)).team == "Children in Care 2"  # type: ignore[union-attr]
    # Stability Index: one change of worker (a team change with the same worker is not one).
    assert child.social_worker_changes(date(2024, 1, 1), date(2024, 12, 31)) == 1
    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 10, 1))
    assert summary.allocated_worker is not None
    assert (summary.allocated_worker.social_worker_id, summary.allocated_worker.since) == (
        "sw-202",
        date(2024, 9, 1),
    )
    assert summary.social_worker_changes_in_last_year == 1


def test_change_of_worker_needs_a_reason(case: Case) -> None:
    allocate(case, date(2024, 1, 8), "sw-101")
    with pytest.raises(errors.ChangeReasonRequired) as caught:
        allocate(case, date(2024, 5, 1), "sw-202")
    assert caught.value.field == "reason"


def test_change_reason_is_an_ssda903_sw_reason(case: Case) -> None:
    allocate(case, date(2024, 1, 8), "sw-101")
    with pytest.raises(errors.UnknownCode) as caught:
        allocate(case, date(2024, 5, 1), "sw-202", reason="LAZINESS")
    assert caught.value.field == "reason"


def test_allocating_the_allocated_worker_again_is_refused(case: Case) -> None:
    allocate(case, date(2024, 1, 8), "sw-101")
    with pytest.raises(errors.SocialWorkerAlreadyAllocated):
        allocate(case, date(2024, 2, 1), "sw-101")


def test_blank_worker_is_refused(case: Case) -> None:
    with pytest.raises(errors.MissingValue) as caught:
        allocate(case, date(2024, 1, 8), "  ")
    assert caught.value.field == "social_worker_id"


def test_care_plan_while_looked_after(case: Case) -> None:
    with pytest.raises(errors.NotLookedAfter):
        case.app.execute(
            case.child_id, c.AgreeCarePlan.model_construct(effective_date=date(2024, 1, 5))
        )
    # Worked example: looked after Monday 8 January 2024, care plan due 10 working days later,
    # Monday 22 January.
    assert case.app.summarise_case(case.child_id, as_at=CARE_STARTS).care_plan_due == date(
        2024, 1, 22
    )
    case.app.execute(
        case.child_id,
        c.AgreeCarePlan.model_construct(effective_date=date(2024, 1, 19), note="agreed"),
    )
    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 2, 1))
    assert (summary.care_plan_agreed, summary.care_plan_due) == (date(2024, 1, 19), None)


def test_permanence_plan(case: Case) -> None:
    summary = case.app.summarise_case(case.child_id, as_at=CARE_STARTS)
    assert summary.permanence_plan_due == date(2024, 5, 7)  # 8 January + 120 days
    with pytest.raises(errors.UnknownCode) as caught:
        case.app.execute(
            case.child_id,
            c.AgreePermanencePlan.model_construct(
                effective_date=date(2024, 4, 1), plan_type="orphanage"
            ),
        )
    assert caught.value.field == "plan_type"
    case.app.execute(
        case.child_id,
        c.AgreePermanencePlan.model_construct(
            effective_date=date(2024, 4, 1), plan_type="special_guardianship"
        ),
    )
    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 4, 2))
    assert summary.permanence_plan_type == "special_guardianship"
    assert summary.permanence_plan_agreed == date(2024, 4, 1)


def test_pathway_plan_agreed_then_reviewed(case: Case) -> None:
    with pytest.raises(errors.PathwayPlanNotAgreed):
        case.app.execute(
            case.child_id, c.ReviewPathwayPlan.model_construct(effective_date=date(2024, 6, 1))
        )
    case.app.execute(
        case.child_id, c.AgreePathwayPlan.model_construct(effective_date=date(2024, 3, 1))
    )
    case.app.execute(
        case.child_id, c.ReviewPathwayPlan.model_construct(effective_date=date(2024, 8, 30))
    )
    child = case.app.get_case(case.child_id)
    assert child.pathway_plans[0].review_dates == (date(2024, 8, 30),)
    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 9, 1))
    # Reviewed 30 August: next review within 6 months, 28 February 2025 (no 30 February).
    assert summary.pathway_plan_review_due == date(2025, 2, 28)


def test_social_worker_changes_in_the_last_year_use_the_shared_year(case: Case) -> None:
    # The year before 31 January 2025 is 1 February 2024 - 31 January 2025
    # (shared.dates.year_before, as the Stability Index counts it). It holds
    # 29 February 2024, so it is 366 days: "the last 365 days" would start on
    # 2 February and miss the change of 1 February 2024.
    allocate(case, date(2024, 1, 8), "sw-101")
    allocate(case, date(2024, 2, 1), "sw-202", reason="LEFTRL")
    summary = case.app.summarise_case(case.child_id, as_at=date(2025, 1, 31))
    assert summary.social_worker_changes_in_last_year == 1
    # The day after, 1 February 2024 is outside the year.
    later = case.app.summarise_case(case.child_id, as_at=date(2025, 2, 1))
    assert later.social_worker_changes_in_last_year == 0


# --------------------------------------------------------------------------- on the aggregate
#
# The rules themselves, on `Child` with no application around it: retries that
# record nothing, what each refusal says (the API's problem detail) and names,
# and the note that travels on the event.


def last_event(child: Child) -> Any:
    return child.collect_events()[-1]


def test_what_a_refused_allocation_says() -> None:
    child = amira()
    allocate = child.allocate_social_worker
    assert refusal(
        errors.MissingValue,
        lambda: allocate(effective_date=CARE_STARTS, social_worker_id="sw-1", team=" "),
    ) == ("team", "team must not be blank")
    assert refusal(
        errors.UnknownCode,
        lambda: allocate(
            effective_date=CARE_STARTS, social_worker_id="sw-1", team="CiC 1", reason="BORED"
        ),
    ) == ("reason", "'BORED' is not a valid reason")
    allocate(effective_date=CARE_STARTS, social_worker_id="sw-1", team="CiC 1")
    assert refusal(
        errors.SocialWorkerAlreadyAllocated,
        lambda: allocate(effective_date=date(2024, 2, 1), social_worker_id="sw-1", team="CiC 1"),
    ) == ("social_worker_id", "sw-1 in CiC 1 is already allocated from 2024-01-08")
    assert refusal(
        errors.ChangeReasonRequired,
        lambda: allocate(effective_date=date(2024, 2, 1), social_worker_id="sw-2", team="CiC 1"),
    ) == ("reason", "a change of social worker records the reason for the change")


def test_an_allocation_again_records_nothing_and_a_move_of_team_needs_no_reason() -> None:
    child = amira()
    allocate = child.allocate_social_worker
    allocate(effective_date=CARE_STARTS, social_worker_id="sw-1", team="CiC 1")
    allocate(
        effective_date=date(2024, 2, 1), social_worker_id="sw-2", team="CiC 1", reason="LEFTRL"
    )
    version = child.version
    allocate(
        effective_date=date(2024, 2, 1), social_worker_id="sw-2", team="CiC 1", reason="LEFTRL"
    )
    assert child.version == version
    allocate(effective_date=date(2024, 3, 1), social_worker_id="sw-2", team="CiC 2")
    assert child.allocations[-1] == SocialWorkerAllocation(date(2024, 3, 1), "sw-2", "CiC 2")
    assert child.social_worker_changes(CARE_STARTS, date(2024, 3, 1)) == 1


def test_each_change_of_worker_counts_up_to_and_including_the_last_day() -> None:
    child = amira()
    allocate = child.allocate_social_worker
    allocate(effective_date=CARE_STARTS, social_worker_id="sw-1", team="CiC 1")
    allocate(
        effective_date=date(2024, 2, 1), social_worker_id="sw-2", team="CiC 1", reason="LEFTRL"
    )
    allocate(
        effective_date=date(2024, 3, 1), social_worker_id="sw-3", team="CiC 1", reason="ABSENC"
    )
    assert child.social_worker_changes(CARE_STARTS, date(2024, 3, 1)) == 2
    assert child.social_worker_changes(date(2024, 2, 2), date(2024, 3, 1)) == 1
    assert child.social_worker_changes(date(2024, 2, 1), date(2024, 2, 29)) == 1


def test_plans_carry_their_note_and_are_for_a_looked_after_child() -> None:
    child = amira()
    child.agree_care_plan(effective_date=date(2024, 1, 20), note="contact with mum weekly")
    assert last_event(child).note == "contact with mum weekly"
    child.agree_permanence_plan(
        effective_date=date(2024, 4, 1), plan_type="adoption", note="parallel planning"
    )
    assert last_event(child).note == "parallel planning"
    for agree in (
        lambda: child.agree_care_plan(effective_date=date(2024, 1, 7)),
        lambda: child.agree_permanence_plan(effective_date=date(2024, 1, 7), plan_type="other"),
    ):
        assert refusal(errors.NotLookedAfter, agree) == (
            "effective_date",
            "the child was not looked after on 2024-01-07",
        )


def test_a_permanence_plan_again_records_nothing() -> None:
    child = amira()
    child.agree_permanence_plan(effective_date=date(2024, 4, 1), plan_type="adoption")
    version = child.version
    child.agree_permanence_plan(effective_date=date(2024, 4, 1), plan_type="adoption")
    assert child.version == version
    child.agree_permanence_plan(effective_date=date(2024, 4, 1), plan_type="return_home")
    assert [p.plan_type for p in child.permanence_plans] == ["adoption", "return_home"]


def test_pathway_plans_and_their_reviews_again_record_nothing() -> None:
    child = amira()
    child.agree_pathway_plan(effective_date=date(2024, 2, 1), note="first plan")
    assert last_event(child).note == "first plan"
    child.agree_pathway_plan(effective_date=date(2024, 9, 1))  # a new plan, on another day
    version = child.version
    child.agree_pathway_plan(effective_date=date(2024, 9, 1))
    child.review_pathway_plan(effective_date=date(2024, 9, 1))  # the day it was agreed
    assert child.version == version
    child.review_pathway_plan(effective_date=date(2025, 2, 1), note="moving to college")
    assert last_event(child).note == "moving to college"
    version = child.version
    child.review_pathway_plan(effective_date=date(2025, 2, 1))
    assert child.version == version
    assert [(p.effective_date, p.review_dates) for p in child.pathway_plans] == [
        (date(2024, 2, 1), ()),
        (date(2024, 9, 1), (date(2025, 2, 1),)),
    ]


def test_a_pathway_plan_is_reviewed_once_agreed() -> None:
    child = amira()
    child.agree_pathway_plan(effective_date=date(2024, 2, 1))
    assert refusal(
        errors.PathwayPlanNotAgreed,
        lambda: child.review_pathway_plan(effective_date=date(2024, 1, 31)),
    ) == ("effective_date", "no pathway plan was agreed on or before 2024-01-31")
