"""The `Child` aggregate: one child's case record, as the history of what happened.

Each command method checks the rules, then calls one `@event` method whose body
only changes state (it runs again, unchecked, on replay). Real-world facts carry
`effective_date`; `timestamp` is when they were recorded. Free text lives only in
`note` and `views` fields. A command already in the record records nothing.
See docs/adr/0007-one-aggregate-per-child-effective-and-recorded-time.md.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import fields, replace
from datetime import date, timedelta
from enum import Enum, StrEnum
from typing import Final, Literal, Protocol, TypeVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.casefile.domain import errors
from services.casefile.domain.values import (
    Address,
    AdoptionMilestone,
    AdoptionProgress,
    CareLeaverStatus,
    CareLeaverStatusRecord,
    CarePlan,
    ChildDetails,
    ChildName,
    DatedText,
    DetailsCorrection,
    Disability,
    DisabilityRecord,
    HealthAssessment,
    HealthAssessmentKind,
    InTouchContact,
    IroAppointment,
    LegalStatusSpell,
    MissingEpisode,
    PathwayPlan,
    PeriodOfCare,
    PermanencePlan,
    PermanencePlanType,
    PersonalAdviserAppointment,
    PersonWhoMatters,
    Relationship,
    SocialWorkerAllocation,
    SocialWorkerChangeReason,
    StatutoryReview,
    StatutoryVisit,
    StayingPutRecord,
    ViewsAndWishes,
    ViewsSubject,
)
from shared.dates import age_on, today
from shared.identifiers import validate_nhs_number, validate_upn
from shared.ssda903 import codes

#: Namespace for `Child.create_id`: a child's id is derived from their local child id,
#: so a retried registration names the same aggregate. Never change it.
CHILD_ID_NAMESPACE: Final = UUID("6f1c1f3e-5a0b-4d8e-9c39-2f0a7d4b1e55")

#: Minimum age for each leaving-care status (Children Act 1989 Sch. 2 para. 19B and
#: s.23A: eligible and relevant children are 16 or 17; s.23C: former relevant from 18;
#: s.24: qualifying from 16).
CARE_LEAVER_MINIMUM_AGE: Final[Mapping[CareLeaverStatus, int]] = {
    CareLeaverStatus.ELIGIBLE: 16,
    CareLeaverStatus.RELEVANT: 16,
    CareLeaverStatus.FORMER_RELEVANT: 18,
    CareLeaverStatus.QUALIFYING: 16,
}

#: Staying Put is an arrangement for a former relevant child, so from 18
#: (Children Act 1989 s.23CZA).
STAYING_PUT_MINIMUM_AGE: Final = 18

#: SSDA903 rules 440/441: participation code PN0 means "under 4 at the review".
PN0_UNDER_AGE: Final = 4
PN0: Final = "PN0"

#: SSDA903 REC "X1" ends an episode, not a period of care (a new episode starts that day).
EPISODE_ONLY_REASON_CEASED: Final = "X1"


class _Unchanged(Enum):
    UNCHANGED = "unchanged"


#: "Leave this detail as it is", for `Child.correct_details`; `None` means "not known".
UNCHANGED: Final = _Unchanged.UNCHANGED
Unchanged = Literal[_Unchanged.UNCHANGED]

_T = TypeVar("_T")
_E = TypeVar("_E", bound=StrEnum)


def _label(field: str) -> str:
    return field.replace("_", " ")


def _require_code(code_list: Mapping[str, str], code: str, field: str, list_name: str) -> None:
    if not codes.is_valid(code_list, code):
        raise errors.UnknownCode(f"{code!r} is not an SSDA903 {list_name} code", field=field)


def _require_text(value: str, field: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise errors.MissingValue(f"{_label(field)} must not be blank", field=field)
    return stripped


def _enum_member(enum: type[_E], value: str, field: str) -> _E:
    try:
        return enum(value)
    except ValueError:
        raise errors.UnknownCode(f"{value!r} is not a valid {_label(field)}", field=field) from None


def _check_not_future(day: date, field: str) -> None:
    now = today()
    if day > now:
        raise errors.DateInFuture(
            f"{_label(field)} {day} is after today ({now}); record facts once they happen",
            field=field,
        )


def validated_details(details: ChildDetails) -> ChildDetails:
    """The details, normalised, or the first rule they break."""
    local_child_id = _require_text(details.local_child_id, "local_child_id")
    upn = details.upn
    if upn is not None:
        try:
            upn = validate_upn(upn)
        except ValueError as e:
            raise errors.InvalidUpn(str(e), field="upn") from None
    nhs_number = details.nhs_number
    if nhs_number is not None:
        try:
            nhs_number = validate_nhs_number(nhs_number)
        except ValueError as e:
            raise errors.InvalidNhsNumber(str(e), field="nhs_number") from None
    _require_code(codes.SEX, details.sex, "sex", "SEX")
    _require_code(codes.ETHNICITY, details.ethnicity, "ethnicity", "ETHNIC")
    _check_not_future(details.date_of_birth, "date_of_birth")
    if details.uasc_ceased_date is not None:
        if not details.uasc:
            raise errors.UascDetailsInconsistent(
                "a date UASC status ceased needs the child recorded as UASC",
                field="uasc_ceased_date",
            )
        if details.uasc_ceased_date < details.date_of_birth:
            raise errors.DateBeforeBirth(
                "UASC status cannot cease before the child was born", field="uasc_ceased_date"
            )
        _check_not_future(details.uasc_ceased_date, "uasc_ceased_date")
    return replace(details, local_child_id=local_child_id, upn=upn, nhs_number=nhs_number)


class Child(Aggregate):
    """A child's case record: who they are, their periods of care, and what happened in them."""

    # ------------------------------------------------------------------ registration

    @staticmethod
    def create_id(local_child_id: str) -> UUID:
        """The child's id: a UUID derived from the local child id (SSDA903 `CHILD`)."""
        return uuid5(CHILD_ID_NAMESPACE, local_child_id.strip())

    @classmethod
    def register(
        cls,
        *,
        local_child_id: str,
        date_of_birth: date,
        sex: str,
        ethnicity: str,
        registration_date: date,
        upn: str | None = None,
        nhs_number: str | None = None,
        uasc: bool = False,
        uasc_ceased_date: date | None = None,
    ) -> Child:
        details = validated_details(
            ChildDetails(
                local_child_id=local_child_id,
                date_of_birth=date_of_birth,
                sex=sex,
                ethnicity=ethnicity,
                upn=upn,
                nhs_number=nhs_number,
                uasc=uasc,
                uasc_ceased_date=uasc_ceased_date,
            )
        )
        _check_not_future(registration_date, "registration_date")
        if registration_date < date_of_birth:
            raise errors.DateBeforeBirth(
                "a child is registered once born: registration date is before date of birth",
                field="registration_date",
            )
        return cls(
            effective_date=registration_date,
            local_child_id=details.local_child_id,
            date_of_birth=details.date_of_birth,
            sex=details.sex,
            ethnicity=details.ethnicity,
            upn=details.upn,
            nhs_number=details.nhs_number,
            uasc=details.uasc,
            uasc_ceased_date=details.uasc_ceased_date,
        )

    @event("ChildRegistered")
    def __init__(
        self,
        effective_date: date,
        local_child_id: str,
        date_of_birth: date,
        sex: str,
        ethnicity: str,
        upn: str | None,
        nhs_number: str | None,
        uasc: bool,
        uasc_ceased_date: date | None,
    ) -> None:
        self.registration_date: date = effective_date
        self.details: ChildDetails = ChildDetails(
            local_child_id=local_child_id,
            date_of_birth=date_of_birth,
            sex=sex,
            ethnicity=ethnicity,
            upn=upn,
            nhs_number=nhs_number,
            uasc=uasc,
            uasc_ceased_date=uasc_ceased_date,
        )
        self.corrections: list[DetailsCorrection] = []
        self.periods: dict[UUID, PeriodOfCare] = {}
        self.allocations: list[SocialWorkerAllocation] = []
        self.care_plans: list[CarePlan] = []
        self.permanence_plans: list[PermanencePlan] = []
        self.pathway_plans: list[PathwayPlan] = []
        self.iros: list[IroAppointment] = []
        self.reviews: dict[UUID, StatutoryReview] = {}
        self.visits: dict[UUID, StatutoryVisit] = {}
        self.missing_episodes: dict[UUID, MissingEpisode] = {}
        self.care_leaver_statuses: list[CareLeaverStatusRecord] = []
        self.personal_advisers: list[PersonalAdviserAppointment] = []
        self.in_touch_contacts: dict[UUID, InTouchContact] = {}
        self.staying_put_records: list[StayingPutRecord] = []
        self.adoption: AdoptionProgress | None = None
        self.previous_adoption_plans: list[AdoptionProgress] = []
        self.views_and_wishes: dict[UUID, ViewsAndWishes] = {}
        self.health_assessments: list[HealthAssessment] = []
        # The child as a person (docs/adr/0017-person-details.md): histories, latest last.
        self.names: list[ChildName] = []
        self.addresses: dict[UUID, Address] = {}
        self.first_languages: list[DatedText] = []
        self.religions: list[DatedText] = []
        self.disabilities: list[DisabilityRecord] = []
        self.people_who_matter: dict[UUID, PersonWhoMatters] = {}

    # ------------------------------------------------------------------ corrections

    def correct_details(
        self,
        *,
        effective_date: date,
        note: str | None = None,
        local_child_id: str | Unchanged = UNCHANGED,
        date_of_birth: date | Unchanged = UNCHANGED,
        sex: str | Unchanged = UNCHANGED,
        ethnicity: str | Unchanged = UNCHANGED,
        upn: str | Unchanged | None = UNCHANGED,
        nhs_number: str | Unchanged | None = UNCHANGED,
        uasc: bool | Unchanged = UNCHANGED,
        uasc_ceased_date: date | Unchanged | None = UNCHANGED,
    ) -> None:
        """Correct the child's details: a new event, never an edit of the registration.

        Only the details given change; `None` clears an optional one (the UPN or
        NHS number is not known after all). A correction that changes nothing
        records nothing. `effective_date` is the day the correction was made.
        """
        current = self.details
        proposed = ChildDetails(
            local_child_id=_given(local_child_id, current.local_child_id),
            date_of_birth=_given(date_of_birth, current.date_of_birth),
            sex=_given(sex, current.sex),
            ethnicity=_given(ethnicity, current.ethnicity),
            upn=_given(upn, current.upn),
            nhs_number=_given(nhs_number, current.nhs_number),
            uasc=_given(uasc, current.uasc),
            uasc_ceased_date=_given(uasc_ceased_date, current.uasc_ceased_date),
        )
        corrected = validated_details(proposed)
        changed = [
            f.name
            for f in fields(ChildDetails)
            if getattr(corrected, f.name) != getattr(current, f.name)
        ]
        if not changed:
            return
        _check_not_future(effective_date, "effective_date")
        if effective_date < self.registration_date:
            raise errors.DatesOutOfOrder(
                "a correction cannot be made before the child was registered",
                field="effective_date",
            )
        if corrected.date_of_birth != current.date_of_birth:
            earliest = self._earliest_fact_date()
            if earliest is not None and earliest < corrected.date_of_birth:
                raise errors.CorrectionConflictsWithRecord(
                    f"the record has facts from {earliest}, before the corrected date of birth",
                    field="date_of_birth",
                )
        self._correct_details(
            effective_date=effective_date,
            local_child_id=corrected.local_child_id,
            date_of_birth=corrected.date_of_birth,
            sex=corrected.sex,
            ethnicity=corrected.ethnicity,
            upn=corrected.upn,
            nhs_number=corrected.nhs_number,
            uasc=corrected.uasc,
            uasc_ceased_date=corrected.uasc_ceased_date,
            corrected_fields=changed,
            note=note,
        )

    @event("ChildDetailsCorrected")
    def _correct_details(
        self,
        effective_date: date,
        local_child_id: str,
        date_of_birth: date,
        sex: str,
        ethnicity: str,
        upn: str | None,
        nhs_number: str | None,
        uasc: bool,
        uasc_ceased_date: date | None,
        corrected_fields: list[str],
        note: str | None,
    ) -> None:
        self.details = ChildDetails(
            local_child_id=local_child_id,
            date_of_birth=date_of_birth,
            sex=sex,
            ethnicity=ethnicity,
            upn=upn,
            nhs_number=nhs_number,
            uasc=uasc,
            uasc_ceased_date=uasc_ceased_date,
        )
        self.corrections.append(DetailsCorrection(effective_date, tuple(corrected_fields)))

    # ------------------------------------------------------------------ periods of care

    def start_period_of_care(
        self, *, period_id: UUID, start_date: date, legal_status: str, category_of_need: str
    ) -> None:
        """The child starts to be looked after (SSDA903 episode with RNE "S")."""
        existing = self.periods.get(period_id)
        if existing is not None:
            if (
                existing.start_date == start_date
                and existing.legal_statuses[0].legal_status == legal_status
                and existing.category_of_need == category_of_need
            ):
                return
            raise errors.IdAlreadyUsed(
                f"period of care {period_id} is already recorded, with other details",
                field="period_id",
            )
        _require_code(codes.LEGAL_STATUS, legal_status, "legal_status", "LS")
        _require_code(codes.CATEGORY_OF_NEED, category_of_need, "category_of_need", "CIN")
        self._check_fact_date(start_date, "start_date")
        for period in self.periods_in_order:
            if period.overlaps(start_date, None):
                raise errors.PeriodsOverlap(
                    f"a period of care from {start_date} would overlap the period from "
                    f"{period.start_date}"
                    + (f" to {period.end_date}" if period.end_date else " (still open)"),
                    field="start_date",
                )
        self._start_period_of_care(
            effective_date=start_date,
            period_id=period_id,
            legal_status=legal_status,
            category_of_need=category_of_need,
        )

    @event("PeriodOfCareStarted")
    def _start_period_of_care(
        self, effective_date: date, period_id: UUID, legal_status: str, category_of_need: str
    ) -> None:
        self.periods[period_id] = PeriodOfCare(
            period_id=period_id,
            start_date=effective_date,
            category_of_need=category_of_need,
            legal_statuses=(LegalStatusSpell(effective_date, legal_status),),
        )

    def change_legal_status(
        self, *, period_id: UUID, effective_date: date, legal_status: str
    ) -> None:
        """The legal basis on which the child is looked after changes (SSDA903 RNE "L")."""
        period = self._period(period_id)
        on_that_day = [s for s in period.legal_statuses if s.effective_date == effective_date]
        if on_that_day and on_that_day[-1].legal_status == legal_status:
            return
        _require_code(codes.LEGAL_STATUS, legal_status, "legal_status", "LS")
        self._check_fact_date(effective_date, "effective_date")
        if effective_date <= period.start_date:
            raise errors.DatesOutOfOrder(
                f"a change of legal status comes after the period of care starts "
                f"({period.start_date})",
                field="effective_date",
            )
        if period.end_date is not None and effective_date >= period.end_date:
            raise errors.NotLookedAfter(
                f"the period of care ended on {period.end_date}", field="effective_date"
            )
        if on_that_day:
            raise errors.LegalStatusChangeClash(
                f"the legal status already changed on {effective_date}", field="effective_date"
            )
        before = period.legal_status_on(effective_date - timedelta(days=1))
        if before == legal_status:
            raise errors.LegalStatusUnchanged(
                f"the legal status on {effective_date} is already {legal_status}",
                field="legal_status",
            )
        self._change_legal_status(
            effective_date=effective_date, period_id=period_id, legal_status=legal_status
        )

    @event("LegalStatusChanged")
    def _change_legal_status(
        self, effective_date: date, period_id: UUID, legal_status: str
    ) -> None:
        period = self.periods[period_id]
        spells = sorted(
            (*period.legal_statuses, LegalStatusSpell(effective_date, legal_status)),
            key=lambda s: s.effective_date,
        )
        self.periods[period_id] = replace(period, legal_statuses=tuple(spells))

    def end_period_of_care(self, *, period_id: UUID, end_date: date, reason_ceased: str) -> None:
        """The child ceases to be looked after (SSDA903 DEC and REC)."""
        period = self._period(period_id)
        if period.end_date is not None:
            if period.end_date == end_date and period.reason_ceased == reason_ceased:
                return
            raise errors.PeriodOfCareAlreadyEnded(
                f"the period of care already ended on {period.end_date}", field="period_id"
            )
        _require_code(codes.REASON_EPISODE_CEASED, reason_ceased, "reason_ceased", "REC")
        if reason_ceased == EPISODE_ONLY_REASON_CEASED:
            raise errors.UnknownCode(
                "X1 ends an episode, not a period of care", field="reason_ceased"
            )
        self._check_fact_date(end_date, "end_date")
        if end_date < period.start_date:
            raise errors.DatesOutOfOrder(
                f"a period of care cannot end before it started ({period.start_date})",
                field="end_date",
            )
        later = [d for d in self._dates_within(period) if d > end_date]
        if later:
            raise errors.RecordsAfterEndDate(
                f"the record has facts in this period of care up to {max(later)}",
                field="end_date",
            )
        self._end_period_of_care(
            effective_date=end_date, period_id=period_id, reason_ceased=reason_ceased
        )

    @event("PeriodOfCareEnded")
    def _end_period_of_care(
        self, effective_date: date, period_id: UUID, reason_ceased: str
    ) -> None:
        period = self.periods[period_id]
        self.periods[period_id] = replace(
            period, end_date=effective_date, reason_ceased=reason_ceased
        )

    # ------------------------------------------------------------------ social worker

    def allocate_social_worker(
        self,
        *,
        effective_date: date,
        social_worker_id: str,
        team: str,
        reason: str | None = None,
    ) -> None:
        """Allocate a social worker and team; a change of worker says why (SW_REASON).

        Each change of worker counts in the Children's Commissioner's Stability Index.
        """
        social_worker_id = _require_text(social_worker_id, "social_worker_id")
        team = _require_text(team, "team")
        change_reason = (
            None if reason is None else _enum_member(SocialWorkerChangeReason, reason, "reason")
        )
        for allocation in self.allocations:
            if allocation == SocialWorkerAllocation(
                effective_date, social_worker_id, team, change_reason
            ):
                return
        self._check_fact_date(effective_date, "effective_date")
        previous = self.allocation_on(effective_date)
        if previous is not None:
            if previous.social_worker_id == social_worker_id and previous.team == team:
                raise errors.SocialWorkerAlreadyAllocated(
                    f"{social_worker_id} in {team} is already allocated from "
                    f"{previous.effective_date}",
                    field="social_worker_id",
                )
            if previous.social_worker_id != social_worker_id and change_reason is None:
                raise errors.ChangeReasonRequired(
                    "a change of social worker records the reason for the change",
                    field="reason",
                )
        self._allocate_social_worker(
            effective_date=effective_date,
            social_worker_id=social_worker_id,
            team=team,
            reason=None if change_reason is None else str(change_reason),
        )

    @event("SocialWorkerAllocated")
    def _allocate_social_worker(
        self, effective_date: date, social_worker_id: str, team: str, reason: str | None
    ) -> None:
        allocation = SocialWorkerAllocation(
            effective_date=effective_date,
            social_worker_id=social_worker_id,
            team=team,
            reason=None if reason is None else SocialWorkerChangeReason(reason),
        )
        self.allocations = _in_date_order([*self.allocations, allocation])

    # ------------------------------------------------------------------ plans

    def agree_care_plan(self, *, effective_date: date, note: str | None = None) -> None:
        """A care plan is agreed (CPPCR 2010 reg. 4), while the child is looked after."""
        period = self._plan_period(effective_date)
        if CarePlan(effective_date, period) in self.care_plans:
            return
        self._check_fact_date(effective_date, "effective_date")
        self._require_looked_after(effective_date, "effective_date", errors.NotLookedAfter)
        self._agree_care_plan(effective_date=effective_date, note=note)

    @event("CarePlanAgreed")
    def _agree_care_plan(self, effective_date: date, note: str | None) -> None:
        plan = CarePlan(effective_date, self._plan_period(effective_date))
        self.care_plans = _in_date_order([*self.care_plans, plan])

    def agree_permanence_plan(
        self, *, effective_date: date, plan_type: str, note: str | None = None
    ) -> None:
        """The permanence plan (the long-term plan for the child) is agreed."""
        member = _enum_member(PermanencePlanType, plan_type, "plan_type")
        if PermanencePlan(effective_date, member, self._plan_period(effective_date)) in (
            self.permanence_plans
        ):
            return
        self._check_fact_date(effective_date, "effective_date")
        self._require_looked_after(effective_date, "effective_date", errors.NotLookedAfter)
        self._agree_permanence_plan(effective_date=effective_date, plan_type=str(member), note=note)

    @event("PermanencePlanAgreed")
    def _agree_permanence_plan(
        self, effective_date: date, plan_type: str, note: str | None
    ) -> None:
        plan = PermanencePlan(
            effective_date, PermanencePlanType(plan_type), self._plan_period(effective_date)
        )
        self.permanence_plans = _in_date_order([*self.permanence_plans, plan])

    def agree_pathway_plan(self, *, effective_date: date, note: str | None = None) -> None:
        """A pathway plan is agreed for a young person leaving care."""
        if any(p.effective_date == effective_date for p in self.pathway_plans):
            return
        self._check_fact_date(effective_date, "effective_date")
        self._agree_pathway_plan(effective_date=effective_date, note=note)

    @event("PathwayPlanAgreed")
    def _agree_pathway_plan(self, effective_date: date, note: str | None) -> None:
        self.pathway_plans = _in_date_order([*self.pathway_plans, PathwayPlan(effective_date)])

    def review_pathway_plan(self, *, effective_date: date, note: str | None = None) -> None:
        """The pathway plan is reviewed (at least every 6 months)."""
        plan = self.pathway_plan_on(effective_date)
        if plan is None:
            raise errors.PathwayPlanNotAgreed(
                f"no pathway plan was agreed on or before {effective_date}",
                field="effective_date",
            )
        if effective_date in plan.review_dates or effective_date == plan.effective_date:
            return
        self._check_fact_date(effective_date, "effective_date")
        self._review_pathway_plan(effective_date=effective_date, note=note)

    @event("PathwayPlanReviewed")
    def _review_pathway_plan(self, effective_date: date, note: str | None) -> None:
        plan = self.pathway_plan_on(effective_date)
        assert plan is not None  # checked by the command
        index = self.pathway_plans.index(plan)
        reviewed = replace(plan, review_dates=tuple(sorted((*plan.review_dates, effective_date))))
        self.pathway_plans[index] = reviewed

    # ------------------------------------------------------------------ reviews and visits

    def appoint_iro(self, *, effective_date: date, iro_id: str) -> None:
        """An Independent Reviewing Officer is appointed for the child (Children Act 1989 s.25A).

        The appointment is what relates an IRO to the child before they chair a
        first review, so it is recorded as a fact of its own.
        """
        iro_id = _require_text(iro_id, "iro_id")
        if IroAppointment(effective_date, iro_id) in self.iros:
            return
        self._check_fact_date(effective_date, "effective_date")
        self._require_looked_after(effective_date, "effective_date", errors.NotLookedAfter)
        current = self.iro_on(effective_date)
        if current is not None and current.iro_id == iro_id:
            raise errors.IroAlreadyAppointed(
                f"{iro_id} is already the child's IRO from {current.effective_date}",
                field="iro_id",
            )
        self._appoint_iro(effective_date=effective_date, iro_id=iro_id)

    @event("IroAppointed")
    def _appoint_iro(self, effective_date: date, iro_id: str) -> None:
        self.iros = _in_date_order([*self.iros, IroAppointment(effective_date, iro_id)])

    def schedule_review(
        self, *, review_id: UUID, scheduled_date: date, effective_date: date
    ) -> None:
        """Schedule (or reschedule) a looked-after review; `effective_date` is when it was set."""
        existing = self.reviews.get(review_id)
        if existing is not None:
            if existing.scheduled_date == scheduled_date:
                return
            if existing.is_held:
                raise errors.ReviewAlreadyHeld(
                    f"review {review_id} was held on {existing.held_date}", field="review_id"
                )
        self._check_fact_date(effective_date, "effective_date")
        self._require_looked_after(
            scheduled_date, "scheduled_date", errors.ReviewOutsidePeriodOfCare
        )
        self._schedule_review(
            effective_date=effective_date, review_id=review_id, scheduled_date=scheduled_date
        )

    @event("ReviewScheduled")
    def _schedule_review(self, effective_date: date, review_id: UUID, scheduled_date: date) -> None:
        review = self.reviews.get(review_id) or StatutoryReview(review_id)
        self.reviews[review_id] = replace(review, scheduled_date=scheduled_date)

    def record_review(
        self,
        *,
        review_id: UUID,
        review_date: date,
        iro_id: str,
        participation: str,
        child_views_recorded: bool,
        note: str | None = None,
    ) -> None:
        """A looked-after review was held, chaired by the IRO (SSDA903 Reviews)."""
        iro_id = _require_text(iro_id, "iro_id")
        existing = self.reviews.get(review_id)
        if existing is not None and existing.is_held:
            if (
                existing.held_date == review_date
                and existing.iro_id == iro_id
                and existing.participation == participation
                and existing.child_views_recorded == child_views_recorded
            ):
                return
            raise errors.ReviewAlreadyHeld(
                f"review {review_id} was held on {existing.held_date}", field="review_id"
            )
        _require_code(codes.REVIEW_PARTICIPATION, participation, "participation", "REVIEW_CODE")
        self._check_fact_date(review_date, "review_date")
        self._require_looked_after(review_date, "review_date", errors.ReviewOutsidePeriodOfCare)
        under_age = age_on(self.details.date_of_birth, review_date) < PN0_UNDER_AGE
        if under_age != (participation == PN0):
            raise errors.ParticipationInconsistentWithAge(
                f"PN0 is for a child under {PN0_UNDER_AGE} at the review, and only then",
                field="participation",
            )
        self._record_review(
            effective_date=review_date,
            review_id=review_id,
            iro_id=iro_id,
            participation=participation,
            child_views_recorded=child_views_recorded,
            note=note,
        )

    @event("ReviewHeld")
    def _record_review(
        self,
        effective_date: date,
        review_id: UUID,
        iro_id: str,
        participation: str,
        child_views_recorded: bool,
        note: str | None,
    ) -> None:
        review = self.reviews.get(review_id) or StatutoryReview(review_id)
        self.reviews[review_id] = replace(
            review,
            held_date=effective_date,
            iro_id=iro_id,
            participation=participation,
            child_views_recorded=child_views_recorded,
            note=note,
        )

    def record_visit(
        self, *, visit_id: UUID, visit_date: date, seen_alone: bool, note: str | None = None
    ) -> None:
        """A statutory visit to the looked-after child (CPPCR 2010 reg. 28)."""
        existing = self.visits.get(visit_id)
        if existing is not None:
            if existing.visit_date == visit_date and existing.seen_alone == seen_alone:
                return
            raise errors.IdAlreadyUsed(
                f"visit {visit_id} is already recorded, with other details", field="visit_id"
            )
        self._check_fact_date(visit_date, "visit_date")
        self._require_looked_after(visit_date, "visit_date", errors.VisitOutsidePeriodOfCare)
        self._record_visit(
            effective_date=visit_date, visit_id=visit_id, seen_alone=seen_alone, note=note
        )

    @event("StatutoryVisitRecorded")
    def _record_visit(
        self, effective_date: date, visit_id: UUID, seen_alone: bool, note: str | None
    ) -> None:
        self.visits[visit_id] = StatutoryVisit(visit_id, effective_date, seen_alone, note)

    # ------------------------------------------------------------------ missing episodes

    def record_missing_episode_start(
        self, *, episode_id: UUID, start_date: date, missing_type: str
    ) -> None:
        """The child went missing (M) or away without authorisation (A) from placement."""
        existing = self.missing_episodes.get(episode_id)
        if existing is not None:
            if existing.start_date == start_date and existing.missing_type == missing_type:
                return
            raise errors.IdAlreadyUsed(
                f"missing episode {episode_id} is already recorded, with other details",
                field="episode_id",
            )
        _require_code(codes.MISSING, missing_type, "missing_type", "MISSING")
        self._check_fact_date(start_date, "start_date")
        self._require_looked_after(
            start_date, "start_date", errors.MissingEpisodeOutsidePeriodOfCare
        )
        for other in self.missing_episodes.values():
            # Whole days that may touch: one may start on the day the last ended
            # (even one that started and ended that same day), never while one is open.
            clashes = other.start_date <= start_date and (
                other.end_date is None or start_date < other.end_date
            )
            if clashes:
                raise errors.MissingEpisodesOverlap(
                    f"the child was already missing or away from {other.start_date}"
                    + (f" to {other.end_date}" if other.end_date else " (not yet returned)"),
                    field="start_date",
                )
        self._start_missing_episode(
            effective_date=start_date, episode_id=episode_id, missing_type=missing_type
        )

    @event("MissingEpisodeStarted")
    def _start_missing_episode(
        self, effective_date: date, episode_id: UUID, missing_type: str
    ) -> None:
        self.missing_episodes[episode_id] = MissingEpisode(episode_id, missing_type, effective_date)

    def record_missing_episode_end(
        self,
        *,
        episode_id: UUID,
        end_date: date,
        return_interview_offered: bool,
        return_interview_accepted: bool,
    ) -> None:
        """The child returned; whether a return interview was offered and accepted."""
        episode = self.missing_episodes.get(episode_id)
        if episode is None:
            raise errors.MissingEpisodeNotFound(
                f"no missing episode {episode_id} in this record", field="episode_id"
            )
        if episode.end_date is not None:
            if (
                episode.end_date == end_date
                and episode.return_interview_offered == return_interview_offered
                and episode.return_interview_accepted == return_interview_accepted
            ):
                return
            raise errors.MissingEpisodeAlreadyEnded(
                f"the episode already ended on {episode.end_date}", field="episode_id"
            )
        if return_interview_accepted and not return_interview_offered:
            raise errors.ReturnInterviewNotOffered(
                "a return interview can be accepted only if offered",
                field="return_interview_accepted",
            )
        self._check_fact_date(end_date, "end_date")
        if end_date < episode.start_date:
            raise errors.DatesOutOfOrder(
                f"the episode cannot end before it started ({episode.start_date})",
                field="end_date",
            )
        for other in self.missing_episodes.values():
            if other.episode_id == episode_id:
                continue
            if episode.start_date < other.start_date < end_date:
                raise errors.MissingEpisodesOverlap(
                    f"another missing episode started on {other.start_date}", field="end_date"
                )
        self._end_missing_episode(
            effective_date=end_date,
            episode_id=episode_id,
            return_interview_offered=return_interview_offered,
            return_interview_accepted=return_interview_accepted,
        )

    @event("MissingEpisodeEnded")
    def _end_missing_episode(
        self,
        effective_date: date,
        episode_id: UUID,
        return_interview_offered: bool,
        return_interview_accepted: bool,
    ) -> None:
        self.missing_episodes[episode_id] = replace(
            self.missing_episodes[episode_id],
            end_date=effective_date,
            return_interview_offered=return_interview_offered,
            return_interview_accepted=return_interview_accepted,
        )

    # ------------------------------------------------------------------ care leavers

    def record_care_leaver_eligibility(self, *, effective_date: date, status: str) -> None:
        """The young person's leaving-care status from `effective_date`."""
        member = _enum_member(CareLeaverStatus, status, "status")
        if CareLeaverStatusRecord(effective_date, member) in self.care_leaver_statuses:
            return
        self._check_fact_date(effective_date, "effective_date")
        minimum = CARE_LEAVER_MINIMUM_AGE[member]
        if age_on(self.details.date_of_birth, effective_date) < minimum:
            raise errors.BelowMinimumAge(
                f"a young person is {member.value.replace('_', ' ')} from age {minimum}",
                field="status",
            )
        if member is CareLeaverStatus.ELIGIBLE and not self.is_looked_after_on(effective_date):
            raise errors.NotLookedAfter(
                "an eligible child is one still looked after", field="status"
            )
        self._record_care_leaver_eligibility(effective_date=effective_date, status=str(member))

    @event("CareLeaverEligibilityRecorded")
    def _record_care_leaver_eligibility(self, effective_date: date, status: str) -> None:
        record = CareLeaverStatusRecord(effective_date, CareLeaverStatus(status))
        self.care_leaver_statuses = _in_date_order([*self.care_leaver_statuses, record])

    def appoint_personal_adviser(self, *, effective_date: date, personal_adviser_id: str) -> None:
        """A personal adviser is appointed (Children Act 1989 s.23D)."""
        personal_adviser_id = _require_text(personal_adviser_id, "personal_adviser_id")
        appointment = PersonalAdviserAppointment(effective_date, personal_adviser_id)
        if appointment in self.personal_advisers:
            return
        self._check_fact_date(effective_date, "effective_date")
        current = self.personal_adviser_on(effective_date)
        if current is not None and current.personal_adviser_id == personal_adviser_id:
            raise errors.PersonalAdviserAlreadyAppointed(
                f"{personal_adviser_id} is already the personal adviser from "
                f"{current.effective_date}",
                field="personal_adviser_id",
            )
        self._appoint_personal_adviser(
            effective_date=effective_date, personal_adviser_id=personal_adviser_id
        )

    @event("PersonalAdviserAppointed")
    def _appoint_personal_adviser(self, effective_date: date, personal_adviser_id: str) -> None:
        appointment = PersonalAdviserAppointment(effective_date, personal_adviser_id)
        self.personal_advisers = _in_date_order([*self.personal_advisers, appointment])

    def record_in_touch_contact(
        self,
        *,
        contact_id: UUID,
        contact_date: date,
        in_touch: str,
        activity: str | None = None,
        accommodation: str | None = None,
    ) -> None:
        """Contact with a care leaver, coded as SSDA903 OC3: IN_TOUCH, ACTIV, ACCOM."""
        existing = self.in_touch_contacts.get(contact_id)
        if existing is not None:
            if existing == InTouchContact(
                contact_id, contact_date, in_touch, activity, accommodation
            ):
                return
            raise errors.IdAlreadyUsed(
                f"contact {contact_id} is already recorded, with other details",
                field="contact_id",
            )
        _require_code(codes.IN_TOUCH, in_touch, "in_touch", "IN_TOUCH")
        if activity is not None:
            _require_code(codes.ACTIVITY, activity, "activity", "ACTIV")
        if accommodation is not None:
            _require_code(codes.ACCOMMODATION, accommodation, "accommodation", "ACCOM")
        self._check_fact_date(contact_date, "contact_date")
        if self.care_leaver_status_on(contact_date) is None:
            raise errors.NotACareLeaver(
                f"no care-leaver status is recorded on or before {contact_date}",
                field="contact_date",
            )
        self._record_in_touch_contact(
            effective_date=contact_date,
            contact_id=contact_id,
            in_touch=in_touch,
            activity=activity,
            accommodation=accommodation,
        )

    @event("InTouchContactRecorded")
    def _record_in_touch_contact(
        self,
        effective_date: date,
        contact_id: UUID,
        in_touch: str,
        activity: str | None,
        accommodation: str | None,
    ) -> None:
        self.in_touch_contacts[contact_id] = InTouchContact(
            contact_id, effective_date, in_touch, activity, accommodation
        )

    def record_staying_put(self, *, effective_date: date, staying_put: bool) -> None:
        """A Staying Put arrangement with former foster carers starts (True) or ends (False)."""
        if StayingPutRecord(effective_date, staying_put) in self.staying_put_records:
            return
        self._check_fact_date(effective_date, "effective_date")
        if staying_put and age_on(self.details.date_of_birth, effective_date) < (
            STAYING_PUT_MINIMUM_AGE
        ):
            raise errors.BelowMinimumAge(
                f"Staying Put starts at {STAYING_PUT_MINIMUM_AGE} or over",
                field="effective_date",
            )
        self._record_staying_put(effective_date=effective_date, staying_put=staying_put)

    @event("StayingPutRecorded")
    def _record_staying_put(self, effective_date: date, staying_put: bool) -> None:
        record = StayingPutRecord(effective_date, staying_put)
        self.staying_put_records = _in_date_order([*self.staying_put_records, record])

    # ------------------------------------------------------------------ adoption

    def record_adoption_decision(self, *, effective_date: date) -> None:
        """The agency decides the child should be placed for adoption (SSDA903 DATE_PLACED)."""
        progress = self.adoption
        if progress is not None and progress.reversed_date is None:
            if progress.decision_date == effective_date:
                return
            raise errors.AdoptionMilestoneAlreadyRecorded(
                f"the decision to place for adoption was made on {progress.decision_date}",
                field="effective_date",
            )
        self._check_fact_date(effective_date, "effective_date")
        self._require_looked_after(effective_date, "effective_date", errors.NotLookedAfter)
        reversed_on = None if progress is None else progress.reversed_date
        if reversed_on is not None and effective_date < reversed_on:
            raise errors.AdoptionMilestoneOutOfOrder(
                f"the previous plan for adoption was reversed on {reversed_on}",
                field="effective_date",
            )
        self._record_adoption_decision(effective_date=effective_date)

    @event("AdoptionDecisionMade")
    def _record_adoption_decision(self, effective_date: date) -> None:
        if self.adoption is not None:
            self.previous_adoption_plans.append(self.adoption)
        self.adoption = AdoptionProgress(decision_date=effective_date)

    def record_placement_order(self, *, effective_date: date) -> None:
        """A placement order is granted (Adoption and Children Act 2002 s.21)."""
        if self._adoption_milestone_repeated(AdoptionMilestone.PLACEMENT_ORDER, effective_date):
            return
        self._check_adoption_milestone(AdoptionMilestone.PLACEMENT_ORDER, effective_date)
        self._record_placement_order(effective_date=effective_date)

    @event("PlacementOrderGranted")
    def _record_placement_order(self, effective_date: date) -> None:
        assert self.adoption is not None
        self.adoption = replace(self.adoption, placement_order_date=effective_date)

    def record_adoption_match(self, *, effective_date: date) -> None:
        """The child is matched with prospective adopters (SSDA903 AD1 DATE_MATCH)."""
        if self._adoption_milestone_repeated(AdoptionMilestone.MATCHED, effective_date):
            return
        self._check_adoption_milestone(AdoptionMilestone.MATCHED, effective_date)
        self._record_adoption_match(effective_date=effective_date)

    @event("MatchedWithAdopters")
    def _record_adoption_match(self, effective_date: date) -> None:
        assert self.adoption is not None
        self.adoption = replace(self.adoption, matched_date=effective_date)

    def record_placed_for_adoption(self, *, effective_date: date) -> None:
        """The child is placed with the prospective adopters (SSDA903 PLACE A3-A6)."""
        if self._adoption_milestone_repeated(AdoptionMilestone.PLACED, effective_date):
            return
        self._check_adoption_milestone(AdoptionMilestone.PLACED, effective_date)
        self._record_placed_for_adoption(effective_date=effective_date)

    @event("PlacedForAdoption")
    def _record_placed_for_adoption(self, effective_date: date) -> None:
        assert self.adoption is not None
        self.adoption = replace(self.adoption, placed_date=effective_date)

    def record_adoption(self, *, effective_date: date) -> None:
        """An adoption order is granted (SSDA903 REC E11/E12 ends the period of care)."""
        if self._adoption_milestone_repeated(AdoptionMilestone.ADOPTED, effective_date):
            return
        self._check_adoption_milestone(AdoptionMilestone.ADOPTED, effective_date)
        self._record_adoption(effective_date=effective_date)

    @event("AdoptionOrderGranted")
    def _record_adoption(self, effective_date: date) -> None:
        assert self.adoption is not None
        self.adoption = replace(self.adoption, adopted_date=effective_date)

    def reverse_adoption_decision(self, *, effective_date: date, reason: str) -> None:
        """The child should no longer be placed for adoption (SSDA903 REASON_PLACED_CEASED)."""
        progress = self.adoption
        if (
            progress is not None
            and progress.reversed_date == effective_date
            and progress.reversal_reason == reason
        ):
            return
        _require_code(codes.REASON_PLACED_CEASED, reason, "reason", "REASON_PLACED_CEASED")
        if progress is None or progress.reversed_date is not None:
            raise errors.AdoptionMilestoneOutOfOrder(
                "there is no current decision to place for adoption to reverse",
                field="effective_date",
            )
        if progress.adopted_date is not None:
            raise errors.AdoptionMilestoneOutOfOrder(
                f"the child was adopted on {progress.adopted_date}", field="effective_date"
            )
        self._check_fact_date(effective_date, "effective_date")
        latest = max(d for d in _milestone_dates(progress).values() if d is not None)
        if effective_date < latest:
            raise errors.AdoptionMilestoneOutOfOrder(
                f"the plan for adoption has a step recorded on {latest}", field="effective_date"
            )
        self._reverse_adoption_decision(effective_date=effective_date, reason=reason)

    @event("AdoptionDecisionReversed")
    def _reverse_adoption_decision(self, effective_date: date, reason: str) -> None:
        assert self.adoption is not None
        self.adoption = replace(self.adoption, reversed_date=effective_date, reversal_reason=reason)

    def _adoption_milestone_repeated(self, milestone: AdoptionMilestone, day: date) -> bool:
        progress = self.adoption
        if progress is None or progress.reversed_date is not None:
            return False
        recorded = progress.date_of(milestone)
        if recorded is None:
            return False
        if recorded == day:
            return True
        raise errors.AdoptionMilestoneAlreadyRecorded(
            f"{_label(milestone.value)} is already recorded, on {recorded}",
            field="effective_date",
        )

    def _check_adoption_milestone(self, milestone: AdoptionMilestone, day: date) -> None:
        """Each step needs the one before it, on or before its own date (decision first).

        The placement order is optional before matching: a child can be placed with
        parental consent (Adoption and Children Act 2002 s.19) without one.
        """
        progress = self.adoption
        if progress is None or progress.reversed_date is not None:
            raise errors.AdoptionMilestoneOutOfOrder(
                "no decision that the child should be placed for adoption is recorded",
                field="effective_date",
            )
        self._check_fact_date(day, "effective_date")
        required = {
            AdoptionMilestone.PLACEMENT_ORDER: AdoptionMilestone.DECISION,
            AdoptionMilestone.MATCHED: AdoptionMilestone.DECISION,
            AdoptionMilestone.PLACED: AdoptionMilestone.MATCHED,
            AdoptionMilestone.ADOPTED: AdoptionMilestone.PLACED,
        }[milestone]
        if progress.date_of(required) is None:
            raise errors.AdoptionMilestoneOutOfOrder(
                f"{_label(milestone.value)} needs {_label(required.value)} recorded first",
                field="effective_date",
            )
        order = list(AdoptionMilestone)
        position = order.index(milestone)
        for other, other_date in _milestone_dates(progress).items():
            if other_date is None:
                continue
            if order.index(other) < position and other_date > day:
                raise errors.AdoptionMilestoneOutOfOrder(
                    f"{_label(milestone.value)} cannot be before {_label(other.value)} "
                    f"({other_date})",
                    field="effective_date",
                )
            if order.index(other) > position and other_date < day:
                raise errors.AdoptionMilestoneOutOfOrder(
                    f"{_label(milestone.value)} cannot be after {_label(other.value)} "
                    f"({other_date})",
                    field="effective_date",
                )

    # ------------------------------------------------------------------ views and wishes

    def record_views_and_wishes(
        self,
        *,
        views_id: UUID,
        effective_date: date,
        views: str,
        about: str = ViewsSubject.CASE,
        about_id: UUID | None = None,
    ) -> None:
        """The child's own views and wishes, recorded against any part of the record."""
        subject = _enum_member(ViewsSubject, about, "about")
        views = _require_text(views, "views")
        existing = self.views_and_wishes.get(views_id)
        if existing is not None:
            if existing == ViewsAndWishes(views_id, effective_date, subject, about_id, views):
                return
            raise errors.IdAlreadyUsed(
                f"views and wishes {views_id} are already recorded, with other content",
                field="views_id",
            )
        self._check_fact_date(effective_date, "effective_date")
        subjects_with_ids: dict[ViewsSubject, Collection[UUID]] = {
            ViewsSubject.PERIOD_OF_CARE: self.periods,
            ViewsSubject.REVIEW: self.reviews,
            ViewsSubject.VISIT: self.visits,
            ViewsSubject.MISSING_EPISODE: self.missing_episodes,
            ViewsSubject.IN_TOUCH_CONTACT: self.in_touch_contacts,
        }
        known_ids = subjects_with_ids.get(subject)
        if known_ids is None and about_id is not None:
            raise errors.SubjectNotFound(
                f"views about {_label(subject.value)} are not recorded against an id",
                field="about_id",
            )
        if known_ids is not None and about_id is None:
            raise errors.SubjectNotFound(
                f"say which {_label(subject.value)} these views are about (about_id)",
                field="about_id",
            )
        if known_ids is not None and about_id not in known_ids:
            raise errors.SubjectNotFound(
                f"no {_label(subject.value)} {about_id} in this record", field="about_id"
            )
        self._record_views_and_wishes(
            effective_date=effective_date,
            views_id=views_id,
            about=str(subject),
            about_id=about_id,
            views=views,
        )

    @event("ViewsAndWishesRecorded")
    def _record_views_and_wishes(
        self, effective_date: date, views_id: UUID, about: str, about_id: UUID | None, views: str
    ) -> None:
        self.views_and_wishes[views_id] = ViewsAndWishes(
            views_id, effective_date, ViewsSubject(about), about_id, views
        )

    # ------------------------------------------------------------------ the child as a person

    def record_name(
        self,
        *,
        effective_date: date,
        given_names: str,
        family_name: str,
        preferred_name: str | None = None,
    ) -> None:
        """Record (or correct) the child's name and the name they like to be called.

        Each is a new record from `effective_date`; earlier ones stay in the history.
        """
        name = ChildName(
            effective_date,
            _require_text(given_names, "given_names"),
            _require_text(family_name, "family_name"),
            None if preferred_name is None else _require_text(preferred_name, "preferred_name"),
        )
        current = self.name_on(effective_date)
        if current is not None and replace(current, effective_date=effective_date) == name:
            return  # the name on that day already (a retry, or no change)
        self._check_fact_date(effective_date, "effective_date")
        self._record_name(
            effective_date=effective_date,
            given_names=name.given_names,
            family_name=name.family_name,
            preferred_name=name.preferred_name,
        )

    @event("ChildNameRecorded")
    def _record_name(
        self,
        effective_date: date,
        given_names: str,
        family_name: str,
        preferred_name: str | None,
    ) -> None:
        name = ChildName(effective_date, given_names, family_name, preferred_name)
        self.names = _in_date_order([*self.names, name])

    def add_address(
        self, *, address_id: UUID, effective_date: date, address: str, postcode: str | None = None
    ) -> None:
        """The child lives at `address` from `effective_date`; earlier addresses stay."""
        added = Address(
            address_id,
            effective_date,
            _require_text(address, "address"),
            None if postcode is None else _require_text(postcode, "postcode").upper(),
        )
        existing = self.addresses.get(address_id)
        if existing is not None:
            if existing == added:
                return
            raise errors.IdAlreadyUsed(
                f"address {address_id} is already recorded, with other details",
                field="address_id",
            )
        self._check_fact_date(effective_date, "effective_date")
        for other in self.addresses.values():
            if other.effective_date == effective_date:
                raise errors.PersonDetailsClash(
                    f"another address is recorded from {effective_date}", field="effective_date"
                )
        self._add_address(
            effective_date=effective_date,
            address_id=address_id,
            address=added.address,
            postcode=added.postcode,
        )

    @event("AddressAdded")
    def _add_address(
        self, effective_date: date, address_id: UUID, address: str, postcode: str | None
    ) -> None:
        self.addresses[address_id] = Address(address_id, effective_date, address, postcode)

    def record_first_language(self, *, effective_date: date, first_language: str) -> None:
        """The child's first language (in words: no national code list covers it)."""
        language = _require_text(first_language, "first_language")
        if self.first_language_on(effective_date) == language:
            return
        self._check_fact_date(effective_date, "effective_date")
        self._record_first_language(effective_date=effective_date, first_language=language)

    @event("FirstLanguageRecorded")
    def _record_first_language(self, effective_date: date, first_language: str) -> None:
        record = DatedText(effective_date, first_language)
        self.first_languages = _in_date_order([*self.first_languages, record])

    def record_religion(self, *, effective_date: date, religion: str) -> None:
        """The child's religion or belief, as the child or family describe it."""
        religion = _require_text(religion, "religion")
        if self.religion_on(effective_date) == religion:
            return
        self._check_fact_date(effective_date, "effective_date")
        self._record_religion(effective_date=effective_date, religion=religion)

    @event("ReligionRecorded")
    def _record_religion(self, effective_date: date, religion: str) -> None:
        self.religions = _in_date_order([*self.religions, DatedText(effective_date, religion)])

    def record_disability(self, *, effective_date: date, disabilities: list[str]) -> None:
        """The child's disabilities from `effective_date` (CIN census codes; NONE alone)."""
        members = tuple(sorted({_enum_member(Disability, d, "disabilities") for d in disabilities}))
        if not members:
            raise errors.MissingValue(
                "disabilities lists at least one code (NONE for no disability)",
                field="disabilities",
            )
        if Disability.NONE in members and len(members) > 1:
            raise errors.UnknownCode(
                "NONE (no disability) cannot be recorded with a disability", field="disabilities"
            )
        if self.disabilities_on(effective_date) == members:
            return
        self._check_fact_date(effective_date, "effective_date")
        self._record_disability(
            effective_date=effective_date, disabilities=[str(m) for m in members]
        )

    @event("DisabilityRecorded")
    def _record_disability(self, effective_date: date, disabilities: list[str]) -> None:
        record = DisabilityRecord(effective_date, tuple(Disability(d) for d in disabilities))
        self.disabilities = _in_date_order([*self.disabilities, record])

    def record_person_who_matters(
        self,
        *,
        person_id: UUID,
        effective_date: date,
        name: str,
        relationship: str,
        parental_responsibility: bool,
        placed_together: bool | None = None,
    ) -> None:
        """Someone who matters to the child: a parent (with or without parental
        responsibility), a sibling (placed together or not), a grandparent, a friend."""
        member = _enum_member(Relationship, relationship, "relationship")
        person = PersonWhoMatters(
            person_id,
            effective_date,
            _require_text(name, "name"),
            member,
            parental_responsibility,
            placed_together,
        )
        existing = self.people_who_matter.get(person_id)
        if existing is not None:
            if replace(existing, end_date=None) == person:
                return
            raise errors.IdAlreadyUsed(
                f"person {person_id} is already recorded, with other details", field="person_id"
            )
        if member.is_sibling and placed_together is None:
            raise errors.RelationshipInconsistent(
                "for a sibling, say whether they are placed together with the child",
                field="placed_together",
            )
        if not member.is_sibling and placed_together is not None:
            raise errors.RelationshipInconsistent(
                "only a sibling is placed together (or not) with the child",
                field="placed_together",
            )
        self._check_fact_date(effective_date, "effective_date")
        self._record_person_who_matters(
            effective_date=effective_date,
            person_id=person_id,
            name=person.name,
            relationship=str(member),
            parental_responsibility=parental_responsibility,
            placed_together=placed_together,
        )

    @event("PersonWhoMattersRecorded")
    def _record_person_who_matters(
        self,
        effective_date: date,
        person_id: UUID,
        name: str,
        relationship: str,
        parental_responsibility: bool,
        placed_together: bool | None,
    ) -> None:
        self.people_who_matter[person_id] = PersonWhoMatters(
            person_id,
            effective_date,
            name,
            Relationship(relationship),
            parental_responsibility,
            placed_together,
        )

    def end_relationship(self, *, person_id: UUID, end_date: date) -> None:
        """The person no longer matters to the child as recorded (or no longer holds PR)."""
        person = self.people_who_matter.get(person_id)
        if person is None:
            raise errors.PersonWhoMattersNotFound(
                f"no person {person_id} is recorded as mattering to this child",
                field="person_id",
            )
        if person.end_date is not None:
            if person.end_date == end_date:
                return
            raise errors.RelationshipAlreadyEnded(
                f"the relationship already ended on {person.end_date}", field="person_id"
            )
        self._check_fact_date(end_date, "end_date")
        if end_date < person.effective_date:
            raise errors.DatesOutOfOrder(
                f"the relationship cannot end before it was recorded ({person.effective_date})",
                field="end_date",
            )
        self._end_relationship(effective_date=end_date, person_id=person_id)

    @event("RelationshipEnded")
    def _end_relationship(self, effective_date: date, person_id: UUID) -> None:
        self.people_who_matter[person_id] = replace(
            self.people_who_matter[person_id], end_date=effective_date
        )

    # ------------------------------------------------------------------ health assessments

    def record_health_assessment(
        self, *, effective_date: date, kind: str, entry_id: str | None = None
    ) -> None:
        """That an initial or review health assessment was done on a day: no clinical detail.

        Learned from the health service, which owns the assessment (`entry_id`
        is its entry, so that a correction there reaches here).
        """
        member = _enum_member(HealthAssessmentKind, kind, "kind")
        if HealthAssessment(effective_date, member, entry_id) in self.health_assessments:
            return
        self._check_fact_date(effective_date, "effective_date")
        self._require_looked_after(effective_date, "effective_date", errors.NotLookedAfter)
        self._record_health_assessment(
            effective_date=effective_date, kind=str(member), entry_id=entry_id
        )

    @event("HealthAssessmentRecorded")
    def _record_health_assessment(
        self, effective_date: date, kind: str, entry_id: str | None = None
    ) -> None:
        assessment = HealthAssessment(effective_date, HealthAssessmentKind(kind), entry_id)
        self.health_assessments = _in_date_order([*self.health_assessments, assessment])

    def withdraw_health_assessment(self, *, entry_id: str) -> None:
        """Health voided the entry: the assessment no longer counts (unknown entry: no-op)."""
        if not any(a.entry_id == entry_id for a in self.health_assessments):
            return
        self._withdraw_health_assessment(entry_id=entry_id)

    @event("HealthAssessmentWithdrawn")
    def _withdraw_health_assessment(self, entry_id: str) -> None:
        self.health_assessments = [a for a in self.health_assessments if a.entry_id != entry_id]

    # ------------------------------------------------------------------ queries

    @property
    def periods_in_order(self) -> list[PeriodOfCare]:
        return sorted(self.periods.values(), key=lambda p: p.start_date)

    @property
    def current_period(self) -> PeriodOfCare | None:
        """The open period of care, if the child is looked after now."""
        return next((p for p in self.periods.values() if p.is_open), None)

    def period_on(self, day: date) -> PeriodOfCare | None:
        """The period of care the child was in at the end of `day`."""
        return next((p for p in self.periods.values() if p.covers(day)), None)

    def is_looked_after_on(self, day: date) -> bool:
        return self.period_on(day) is not None

    def legal_status_on(self, day: date) -> str | None:
        period = self.period_on(day)
        return None if period is None else period.legal_status_on(day)

    def age_on(self, day: date) -> int:
        return age_on(self.details.date_of_birth, day)

    def name_on(self, day: date) -> ChildName | None:
        return _latest_on(self.names, day)

    def address_on(self, day: date) -> Address | None:
        return _latest_on(_in_date_order(list(self.addresses.values())), day)

    def first_language_on(self, day: date) -> str | None:
        record = _latest_on(self.first_languages, day)
        return None if record is None else record.value

    def religion_on(self, day: date) -> str | None:
        record = _latest_on(self.religions, day)
        return None if record is None else record.value

    def disabilities_on(self, day: date) -> tuple[Disability, ...] | None:
        record = _latest_on(self.disabilities, day)
        return None if record is None else record.disabilities

    def people_who_matter_on(self, day: date) -> list[PersonWhoMatters]:
        return sorted(
            (p for p in self.people_who_matter.values() if p.current_on(day)),
            key=lambda p: (p.effective_date, p.name),
        )

    def allocation_on(self, day: date) -> SocialWorkerAllocation | None:
        return _latest_on(self.allocations, day)

    def social_worker_changes(self, start: date, end: date) -> int:
        """Changes of allocated social worker taking effect in `start <= day <= end`."""
        changes = 0
        previous: SocialWorkerAllocation | None = None
        for allocation in self.allocations:
            changed = (
                previous is not None and previous.social_worker_id != allocation.social_worker_id
            )
            if changed and start <= allocation.effective_date <= end:
                changes += 1
            previous = allocation
        return changes

    def iro_on(self, day: date) -> IroAppointment | None:
        return _latest_on(self.iros, day)

    def pathway_plan_on(self, day: date) -> PathwayPlan | None:
        return _latest_on(self.pathway_plans, day)

    def care_leaver_status_on(self, day: date) -> CareLeaverStatus | None:
        record = _latest_on(self.care_leaver_statuses, day)
        return None if record is None else record.status

    def personal_adviser_on(self, day: date) -> PersonalAdviserAppointment | None:
        return _latest_on(self.personal_advisers, day)

    def staying_put_on(self, day: date) -> bool:
        record = _latest_on(self.staying_put_records, day)
        return record is not None and record.staying_put

    def reviews_held_in(self, period: PeriodOfCare) -> list[StatutoryReview]:
        held = [
            r
            for r in self.reviews.values()
            if r.held_date is not None and period.spans(r.held_date)
        ]
        return sorted(held, key=lambda r: r.held_date or period.start_date)

    # ------------------------------------------------------------------ rule helpers

    def _period(self, period_id: UUID) -> PeriodOfCare:
        try:
            return self.periods[period_id]
        except KeyError:
            raise errors.PeriodOfCareNotFound(
                f"no period of care {period_id} in this record", field="period_id"
            ) from None

    def _check_fact_date(self, day: date, field: str) -> None:
        if day < self.details.date_of_birth:
            raise errors.DateBeforeBirth(
                f"{_label(field)} {day} is before the child's date of birth "
                f"({self.details.date_of_birth})",
                field=field,
            )
        _check_not_future(day, field)

    def _plan_period(self, day: date) -> UUID | None:
        """The period of care a plan agreed on `day` belongs to, as the record stands.

        The period the child is in at the end of `day`, else one that ended that
        day: recorded before the child came back into care, a plan on the last
        day of a period is that period's (and stays so on replay).
        """
        period = self.period_on(day) or next(
            (p for p in self.periods.values() if p.spans(day)), None
        )
        return None if period is None else period.period_id

    def _require_looked_after(
        self, day: date, field: str, error: type[errors.NotLookedAfter]
    ) -> PeriodOfCare:
        for period in self.periods.values():
            if period.spans(day):
                return period
        raise error(f"the child was not looked after on {day}", field=field)

    def _dates_within(self, period: PeriodOfCare) -> list[date]:
        """Dates of things recorded as happening within `period` (while it is open)."""
        dates = [s.effective_date for s in period.legal_statuses]
        dates += [r.held_date for r in self.reviews.values() if r.held_date is not None]
        dates += [v.visit_date for v in self.visits.values()]
        dates += [m.start_date for m in self.missing_episodes.values()]
        dates += [p.effective_date for p in self.care_plans]
        dates += [p.effective_date for p in self.permanence_plans]
        return [d for d in dates if d >= period.start_date]

    def _earliest_fact_date(self) -> date | None:
        dates: list[date] = [self.registration_date]
        dates += [p.start_date for p in self.periods.values()]
        dates += [a.effective_date for a in self.allocations]
        dates += [i.effective_date for i in self.iros]
        dates += [r.held_date for r in self.reviews.values() if r.held_date is not None]
        dates += [v.visit_date for v in self.visits.values()]
        dates += [m.start_date for m in self.missing_episodes.values()]
        dates += [c.effective_date for c in self.care_leaver_statuses]
        dates += [p.effective_date for p in self.pathway_plans]
        dates += [v.effective_date for v in self.views_and_wishes.values()]
        return min(dates)


def _given(value: _T | Unchanged, current: _T) -> _T:
    return current if isinstance(value, _Unchanged) else value


class _Dated(Protocol):
    @property
    def effective_date(self) -> date: ...


_D = TypeVar("_D", bound=_Dated)


def _in_date_order(items: list[_D]) -> list[_D]:
    """Sorted by effective date; on the same date, in the order recorded (sort is stable)."""
    return sorted(items, key=lambda item: item.effective_date)


def _latest_on(items: list[_D], day: date) -> _D | None:
    latest: _D | None = None
    for item in items:
        if item.effective_date <= day:
            latest = item
    return latest


def _milestone_dates(progress: AdoptionProgress) -> dict[AdoptionMilestone, date | None]:
    return {milestone: progress.date_of(milestone) for milestone in AdoptionMilestone}
