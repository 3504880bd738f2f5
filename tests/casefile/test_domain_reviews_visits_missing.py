"""Statutory reviews, statutory visits and missing episodes.

Amira (born 1 March 2015) is looked after from Monday 8 January 2024.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from services.casefile.application import Casefile
from services.casefile.domain import commands as c
from services.casefile.domain import errors

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
