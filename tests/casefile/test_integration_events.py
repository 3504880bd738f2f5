"""What leaves the service: every domain event translated, minimised (unit, no servers)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from services.casefile.adapters.integration_events import translate
from services.casefile.domain import commands as c
from services.casefile.domain.child import Child
from shared.contracts import casefile as contract
from shared.contracts.base import IntegrationEvent

from .conftest import CARE_STARTS, Case

NOTE = "a private note about the family"
VIEWS = "I miss my brother"
#: Domain events that are never published, and why.
PRIVATE = {
    "ViewsAndWishesRecorded",  # the child's own words
    # The child as a person (docs/adr/0017-person-details.md): only through the API.
    "ChildNameRecorded",
    "AddressAdded",
    "FirstLanguageRecorded",
    "ReligionRecorded",
    "DisabilityRecorded",
    "PersonWhoMattersRecorded",
    "RelationshipEnded",
    # Learned from health, which publishes them itself (one fact, one owner: ADR 0020).
    "HealthAssessmentRecorded",
    "HealthAssessmentWithdrawn",
}


def published(case: Case) -> list[IntegrationEvent]:
    app = case.app
    events = [
        app.mapper.to_domain_event(stored)
        for stored in app.recorder.select_notifications(start=1, limit=10_000)
    ]
    return [out for event in events for out in translate(event, {})]


def test_every_child_event_is_published_or_named_private() -> None:
    from services.casefile.adapters.integration_events import _TRANSLATIONS

    event_classes = {
        name
        for name, value in vars(Child).items()
        if isinstance(value, type) and issubclass(value, Child.Event) and name != "Event"
    }
    translated = set(_TRANSLATIONS)
    assert event_classes - {"Created"} == translated | PRIVATE


def test_a_case_is_published_without_free_text_or_identifiers(case: Case) -> None:
    app, child = case.app, case.child_id
    app.execute(child, c.CorrectDetails(upn=None, nhs_number="9434765919", note=NOTE))
    app.execute(
        child,
        c.AllocateSocialWorker(effective_date=CARE_STARTS, social_worker_id="sw-1", team="north-1"),
    )
    app.execute(
        child,
        c.RecordVisit(visit_id=uuid4(), visit_date=date(2024, 2, 1), seen_alone=True, note=NOTE),
    )
    app.execute(child, c.AgreeCarePlan(effective_date=date(2024, 2, 2), note=NOTE))
    app.execute(
        child,
        c.RecordViewsAndWishes(views_id=uuid4(), effective_date=date(2024, 2, 3), views=VIEWS),
    )
    review = uuid4()
    app.execute(
        child,
        c.RecordReview(
            review_date=date(2024, 2, 5),
            iro_id="iro-1",
            participation="PN1",
            child_views_recorded=True,
            note=NOTE,
        ),
        path={"review_id": review},
    )
    events = published(case)
    assert [type(e) for e in events] == [
        contract.ChildRegistered,
        contract.PeriodOfCareStarted,
        contract.ChildNhsNumberRecorded,
        contract.SocialWorkerAllocated,
        contract.VisitRecorded,
        contract.CarePlanAgreed,
        contract.ReviewHeld,
    ]  # the correction touched only the NHS number: published as its keyed digest, for health
    text = "".join(e.model_dump_json() for e in events)
    for secret in (NOTE, VIEWS, "9434765919", "AMIRA01"):
        assert secret not in text
    review_held = events[-1]
    assert isinstance(review_held, contract.ReviewHeld)
    assert (review_held.review_date, review_held.participation) == (date(2024, 2, 5), "PN1")
    assert all(e.child_id == str(child) for e in events)


def test_the_child_as_a_person_is_never_published(case: Case) -> None:
    app, child = case.app, case.child_id
    before = len(published(case))
    app.execute(child, c.RecordName(given_names="Amira", family_name="Haddad"))
    app.execute(
        child,
        c.AddAddress(
            address_id=uuid4(),
            effective_date=CARE_STARTS,
            address="1 Mill Lane",
            postcode="LS1 4AP",
        ),
    )
    app.execute(child, c.RecordFirstLanguage(effective_date=CARE_STARTS, first_language="Arabic"))
    app.execute(child, c.RecordReligion(effective_date=CARE_STARTS, religion="Muslim"))
    app.execute(child, c.RecordDisability(effective_date=CARE_STARTS, disabilities=["HEAR"]))
    person = uuid4()
    app.execute(
        child,
        c.RecordPersonWhoMatters(
            person_id=person,
            effective_date=CARE_STARTS,
            name="Yusuf Haddad",
            relationship="sibling",
            parental_responsibility=False,
            placed_together=False,
        ),
    )
    app.execute(child, c.EndRelationship(end_date=date(2024, 3, 1)), path={"person_id": person})
    app.execute(child, c.RecordHealthAssessment(effective_date=date(2024, 1, 30), kind="initial"))

    events = [
        app.mapper.to_domain_event(stored)
        for stored in app.recorder.select_notifications(start=1, limit=10_000)
    ]
    private = [e for e in events if type(e).__name__ in PRIVATE - {"ViewsAndWishesRecorded"}]
    assert len(private) == 8
    for event in private:
        assert translate(event, {}) == []
    assert len(published(case)) == before
