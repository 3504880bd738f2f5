"""Every fact in a child's record is dated between their birth and today.

Each command that records a fact refuses a date before the child was born or
after today, naming the request field the date came in: the table below is
every such command, on the `Child` aggregate itself. Amira (born 1 March 2015)
is looked after from 8 January 2024, with one of everything a dated command
may need to exist first (a person who matters, a missing episode, a pathway
plan, a decision to place for adoption).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest

from casefile import children
from services.casefile.domain import Child, errors
from shared.dates import today

from .conftest import BORN, CARE_STARTS

PERIOD = UUID("00000000-0000-4000-8000-000000000001")
PERSON = UUID("00000000-0000-4000-8000-000000000002")
EPISODE = UUID("00000000-0000-4000-8000-000000000003")
REVIEW = UUID("00000000-0000-4000-8000-000000000004")

Dated = Callable[[Child, date], object]


def amira() -> Child:
    """Amira in `PERIOD`, with one of everything a dated command may need to exist first."""
    child = children.amira(PERIOD)
    child.record_person_who_matters(
        person_id=PERSON,
        effective_date=CARE_STARTS,
        name="Leila Haddad",
        relationship="mother",
        parental_responsibility=True,
    )
    child.record_missing_episode_start(
        episode_id=EPISODE, start_date=date(2024, 2, 1), missing_type="M"
    )
    child.agree_pathway_plan(effective_date=date(2024, 2, 1))
    child.record_adoption_decision(effective_date=date(2024, 3, 1))
    return child


def _after_a_reversal(child: Child) -> Child:
    child.reverse_adoption_decision(effective_date=date(2024, 3, 2), reason="RD1")
    return child


#: (field, command dated `day`) for every command that records a dated fact.
DATED: dict[str, tuple[str, Dated]] = {
    "start a period of care": (
        "start_date",
        lambda child, day: child.start_period_of_care(
            period_id=uuid4(), start_date=day, legal_status="C2", category_of_need="N1"
        ),
    ),
    "change legal status": (
        "effective_date",
        lambda child, day: child.change_legal_status(
            period_id=PERIOD, effective_date=day, legal_status="C2"
        ),
    ),
    "end a period of care": (
        "end_date",
        lambda child, day: child.end_period_of_care(
            period_id=PERIOD, end_date=day, reason_ceased="E13"
        ),
    ),
    "allocate a social worker": (
        "effective_date",
        lambda child, day: child.allocate_social_worker(
            effective_date=day, social_worker_id="sw-1", team="Team A"
        ),
    ),
    "agree a care plan": (
        "effective_date",
        lambda child, day: child.agree_care_plan(effective_date=day),
    ),
    "agree a permanence plan": (
        "effective_date",
        lambda child, day: child.agree_permanence_plan(effective_date=day, plan_type="adoption"),
    ),
    "agree a pathway plan": (
        "effective_date",
        lambda child, day: child.agree_pathway_plan(effective_date=day),
    ),
    "appoint an IRO": (
        "effective_date",
        lambda child, day: child.appoint_iro(effective_date=day, iro_id="iro-1"),
    ),
    "schedule a review": (
        "effective_date",
        lambda child, day: child.schedule_review(
            review_id=REVIEW, scheduled_date=date(2024, 2, 2), effective_date=day
        ),
    ),
    "hold a review": (
        "review_date",
        lambda child, day: child.record_review(
            review_id=REVIEW,
            review_date=day,
            iro_id="iro-1",
            participation="PN1",
            child_views_recorded=True,
        ),
    ),
    "visit": (
        "visit_date",
        lambda child, day: child.record_visit(visit_id=uuid4(), visit_date=day, seen_alone=True),
    ),
    "go missing": (
        "start_date",
        lambda child, day: child.record_missing_episode_start(
            episode_id=uuid4(), start_date=day, missing_type="A"
        ),
    ),
    "come back": (
        "end_date",
        lambda child, day: child.record_missing_episode_end(
            episode_id=EPISODE,
            end_date=day,
            return_interview_offered=False,
            return_interview_accepted=False,
        ),
    ),
    "leaving-care status": (
        "effective_date",
        lambda child, day: child.record_care_leaver_eligibility(
            effective_date=day, status="relevant"
        ),
    ),
    "appoint a personal adviser": (
        "effective_date",
        lambda child, day: child.appoint_personal_adviser(
            effective_date=day, personal_adviser_id="pa-1"
        ),
    ),
    "in-touch contact": (
        "contact_date",
        lambda child, day: child.record_in_touch_contact(
            contact_id=uuid4(), contact_date=day, in_touch="YES"
        ),
    ),
    "Staying Put": (
        "effective_date",
        lambda child, day: child.record_staying_put(effective_date=day, staying_put=True),
    ),
    "decision to place for adoption": (
        "effective_date",
        lambda child, day: _after_a_reversal(child).record_adoption_decision(effective_date=day),
    ),
    "placement order": (
        "effective_date",
        lambda child, day: child.record_placement_order(effective_date=day),
    ),
    "matched with adopters": (
        "effective_date",
        lambda child, day: child.record_adoption_match(effective_date=day),
    ),
    "reverse the decision": (
        "effective_date",
        lambda child, day: child.reverse_adoption_decision(effective_date=day, reason="RD1"),
    ),
    "views and wishes": (
        "effective_date",
        lambda child, day: child.record_views_and_wishes(
            views_id=uuid4(), effective_date=day, views="I like my school."
        ),
    ),
    "name": (
        "effective_date",
        lambda child, day: child.record_name(
            effective_date=day, given_names="Amira", family_name="Haddad"
        ),
    ),
    "address": (
        "effective_date",
        lambda child, day: child.add_address(
            address_id=uuid4(), effective_date=day, address="1 Mill Lane"
        ),
    ),
    "first language": (
        "effective_date",
        lambda child, day: child.record_first_language(effective_date=day, first_language="Arabic"),
    ),
    "religion": (
        "effective_date",
        lambda child, day: child.record_religion(effective_date=day, religion="Muslim"),
    ),
    "disability": (
        "effective_date",
        lambda child, day: child.record_disability(effective_date=day, disabilities=["NONE"]),
    ),
    "person who matters": (
        "effective_date",
        lambda child, day: child.record_person_who_matters(
            person_id=uuid4(),
            effective_date=day,
            name="Sami",
            relationship="friend",
            parental_responsibility=False,
        ),
    ),
    "end a relationship": (
        "end_date",
        lambda child, day: child.end_relationship(person_id=PERSON, end_date=day),
    ),
    "health assessment": (
        "effective_date",
        lambda child, day: child.record_health_assessment(effective_date=day, kind="initial"),
    ),
}

#: A pathway plan can only be reviewed on or after the day it was agreed.
AFTER_A_PLAN: dict[str, tuple[str, Dated]] = {
    "review the pathway plan": (
        "effective_date",
        lambda child, day: child.review_pathway_plan(effective_date=day),
    ),
}


def _tomorrow() -> date:
    return today() + timedelta(days=1)


@pytest.mark.parametrize(("field", "command"), DATED.values(), ids=DATED.keys())
def test_a_fact_before_birth_is_refused(field: str, command: Dated) -> None:
    with pytest.raises(errors.DateBeforeBirth) as caught:
        command(amira(), BORN - timedelta(days=1))
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("field", "command"), [*DATED.values(), *AFTER_A_PLAN.values()], ids=[*DATED, *AFTER_A_PLAN]
)
def test_a_fact_after_today_is_refused(field: str, command: Dated) -> None:
    with pytest.raises(errors.DateInFuture) as caught:
        command(amira(), _tomorrow())
    assert caught.value.field == field


def test_the_refusals_say_which_date_and_why() -> None:
    child = amira()
    with pytest.raises(errors.DateBeforeBirth) as before:
        child.record_visit(visit_id=uuid4(), visit_date=date(2015, 2, 28), seen_alone=True)
    assert before.value.message == (
        "visit date 2015-02-28 is before the child's date of birth (2015-03-01)"
    )
    tomorrow = _tomorrow()
    with pytest.raises(errors.DateInFuture) as after:
        child.record_visit(visit_id=uuid4(), visit_date=tomorrow, seen_alone=True)
    assert after.value.message == (
        f"visit date {tomorrow} is after today ({today()}); record facts once they happen"
    )


def test_the_day_of_birth_and_today_are_allowed() -> None:
    child = amira()
    child.record_name(effective_date=BORN, given_names="Amira", family_name="Haddad")
    child.record_religion(effective_date=today(), religion="Muslim")
    assert child.name_on(BORN) is not None
    assert child.religion_on(today()) == "Muslim"


def test_registration_and_corrections_are_not_dated_after_today() -> None:
    tomorrow = _tomorrow()
    with pytest.raises(errors.DateInFuture) as registered:
        children.registered_amira(registration_date=tomorrow)
    assert registered.value.field == "registration_date"
    child = amira()
    with pytest.raises(errors.DateInFuture) as corrected:
        child.correct_details(effective_date=tomorrow, sex="M")
    assert corrected.value.field == "effective_date"
