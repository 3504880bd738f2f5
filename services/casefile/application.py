"""The casefile application: one method per command on a child's case, and the queries.

Each command loads the child's `Child` aggregate, calls one domain method and
saves the new events; it returns the child's new version, which the API hands
back as an ETag and takes back as If-Match (`expected_version`). Which event
store is used is chosen by the environment (`PERSISTENCE_MODULE`); unset, it is
the library's in-memory store, which is what the unit tests use.

Ids of things within a case (periods of care, reviews, visits, missing episodes,
contacts, views) are chosen by the caller, so a retried command finds its own
earlier effect and records nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import EnvType

from services.casefile.domain.child import UNCHANGED, Child, Unchanged
from services.casefile.domain.errors import (
    ChildAlreadyRegistered,
    ChildNotFound,
    VersionConflict,
)
from services.casefile.domain.summary import CaseSummary, case_summary
from services.casefile.domain.timescales import (
    DEFAULT_TIMESCALES,
    StatutoryTimescales,
)
from services.casefile.domain.values import ViewsSubject
from shared.dates import today
from shared.domain_errors import RuleBroken
from shared.service_application import ServiceApplication


class Casefile(ServiceApplication):
    """Children's case records: commands and queries over `Child` aggregates."""

    name = "casefile"

    #: Saves retried when another writer appended first and the caller gave no If-Match.
    save_attempts = 3

    def __init__(
        self, env: EnvType | None = None, *, timescales: StatutoryTimescales | None = None
    ) -> None:
        super().__init__(env)
        self.timescales = timescales or DEFAULT_TIMESCALES

    # ------------------------------------------------------------------ the child

    def register_child(
        self,
        *,
        local_child_id: str,
        date_of_birth: date,
        sex: str,
        ethnicity: str,
        registration_date: date | None = None,
        upn: str | None = None,
        nhs_number: str | None = None,
        uasc: bool = False,
        uasc_ceased_date: date | None = None,
    ) -> UUID:
        """Register a child and return their id (`Child.create_id(local_child_id)`).

        The child's record starts at version 1. Registering the same child again
        with the same details returns the same id and records nothing.
        """
        child = Child.register(
            local_child_id=local_child_id,
            date_of_birth=date_of_birth,
            sex=sex,
            ethnicity=ethnicity,
            registration_date=registration_date or today(),
            upn=upn,
            nhs_number=nhs_number,
            uasc=uasc,
            uasc_ceased_date=uasc_ceased_date,
        )
        try:
            existing = self.get_case(child.id)
        except ChildNotFound:
            try:
                self.save(child)
            except IntegrityError:
                existing = self.get_case(child.id)
            else:
                return child.id
        if existing.details != child.details:
            raise ChildAlreadyRegistered(
                f"a child with local child id {child.details.local_child_id} is already "
                "registered, with other details",
                field="local_child_id",
            )
        return child.id

    def correct_child_details(
        self,
        child_id: UUID,
        *,
        effective_date: date | None = None,
        note: str | None = None,
        local_child_id: str | Unchanged = UNCHANGED,
        date_of_birth: date | Unchanged = UNCHANGED,
        sex: str | Unchanged = UNCHANGED,
        ethnicity: str | Unchanged = UNCHANGED,
        upn: str | Unchanged | None = UNCHANGED,
        nhs_number: str | Unchanged | None = UNCHANGED,
        uasc: bool | Unchanged = UNCHANGED,
        uasc_ceased_date: date | Unchanged | None = UNCHANGED,
        expected_version: int | None = None,
    ) -> int:
        """Correct details given; leave out (or pass `UNCHANGED`) those that stay."""
        day = effective_date or today()
        return self._update(
            child_id,
            expected_version,
            lambda child: child.correct_details(
                effective_date=day,
                note=note,
                local_child_id=local_child_id,
                date_of_birth=date_of_birth,
                sex=sex,
                ethnicity=ethnicity,
                upn=upn,
                nhs_number=nhs_number,
                uasc=uasc,
                uasc_ceased_date=uasc_ceased_date,
            ),
        )

    # ------------------------------------------------------------------ periods of care

    def start_period_of_care(
        self,
        child_id: UUID,
        *,
        period_id: UUID,
        start_date: date,
        legal_status: str,
        category_of_need: str,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.start_period_of_care(
                period_id=period_id,
                start_date=start_date,
                legal_status=legal_status,
                category_of_need=category_of_need,
            ),
        )

    def change_legal_status(
        self,
        child_id: UUID,
        *,
        period_id: UUID,
        effective_date: date,
        legal_status: str,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.change_legal_status(
                period_id=period_id, effective_date=effective_date, legal_status=legal_status
            ),
        )

    def end_period_of_care(
        self,
        child_id: UUID,
        *,
        period_id: UUID,
        end_date: date,
        reason_ceased: str,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.end_period_of_care(
                period_id=period_id, end_date=end_date, reason_ceased=reason_ceased
            ),
        )

    # ------------------------------------------------------------------ social worker

    def allocate_social_worker(
        self,
        child_id: UUID,
        *,
        effective_date: date,
        social_worker_id: str,
        team: str,
        reason: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.allocate_social_worker(
                effective_date=effective_date,
                social_worker_id=social_worker_id,
                team=team,
                reason=reason,
            ),
        )

    # ------------------------------------------------------------------ plans

    def agree_care_plan(
        self,
        child_id: UUID,
        *,
        effective_date: date,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.agree_care_plan(effective_date=effective_date, note=note),
        )

    def agree_permanence_plan(
        self,
        child_id: UUID,
        *,
        effective_date: date,
        plan_type: str,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.agree_permanence_plan(
                effective_date=effective_date, plan_type=plan_type, note=note
            ),
        )

    def agree_pathway_plan(
        self,
        child_id: UUID,
        *,
        effective_date: date,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.agree_pathway_plan(effective_date=effective_date, note=note),
        )

    def review_pathway_plan(
        self,
        child_id: UUID,
        *,
        effective_date: date,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.review_pathway_plan(effective_date=effective_date, note=note),
        )

    # ------------------------------------------------------------------ reviews and visits

    def appoint_iro(
        self,
        child_id: UUID,
        *,
        effective_date: date,
        iro_id: str,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.appoint_iro(effective_date=effective_date, iro_id=iro_id),
        )

    def schedule_review(
        self,
        child_id: UUID,
        *,
        review_id: UUID,
        scheduled_date: date,
        effective_date: date | None = None,
        expected_version: int | None = None,
    ) -> int:
        """Schedule or reschedule a review; `effective_date` (default today) is when."""
        day = effective_date or today()
        return self._update(
            child_id,
            expected_version,
            lambda child: child.schedule_review(
                review_id=review_id, scheduled_date=scheduled_date, effective_date=day
            ),
        )

    def record_review(
        self,
        child_id: UUID,
        *,
        review_id: UUID,
        review_date: date,
        iro_id: str,
        participation: str,
        child_views_recorded: bool,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.record_review(
                review_id=review_id,
                review_date=review_date,
                iro_id=iro_id,
                participation=participation,
                child_views_recorded=child_views_recorded,
                note=note,
            ),
        )

    def record_visit(
        self,
        child_id: UUID,
        *,
        visit_id: UUID,
        visit_date: date,
        seen_alone: bool,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.record_visit(
                visit_id=visit_id, visit_date=visit_date, seen_alone=seen_alone, note=note
            ),
        )

    # ------------------------------------------------------------------ missing episodes

    def record_missing_episode_start(
        self,
        child_id: UUID,
        *,
        episode_id: UUID,
        start_date: date,
        missing_type: str,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.record_missing_episode_start(
                episode_id=episode_id, start_date=start_date, missing_type=missing_type
            ),
        )

    def record_missing_episode_end(
        self,
        child_id: UUID,
        *,
        episode_id: UUID,
        end_date: date,
        return_interview_offered: bool,
        return_interview_accepted: bool,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.record_missing_episode_end(
                episode_id=episode_id,
                end_date=end_date,
                return_interview_offered=return_interview_offered,
                return_interview_accepted=return_interview_accepted,
            ),
        )

    # ------------------------------------------------------------------ care leavers

    def record_care_leaver_eligibility(
        self,
        child_id: UUID,
        *,
        effective_date: date,
        status: str,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.record_care_leaver_eligibility(
                effective_date=effective_date, status=status
            ),
        )

    def appoint_personal_adviser(
        self,
        child_id: UUID,
        *,
        effective_date: date,
        personal_adviser_id: str,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.appoint_personal_adviser(
                effective_date=effective_date, personal_adviser_id=personal_adviser_id
            ),
        )

    def record_in_touch_contact(
        self,
        child_id: UUID,
        *,
        contact_id: UUID,
        contact_date: date,
        in_touch: str,
        activity: str | None = None,
        accommodation: str | None = None,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.record_in_touch_contact(
                contact_id=contact_id,
                contact_date=contact_date,
                in_touch=in_touch,
                activity=activity,
                accommodation=accommodation,
            ),
        )

    def record_staying_put(
        self,
        child_id: UUID,
        *,
        effective_date: date,
        staying_put: bool,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.record_staying_put(
                effective_date=effective_date, staying_put=staying_put
            ),
        )

    # ------------------------------------------------------------------ adoption

    def record_adoption_decision(
        self, child_id: UUID, *, effective_date: date, expected_version: int | None = None
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.record_adoption_decision(effective_date=effective_date),
        )

    def record_placement_order(
        self, child_id: UUID, *, effective_date: date, expected_version: int | None = None
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.record_placement_order(effective_date=effective_date),
        )

    def record_adoption_match(
        self, child_id: UUID, *, effective_date: date, expected_version: int | None = None
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.record_adoption_match(effective_date=effective_date),
        )

    def record_placed_for_adoption(
        self, child_id: UUID, *, effective_date: date, expected_version: int | None = None
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.record_placed_for_adoption(effective_date=effective_date),
        )

    def record_adoption(
        self, child_id: UUID, *, effective_date: date, expected_version: int | None = None
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.record_adoption(effective_date=effective_date),
        )

    def reverse_adoption_decision(
        self,
        child_id: UUID,
        *,
        effective_date: date,
        reason: str,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.reverse_adoption_decision(
                effective_date=effective_date, reason=reason
            ),
        )

    # ------------------------------------------------------------------ views and wishes

    def record_views_and_wishes(
        self,
        child_id: UUID,
        *,
        views_id: UUID,
        effective_date: date,
        views: str,
        about: str = ViewsSubject.CASE,
        about_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> int:
        return self._update(
            child_id,
            expected_version,
            lambda child: child.record_views_and_wishes(
                views_id=views_id,
                effective_date=effective_date,
                views=views,
                about=about,
                about_id=about_id,
            ),
        )

    # ------------------------------------------------------------------ queries

    def get_case(self, child_id: UUID) -> Child:
        """The child's record as it stands now."""
        try:
            child: Child = self.repository.get(child_id)
        except AggregateNotFoundError:
            raise ChildNotFound(child_id) from None
        return child

    def case_as_of(self, child_id: UUID, recorded_by: datetime | None = None) -> Child:
        """The child's record as it was recorded by `recorded_by` (recorded time).

        Replays only the events recorded by then, so a backdated entry made later
        does not rewrite what the record said at the time. A naive datetime is
        taken as UTC. Raises `ChildNotFound` if nothing was recorded by then.
        """
        if recorded_by is None:
            return self.get_case(child_id)
        if recorded_by.tzinfo is None:
            recorded_by = recorded_by.replace(tzinfo=UTC)
        version: int | None = None
        # Events are stored in version order; their timestamps are the recorded times.
        for domain_event in self.events.get(child_id):
            if cast("Aggregate.Event", domain_event).timestamp > recorded_by:
                break
            version = domain_event.originator_version
        if version is None:
            raise ChildNotFound(child_id)
        child: Child = self.repository.get(child_id, version=version)
        return child

    def summarise_case(self, child_id: UUID, *, as_at: date | None = None) -> CaseSummary:
        """`case_summary` of the child's record now, on `as_at` (default today)."""
        return case_summary(self.get_case(child_id), as_at=as_at, timescales=self.timescales)

    # ------------------------------------------------------------------ the command cycle

    def _update(
        self, child_id: UUID, expected_version: int | None, command: Callable[[Child], Any]
    ) -> int:
        """Load, run one domain command, save; return the new version.

        With `expected_version` (If-Match), a stale caller gets `VersionConflict`,
        unless their command is already in the record (a retry after a lost
        response), which is answered with the current version. Without it, a
        save that loses a race with another writer is re-run on the newer history.
        """
        loaded_version = 0
        for _ in range(self.save_attempts):
            child = self.get_case(child_id)
            loaded_version = child.version
            if expected_version is not None and child.version != expected_version:
                return self._already_done_or_conflict(child, expected_version, command)
            command(child)
            if not child.pending_events:
                return child.version
            try:
                self.save(child)
            except IntegrityError:
                if expected_version is not None:
                    latest = self.get_case(child_id)
                    return self._already_done_or_conflict(latest, expected_version, command)
                continue
            return child.version
        # Only reached without If-Match: others kept winning the race. Not a stale
        # caller (no precondition was given), so the API answers 409 "retry".
        raise IntegrityError(
            f"{self.save_attempts} saves of {child_id} lost races from version {loaded_version}"
        )

    @staticmethod
    def _already_done_or_conflict(
        child: Child, expected_version: int, command: Callable[[Child], Any]
    ) -> int:
        actual = child.version
        try:
            command(child)
        except RuleBroken:
            raise VersionConflict(expected_version, actual) from None
        if child.pending_events:
            raise VersionConflict(expected_version, actual)
        return actual
