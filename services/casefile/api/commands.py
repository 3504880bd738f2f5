"""Casefile's command endpoints: one route entry per command (`shared.api.command_routes`)."""

from __future__ import annotations

from services.casefile.api.policy import POLICY
from services.casefile.domain import commands as c
from shared.api.command_routes import CommandRoute, command_router

CHILD = "/children/{child_id}"

ROUTES = (
    CommandRoute(
        f"{CHILD}/corrections",
        c.CorrectDetails,
        "child.correct",
        "Correct the child's details (only the fields given change)",
        tag="children",
    ),
    # periods of care and legal status
    CommandRoute(
        f"{CHILD}/periods-of-care",
        c.StartPeriodOfCare,
        "period.start",
        "The child starts to be looked after",
        status_code=201,
        location="/v1/children/{child_id}/periods-of-care/{id}",
        tag="periods of care",
    ),
    CommandRoute(
        f"{CHILD}/periods-of-care/{{period_id}}/legal-status",
        c.ChangeLegalStatus,
        "period.change-legal-status",
        "The child's legal status changes (SSDA903 LS)",
        result_id="period_id",
        tag="periods of care",
    ),
    CommandRoute(
        f"{CHILD}/periods-of-care/{{period_id}}/end",
        c.EndPeriodOfCare,
        "period.end",
        "The child ceases to be looked after",
        result_id="period_id",
        tag="periods of care",
    ),
    # people responsible
    CommandRoute(
        f"{CHILD}/social-worker",
        c.AllocateSocialWorker,
        "social-worker.allocate",
        "Allocate the child's social worker",
        tag="allocations",
    ),
    CommandRoute(
        f"{CHILD}/iro",
        c.AppointIro,
        "iro.appoint",
        "Appoint the child's Independent Reviewing Officer",
        tag="allocations",
    ),
    CommandRoute(
        f"{CHILD}/personal-adviser",
        c.AppointPersonalAdviser,
        "personal-adviser.appoint",
        "Appoint the care leaver's personal adviser",
        tag="care leavers",
    ),
    # plans
    CommandRoute(
        f"{CHILD}/care-plan", c.AgreeCarePlan, "care-plan.agree", "Agree the care plan", tag="plans"
    ),
    CommandRoute(
        f"{CHILD}/permanence-plan",
        c.AgreePermanencePlan,
        "permanence-plan.agree",
        "Agree the plan for permanence",
        tag="plans",
    ),
    CommandRoute(
        f"{CHILD}/pathway-plan",
        c.AgreePathwayPlan,
        "pathway-plan.agree",
        "Agree the pathway plan",
        tag="plans",
    ),
    CommandRoute(
        f"{CHILD}/pathway-plan/reviews",
        c.ReviewPathwayPlan,
        "pathway-plan.review",
        "Review the pathway plan",
        tag="plans",
    ),
    # reviews and visits
    CommandRoute(
        f"{CHILD}/reviews",
        c.ScheduleReview,
        "review.schedule",
        "Schedule (or reschedule) a looked-after review",
        status_code=201,
        location="/v1/children/{child_id}/reviews/{id}",
        tag="reviews",
    ),
    CommandRoute(
        f"{CHILD}/reviews/{{review_id}}/held",
        c.RecordReview,
        "review.record",
        "Record a review held (the IRO)",
        result_id="review_id",
        tag="reviews",
    ),
    CommandRoute(
        f"{CHILD}/visits",
        c.RecordVisit,
        "visit.record",
        "Record a statutory visit to the child",
        status_code=201,
        location="/v1/children/{child_id}/visits/{id}",
        tag="visits",
    ),
    # missing episodes
    CommandRoute(
        f"{CHILD}/missing-episodes",
        c.StartMissingEpisode,
        "missing.record",
        "The child goes missing or is away without authorisation",
        status_code=201,
        location="/v1/children/{child_id}/missing-episodes/{id}",
        tag="missing episodes",
    ),
    CommandRoute(
        f"{CHILD}/missing-episodes/{{episode_id}}/end",
        c.EndMissingEpisode,
        "missing.record",
        "The child is found or returns",
        result_id="episode_id",
        tag="missing episodes",
    ),
    # care leavers
    CommandRoute(
        f"{CHILD}/care-leaver/eligibility",
        c.RecordEligibility,
        "care-leaver.eligibility",
        "Record the young person's leaving-care status",
        tag="care leavers",
    ),
    CommandRoute(
        f"{CHILD}/in-touch-contacts",
        c.RecordInTouchContact,
        "care-leaver.contact",
        "Record contact with a care leaver (SSDA903 IN_TOUCH)",
        status_code=201,
        tag="care leavers",
    ),
    CommandRoute(
        f"{CHILD}/staying-put",
        c.RecordStayingPut,
        "care-leaver.staying-put",
        "A Staying Put arrangement starts or ends",
        tag="care leavers",
    ),
    # adoption
    CommandRoute(
        f"{CHILD}/adoption/decision",
        c.RecordAdoptionDecision,
        "adoption.record",
        "The agency decides the child should be placed for adoption",
        tag="adoption",
    ),
    CommandRoute(
        f"{CHILD}/adoption/placement-order",
        c.RecordPlacementOrder,
        "adoption.record",
        "A placement order is granted (ACA 2002 s.21)",
        tag="adoption",
    ),
    CommandRoute(
        f"{CHILD}/adoption/match",
        c.RecordAdoptionMatch,
        "adoption.record",
        "The child is matched with adopters",
        tag="adoption",
    ),
    CommandRoute(
        f"{CHILD}/adoption/adopted",
        c.RecordAdoption,
        "adoption.record",
        "An adoption order is granted",
        tag="adoption",
    ),
    CommandRoute(
        f"{CHILD}/adoption/reversal",
        c.ReverseAdoptionDecision,
        "adoption.record",
        "The decision that the child should be placed for adoption is reversed",
        tag="adoption",
    ),
    # the child's voice
    CommandRoute(
        f"{CHILD}/views-and-wishes",
        c.RecordViewsAndWishes,
        "views.record",
        "Record the child's views and wishes, in their words",
        status_code=201,
        tag="views and wishes",
    ),
    # health assessments (that one was done, and when)
    # the child as a person (docs/adr/0017-person-details.md)
    CommandRoute(
        f"{CHILD}/name",
        c.RecordName,
        "person.record",
        "Record or correct the child's name and preferred name",
        tag="person",
    ),
    CommandRoute(
        f"{CHILD}/addresses",
        c.AddAddress,
        "person.record",
        "The child lives at an address from a day (earlier addresses are kept)",
        status_code=201,
        tag="person",
    ),
    CommandRoute(
        f"{CHILD}/first-language",
        c.RecordFirstLanguage,
        "person.record",
        "Record the child's first language",
        tag="person",
    ),
    CommandRoute(
        f"{CHILD}/religion",
        c.RecordReligion,
        "person.record",
        "Record the child's religion or belief",
        tag="person",
    ),
    CommandRoute(
        f"{CHILD}/disability",
        c.RecordDisability,
        "person.record",
        "Record the child's disabilities (CIN census codes)",
        tag="person",
    ),
    CommandRoute(
        f"{CHILD}/people-who-matter",
        c.RecordPersonWhoMatters,
        "person.record",
        "Record someone who matters to the child (parent, sibling, ...)",
        status_code=201,
        tag="person",
    ),
    CommandRoute(
        f"{CHILD}/people-who-matter/{{person_id}}/end",
        c.EndRelationship,
        "person.record",
        "The relationship as recorded ends",
        result_id="person_id",
        tag="person",
    ),
)

router = command_router(ROUTES, POLICY)
