"""Statutory reviews, statutory visits and missing episodes.

Amira (born 1 March 2015) is looked after from Monday 8 January 2024.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from casefile.children import amira
from casefile.refusals import refusal
from services.casefile.application import Casefile
from services.casefile.domain import Child, errors
from services.casefile.domain import commands as c
from services.casefile.domain.values import MissingEpisode, StatutoryReview, StatutoryVisit

from .conftest import Case


def hold_review(
    case: Case, review_date: date, review_id: UUID | None = None, **changes: object
) -> int:
    fields: dict[str, object] = {
        "iro_id": "iro-17",
        "participation": "PN1",
        "child_views_recorded": True,
    }
    fields.update(changes)
    return case.app.execute(
        case.child_id,
        c.RecordReview.model_construct(review_date=review_date, **fields),
        path={"review_id": review_id or uuid4()},
    )


def test_review_scheduled_then_held(case: Case) -> None:
    review_id = uuid4()
    case.app.execute(
        case.child_id,
        c.ScheduleReview.model_construct(
            review_id=review_id, scheduled_date=date(2024, 2, 1), effective_date=date(2024, 1, 9)
        ),
    )
    hold_review(case, date(2024, 2, 2), review_id, note="Amira chose to chair part of it")

    review = case.app.get_case(case.child_id).reviews[review_id]
    assert review.scheduled_date == date(2024, 2, 1)
    assert review.held_date == date(2024, 2, 2)
    assert (review.iro_id, review.participation, review.child_views_recorded) == (
        "iro-17",
        "PN1",
        True,
    )
    held = list(case.app.events.get(case.child_id))[-1]
    assert type(held).__name__ == "ReviewHeld"
    assert held.effective_date == date(2024, 2, 2)  # type: ignore[attr-defined]


def test_review_can_be_rescheduled_until_held(case: Case) -> None:
    review_id = uuid4()
    for scheduled in (date(2024, 2, 1), date(2024, 2, 5)):
        case.app.execute(
            case.child_id,
            c.ScheduleReview.model_construct(
                review_id=review_id, scheduled_date=scheduled, effective_date=date(2024, 1, 9)
            ),
        )
    assert case.app.get_case(case.child_id).reviews[review_id].scheduled_date == date(2024, 2, 5)
    hold_review(case, date(2024, 2, 5), review_id)
    with pytest.raises(errors.ReviewAlreadyHeld):
        case.app.execute(
            case.child_id,
            c.ScheduleReview.model_construct(
                review_id=review_id,
                scheduled_date=date(2024, 3, 1),
                effective_date=date(2024, 2, 6),
            ),
        )


def test_review_outside_a_period_of_care_is_refused(case: Case) -> None:
    with pytest.raises(errors.ReviewOutsidePeriodOfCare) as caught:
        hold_review(case, date(2024, 1, 5))  # three days before care began
    assert caught.value.field == "review_date"
    case.app.execute(
        case.child_id,
        c.EndPeriodOfCare.model_construct(end_date=date(2024, 6, 30), reason_ceased="E4A"),
        path={"period_id": case.period_id},
    )
    hold_review(case, date(2024, 6, 30))  # on the last day: still within the period
    with pytest.raises(errors.ReviewOutsidePeriodOfCare):
        hold_review(case, date(2024, 7, 1))
    with pytest.raises(errors.ReviewOutsidePeriodOfCare) as caught:
        case.app.execute(
            case.child_id,
            c.ScheduleReview.model_construct(
                review_id=uuid4(), scheduled_date=date(2024, 8, 1), effective_date=date(2024, 6, 1)
            ),
        )
    assert caught.value.field == "scheduled_date"


def test_participation_code_must_be_pn0_to_pn7(case: Case) -> None:
    with pytest.raises(errors.UnknownCode) as caught:
        hold_review(case, date(2024, 2, 2), participation="PN8")
    assert caught.value.field == "participation"


def test_pn0_exactly_when_under_four(app: Casefile) -> None:
    # Zara is born 15 June 2021, so is 4 from 15 June 2025 (SSDA903 rules 440/441).
    child_id = app.register_child(
        c.RegisterChild.model_construct(
            local_child_id="ZARA03",
            date_of_birth=date(2021, 6, 15),
            sex="F",
            ethnicity="MWBA",
            registration_date=date(2025, 1, 6),
        )
    )
    period_id = uuid4()
    app.execute(
        child_id,
        c.StartPeriodOfCare.model_construct(
            period_id=period_id,
            start_date=date(2025, 1, 6),
            legal_status="C1",
            category_of_need="N1",
        ),
    )
    case = Case(app, child_id, period_id)
    with pytest.raises(errors.ParticipationInconsistentWithAge):
        hold_review(case, date(2025, 6, 14), participation="PN1")  # aged 3 the day before
    hold_review(case, date(2025, 6, 14), participation="PN0")
    with pytest.raises(errors.ParticipationInconsistentWithAge):
        hold_review(case, date(2025, 6, 15), participation="PN0")  # aged 4 on the birthday
    hold_review(case, date(2025, 6, 15), participation="PN7", child_views_recorded=False)


def test_review_cannot_be_held_twice(case: Case) -> None:
    review_id = uuid4()
    assert hold_review(case, date(2024, 2, 2), review_id) == 3
    assert hold_review(case, date(2024, 2, 2), review_id) == 3  # a retry records nothing
    with pytest.raises(errors.ReviewAlreadyHeld) as caught:
        hold_review(case, date(2024, 2, 3), review_id)
    assert caught.value.field == "review_id"


def test_visit_recorded_within_period(case: Case) -> None:
    visit_id = uuid4()
    case.app.execute(
        case.child_id,
        c.RecordVisit.model_construct(
            visit_id=visit_id,
            visit_date=date(2024, 1, 12),
            seen_alone=False,
            note="Amira wanted her carer there",
        ),
    )
    visit = case.app.get_case(case.child_id).visits[visit_id]
    assert (visit.visit_date, visit.seen_alone) == (date(2024, 1, 12), False)


def test_visit_outside_period_is_refused(case: Case) -> None:
    with pytest.raises(errors.VisitOutsidePeriodOfCare) as caught:
        case.app.execute(
            case.child_id,
            c.RecordVisit.model_construct(
                visit_id=uuid4(), visit_date=date(2024, 1, 2), seen_alone=True
            ),
        )
    assert caught.value.field == "visit_date"


def test_missing_episode_start_and_end(case: Case) -> None:
    episode_id = uuid4()
    case.app.execute(
        case.child_id,
        c.StartMissingEpisode.model_construct(
            episode_id=episode_id, start_date=date(2024, 4, 3), missing_type="M"
        ),
    )
    assert case.app.summarise_case(case.child_id, as_at=date(2024, 4, 4)).open_missing_episodes == 1
    case.app.execute(
        case.child_id,
        c.EndMissingEpisode.model_construct(
            end_date=date(2024, 4, 5),
            return_interview_offered=True,
            return_interview_accepted=False,
        ),
        path={"episode_id": episode_id},
    )
    episode = case.app.get_case(case.child_id).missing_episodes[episode_id]
    assert (episode.start_date, episode.end_date) == (date(2024, 4, 3), date(2024, 4, 5))
    assert (episode.return_interview_offered, episode.return_interview_accepted) == (True, False)
    assert case.app.summarise_case(case.child_id, as_at=date(2024, 4, 6)).open_missing_episodes == 0


def test_missing_type_is_an_ssda903_code(case: Case) -> None:
    with pytest.raises(errors.UnknownCode) as caught:
        case.app.execute(
            case.child_id,
            c.StartMissingEpisode.model_construct(
                episode_id=uuid4(), start_date=date(2024, 4, 3), missing_type="X"
            ),
        )
    assert caught.value.field == "missing_type"


def test_missing_episodes_cannot_overlap(case: Case) -> None:
    first = uuid4()
    case.app.execute(
        case.child_id,
        c.StartMissingEpisode.model_construct(
            episode_id=first, start_date=date(2024, 4, 3), missing_type="M"
        ),
    )
    with pytest.raises(errors.MissingEpisodesOverlap):  # rule 574: previous still open
        case.app.execute(
            case.child_id,
            c.StartMissingEpisode.model_construct(
                episode_id=uuid4(), start_date=date(2024, 4, 4), missing_type="A"
            ),
        )
    case.app.execute(
        case.child_id,
        c.EndMissingEpisode.model_construct(
            end_date=date(2024, 4, 6), return_interview_offered=True, return_interview_accepted=True
        ),
        path={"episode_id": first},
    )
    with pytest.raises(errors.MissingEpisodesOverlap):
        case.app.execute(
            case.child_id,
            c.StartMissingEpisode.model_construct(
                episode_id=uuid4(), start_date=date(2024, 4, 5), missing_type="A"
            ),
        )
    # Entered late: an earlier episode cannot end after the later one began.
    earlier = uuid4()
    case.app.execute(
        case.child_id,
        c.StartMissingEpisode.model_construct(
            episode_id=earlier, start_date=date(2024, 3, 1), missing_type="A"
        ),
    )
    with pytest.raises(errors.MissingEpisodesOverlap) as caught:
        case.app.execute(
            case.child_id,
            c.EndMissingEpisode.model_construct(
                end_date=date(2024, 4, 10),
                return_interview_offered=False,
                return_interview_accepted=False,
            ),
            path={"episode_id": earlier},
        )
    assert caught.value.field == "end_date"


def test_missing_episode_outside_care_is_refused(case: Case) -> None:
    with pytest.raises(errors.MissingEpisodeOutsidePeriodOfCare):
        case.app.execute(
            case.child_id,
            c.StartMissingEpisode.model_construct(
                episode_id=uuid4(), start_date=date(2023, 12, 1), missing_type="M"
            ),
        )


def test_return_interview_accepted_only_if_offered(case: Case) -> None:
    episode_id = uuid4()
    case.app.execute(
        case.child_id,
        c.StartMissingEpisode.model_construct(
            episode_id=episode_id, start_date=date(2024, 4, 3), missing_type="M"
        ),
    )
    with pytest.raises(errors.ReturnInterviewNotOffered) as caught:
        case.app.execute(
            case.child_id,
            c.EndMissingEpisode.model_construct(
                end_date=date(2024, 4, 5),
                return_interview_offered=False,
                return_interview_accepted=True,
            ),
            path={"episode_id": episode_id},
        )
    assert caught.value.field == "return_interview_accepted"


def test_missing_episode_end_checks(case: Case) -> None:
    episode_id = uuid4()
    case.app.execute(
        case.child_id,
        c.StartMissingEpisode.model_construct(
            episode_id=episode_id, start_date=date(2024, 4, 3), missing_type="M"
        ),
    )
    with pytest.raises(errors.DatesOutOfOrder):
        case.app.execute(
            case.child_id,
            c.EndMissingEpisode.model_construct(
                end_date=date(2024, 4, 2),
                return_interview_offered=True,
                return_interview_accepted=True,
            ),
            path={"episode_id": episode_id},
        )
    with pytest.raises(errors.MissingEpisodeNotFound):
        case.app.execute(
            case.child_id,
            c.EndMissingEpisode.model_construct(
                end_date=date(2024, 4, 5),
                return_interview_offered=True,
                return_interview_accepted=True,
            ),
            path={"episode_id": uuid4()},
        )
    case.app.execute(
        case.child_id,
        c.EndMissingEpisode.model_construct(
            end_date=date(2024, 4, 5), return_interview_offered=True, return_interview_accepted=True
        ),
        path={"episode_id": episode_id},
    )
    with pytest.raises(errors.MissingEpisodeAlreadyEnded):
        case.app.execute(
            case.child_id,
            c.EndMissingEpisode.model_construct(
                end_date=date(2024, 4, 6),
                return_interview_offered=True,
                return_interview_accepted=True,
            ),
            path={"episode_id": episode_id},
        )


def test_next_review_due_follows_regulation_33(case: Case) -> None:
    """Looked after Monday 8 January 2024 (no bank holidays until 29 March):

    - first review within 20 working days: four working weeks later, Monday 5 February;
    - held Friday 2 February, so the second is due within 3 months: 2 May;
    - second held 29 April, so the third is due within 6 months: 29 October.
    """
    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 1, 20))
    assert summary.next_review_due == date(2024, 2, 5)
    hold_review(case, date(2024, 2, 2))
    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 2, 10))
    assert (summary.last_review, summary.next_review_due) == (date(2024, 2, 2), date(2024, 5, 2))
    hold_review(case, date(2024, 4, 29))
    summary = case.app.summarise_case(case.child_id, as_at=date(2024, 5, 1))
    assert summary.next_review_due == date(2024, 10, 29)


# --------------------------------------------------------------------------- on the aggregate
#
# The rules themselves, on `Child` with no application around it: retries that
# record nothing, the same id with other facts refused, and what each refusal
# says (the API's problem detail) and names.

REVIEW = UUID("00000000-0000-4000-8000-0000000000b1")
VISIT = UUID("00000000-0000-4000-8000-0000000000b2")
EPISODE = UUID("00000000-0000-4000-8000-0000000000b3")


HELD = {
    "review_date": date(2024, 2, 2),
    "iro_id": "iro-17",
    "participation": "PN1",
    "child_views_recorded": True,
}


def test_a_review_held_again_records_nothing_and_other_facts_are_refused() -> None:
    child = amira()
    child.record_review(review_id=REVIEW, note="Amira chaired part of it", **HELD)  # type: ignore[arg-type]
    assert child.collect_events()[-1].note == "Amira chaired part of it"  # type: ignore[attr-defined]
    assert child.reviews[REVIEW] == StatutoryReview(
        REVIEW, None, date(2024, 2, 2), "iro-17", "PN1", True, "Amira chaired part of it"
    )
    version = child.version
    child.record_review(review_id=REVIEW, **HELD)  # type: ignore[arg-type]
    assert child.version == version
    for other in [
        {"review_date": date(2024, 2, 3)},
        {"iro_id": "iro-18"},
        {"participation": "PN2"},
        {"child_views_recorded": False},
    ]:
        facts = {**HELD, **other}
        assert refusal(
            errors.ReviewAlreadyHeld,
            child.record_review,
            review_id=REVIEW,
            **facts,
        ) == ("review_id", f"review {REVIEW} was held on 2024-02-02")
    assert refusal(
        errors.ReviewAlreadyHeld,
        lambda: child.schedule_review(
            review_id=REVIEW, scheduled_date=date(2024, 3, 1), effective_date=date(2024, 2, 3)
        ),
    ) == ("review_id", f"review {REVIEW} was held on 2024-02-02")


def test_what_a_refused_review_says() -> None:
    child = amira()
    review = child.record_review
    assert refusal(
        errors.MissingValue,
        lambda: review(review_id=REVIEW, **{**HELD, "iro_id": " "}),  # type: ignore[arg-type]
    ) == ("iro_id", "iro id must not be blank")
    assert refusal(
        errors.UnknownCode,
        lambda: review(review_id=REVIEW, **{**HELD, "participation": "PN8"}),  # type: ignore[arg-type]
    ) == ("participation", "'PN8' is not an SSDA903 REVIEW_CODE code")
    assert refusal(
        errors.ParticipationInconsistentWithAge,
        lambda: review(review_id=REVIEW, **{**HELD, "participation": "PN0"}),  # type: ignore[arg-type]
    ) == ("participation", "PN0 is for a child under 4 at the review, and only then")


def test_a_review_is_scheduled_with_the_day_it_was_set() -> None:
    child = amira()
    child.schedule_review(
        review_id=REVIEW, scheduled_date=date(2024, 2, 2), effective_date=date(2024, 1, 9)
    )
    assert child.collect_events()[-1].effective_date == date(2024, 1, 9)  # type: ignore[attr-defined]
    assert child.reviews[REVIEW].scheduled_date == date(2024, 2, 2)


def test_reviews_held_in_a_period_are_in_the_order_held() -> None:
    child = amira()
    (first,) = child.periods_in_order
    later, earlier, elsewhere = uuid4(), uuid4(), uuid4()
    child.schedule_review(  # scheduled only: not held in any period
        review_id=uuid4(), scheduled_date=date(2024, 4, 1), effective_date=date(2024, 1, 9)
    )
    child.record_review(review_id=later, **{**HELD, "review_date": date(2024, 3, 1)})  # type: ignore[arg-type]
    child.record_review(review_id=earlier, **HELD)  # type: ignore[arg-type]
    child.end_period_of_care(
        period_id=first.period_id, end_date=date(2024, 5, 1), reason_ceased="E13"
    )
    second = uuid4()
    child.start_period_of_care(
        period_id=second, start_date=date(2024, 6, 1), legal_status="V2", category_of_need="N4"
    )
    child.record_review(review_id=elsewhere, **{**HELD, "review_date": date(2024, 6, 20)})  # type: ignore[arg-type]
    assert [r.review_id for r in child.reviews_held_in(child.periods[first.period_id])] == [
        earlier,
        later,
    ]
    assert [r.review_id for r in child.reviews_held_in(child.periods[second])] == [elsewhere]


def test_a_visit_again_records_nothing_and_other_facts_are_refused() -> None:
    child = amira()
    child.record_visit(
        visit_id=VISIT, visit_date=date(2024, 1, 12), seen_alone=True, note="at the foster home"
    )
    assert child.collect_events()[-1].note == "at the foster home"  # type: ignore[attr-defined]
    version = child.version
    child.record_visit(visit_id=VISIT, visit_date=date(2024, 1, 12), seen_alone=True)
    assert child.version == version
    for visit_date, seen_alone in [(date(2024, 1, 12), False), (date(2024, 1, 13), True)]:
        assert refusal(
            errors.IdAlreadyUsed,
            child.record_visit,
            visit_id=VISIT,
            visit_date=visit_date,
            seen_alone=seen_alone,
        ) == ("visit_id", f"visit {VISIT} is already recorded, with other details")
    assert child.visits[VISIT] == StatutoryVisit(
        VISIT, date(2024, 1, 12), True, "at the foster home"
    )


def test_a_missing_episode_again_records_nothing_and_other_facts_are_refused() -> None:
    child = amira()
    child.record_missing_episode_start(
        episode_id=EPISODE, start_date=date(2024, 3, 1), missing_type="A"
    )
    version = child.version
    child.record_missing_episode_start(
        episode_id=EPISODE, start_date=date(2024, 3, 1), missing_type="A"
    )
    assert child.version == version
    assert child.missing_episodes[EPISODE] == MissingEpisode(EPISODE, "A", date(2024, 3, 1))
    for start_date, missing_type in [(date(2024, 3, 1), "M"), (date(2024, 3, 2), "A")]:
        assert refusal(
            errors.IdAlreadyUsed,
            child.record_missing_episode_start,
            episode_id=EPISODE,
            start_date=start_date,
            missing_type=missing_type,
        ) == ("episode_id", f"missing episode {EPISODE} is already recorded, with other details")


def test_what_a_refused_missing_episode_says() -> None:
    child = amira()
    start = child.record_missing_episode_start
    assert refusal(
        errors.UnknownCode,
        lambda: start(episode_id=uuid4(), start_date=date(2024, 3, 1), missing_type="X"),
    ) == ("missing_type", "'X' is not an SSDA903 MISSING code")
    assert refusal(
        errors.MissingEpisodeOutsidePeriodOfCare,
        lambda: start(episode_id=uuid4(), start_date=date(2024, 1, 7), missing_type="M"),
    ) == ("start_date", "the child was not looked after on 2024-01-07")
    start(episode_id=EPISODE, start_date=date(2024, 3, 1), missing_type="M")
    assert refusal(
        errors.MissingEpisodesOverlap,
        lambda: start(episode_id=uuid4(), start_date=date(2024, 3, 2), missing_type="M"),
    ) == ("start_date", "the child was already missing or away from 2024-03-01 (not yet returned)")
    child.record_missing_episode_end(
        episode_id=EPISODE,
        end_date=date(2024, 3, 4),
        return_interview_offered=True,
        return_interview_accepted=False,
    )
    assert refusal(
        errors.MissingEpisodesOverlap,
        lambda: start(episode_id=uuid4(), start_date=date(2024, 3, 3), missing_type="M"),
    ) == ("start_date", "the child was already missing or away from 2024-03-01 to 2024-03-04")


def test_a_return_again_records_nothing_and_other_facts_are_refused() -> None:
    child = amira()
    child.record_missing_episode_start(
        episode_id=EPISODE, start_date=date(2024, 3, 1), missing_type="M"
    )
    returned = {
        "end_date": date(2024, 3, 2),
        "return_interview_offered": True,
        "return_interview_accepted": True,
    }
    child.record_missing_episode_end(episode_id=EPISODE, **returned)  # type: ignore[arg-type]
    version = child.version
    child.record_missing_episode_end(episode_id=EPISODE, **returned)  # type: ignore[arg-type]
    assert child.version == version
    for other in [
        {"end_date": date(2024, 3, 3)},
        {"return_interview_offered": True, "return_interview_accepted": False},
        {"return_interview_offered": False, "return_interview_accepted": False},
    ]:
        facts = {**returned, **other}
        assert refusal(
            errors.MissingEpisodeAlreadyEnded,
            child.record_missing_episode_end,
            episode_id=EPISODE,
            **facts,
        ) == ("episode_id", "the episode already ended on 2024-03-02")


def test_what_a_refused_return_says() -> None:
    child = amira()
    child.record_missing_episode_start(
        episode_id=EPISODE, start_date=date(2024, 3, 1), missing_type="M"
    )

    def end(
        end_date: date, offered: bool = True, accepted: bool = False, episode: UUID = EPISODE
    ) -> None:
        child.record_missing_episode_end(
            episode_id=episode,
            end_date=end_date,
            return_interview_offered=offered,
            return_interview_accepted=accepted,
        )

    unknown = uuid4()
    assert refusal(
        errors.MissingEpisodeNotFound, lambda: end(date(2024, 3, 2), episode=unknown)
    ) == ("episode_id", f"no missing episode {unknown} in this record")
    assert refusal(
        errors.ReturnInterviewNotOffered, lambda: end(date(2024, 3, 2), False, True)
    ) == ("return_interview_accepted", "a return interview can be accepted only if offered")
    assert refusal(errors.DatesOutOfOrder, lambda: end(date(2024, 2, 29))) == (
        "end_date",
        "the episode cannot end before it started (2024-03-01)",
    )


def went_missing(child: Child, episode: UUID, on: date, missing_type: str) -> None:
    """Missing (M) or away from placement without authorisation (A) from `on`."""
    child.record_missing_episode_start(episode_id=episode, start_date=on, missing_type=missing_type)


def came_back(child: Child, episode: UUID, on: date) -> None:
    """Back on `on`; no return interview offered (nor so accepted)."""
    child.record_missing_episode_end(
        episode_id=episode,
        end_date=on,
        return_interview_offered=False,
        return_interview_accepted=False,
    )


def test_a_return_cannot_pass_the_start_of_another_episode() -> None:
    child = amira()
    later, earlier = uuid4(), uuid4()
    went_missing(child, later, date(2024, 3, 10), "M")
    came_back(child, later, date(2024, 3, 11))
    # Entered late: an earlier episode, still open when the later one began.
    went_missing(child, earlier, date(2024, 3, 5), "A")
    assert refusal(
        errors.MissingEpisodesOverlap,
        lambda: came_back(child, earlier, date(2024, 3, 12)),
    ) == ("end_date", "another missing episode started on 2024-03-10")
    # Back the day the later one began: they only touch.
    came_back(child, earlier, date(2024, 3, 10))
    assert child.missing_episodes[earlier].end_date == date(2024, 3, 10)


def test_episodes_may_start_on_the_same_day_one_after_the_other() -> None:
    child = amira()
    first, second = uuid4(), uuid4()
    went_missing(child, first, date(2024, 3, 5), "A")
    came_back(child, first, date(2024, 3, 5))
    went_missing(child, second, date(2024, 3, 5), "M")
    came_back(child, second, date(2024, 3, 6))
    assert child.missing_episodes[second].end_date == date(2024, 3, 6)
