"""The demo cohort's plan: every write to send, in order, derived from the cohort.

Pure: no I/O and no clock. Given the same anchor date it gives the same
writes, ids and Idempotency-Keys on every run (every choice comes from a
`random.Random` seeded by the child's local id).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid5

from shared.dates import add_months, add_working_days, age_on
from shared.demo.cohort import (
    COHORT,
    ETHNICITIES,
    HEALTH_VISITOR,
    LAC_NURSE,
    NAMESPACE,
    PARTICIPATION,
    SCHOOL_NURSE,
    TEAMS,
    UASC_ETHNICITIES,
    VIRTUAL_SCHOOL,
    VISIT_NOTES,
    Spec,
)
from shared.identifiers import upn_check_letter, validate_nhs_number, validate_upn

Json = dict[str, Any]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def derived_id(*parts: str) -> UUID:
    """The id the demo gives a thing it creates: the same on every run."""
    return uuid5(NAMESPACE, "/".join(parts))


def idempotency_key(*parts: str) -> str:
    """The Idempotency-Key of one write (child and step): the same on every run."""
    return str(derived_id("idempotency-key", *parts))


def _upn(rng: random.Random) -> str:
    body = f"999{rng.randrange(2000, 8000):04d}{rng.randrange(10, 25):02d}{rng.randrange(1000):03d}"
    return validate_upn(upn_check_letter(body) + body)


def _nhs_number(rng: random.Random) -> str:
    while True:
        digits = f"999{rng.randrange(10**6):06d}"
        total = sum(w * int(c) for w, c in zip(range(10, 1, -1), digits, strict=True))
        check = (11 - total % 11) % 11
        if check != 10:
            return validate_nhs_number(digits + str(check))


def _postcode(rng: random.Random) -> str:
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"ZZ{rng.randrange(1, 10)} {rng.randrange(10)}{rng.choice(letters)}{rng.choice(letters)}"


@dataclass
class CaseStep:
    """One casefile write. `who` is tm, sw, iro or pa; `path` is under the child."""

    when: date
    order: int
    name: str
    path: str
    body: Json
    who: str = "sw"
    allocates: str | None = None  # the worker a social-worker step allocates


@dataclass
class PlacementStep:
    """One placements write: `kind` is start, move, adopt, end or staying_put."""

    name: str
    kind: str
    when: date
    placement_id: UUID  # the placement this step creates, ends or continues
    from_id: UUID | None
    body: Json


@dataclass
class ChildPlan:
    """One child's writes; `child_id` and `version` are filled in as the loader sends them."""

    spec: Spec
    born: date
    case: list[CaseStep]
    placements: list[PlacementStep]
    #: What the placements service must show before placements are sent:
    #: (as_of, looked after, looked after since).
    known_when: list[tuple[date, bool, date | None]]
    current_placement: UUID | None
    child_id: str | None = None
    version: int | None = None
    #: The health service's writes (every child), then the education service's
    #: (a school-age child looked after now), and the days of the mid-year school
    #: moves among them.
    health: list[ServiceStep] = field(default_factory=list)
    education: list[ServiceStep] = field(default_factory=list)
    school_moves: list[date] = field(default_factory=list)
    #: Casefile's `Belonging-Position` after the child's last case write: health and
    #: education are asked to have learnt that much first (docs/adr/0019).
    position: int | None = None


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def plan_child(spec: Spec, anchor: date) -> ChildPlan:
    """Every write for one child, in the order they are sent."""
    rng = random.Random(f"belonging-demo/{spec.local_id}")
    steps: list[CaseStep] = []
    seq = iter(range(10_000))

    def ago(days: int) -> date:
        return anchor - timedelta(days=days)

    def add(when: date, rank: int, name: str, path: str, who: str = "sw", **body: Any) -> CaseStep:
        """A write on `when`; `rank` orders the writes of one day (registration first)."""
        fields = {name: _json(value) for name, value in body.items() if value is not None}
        step = CaseStep(when, rank * 10_000 + next(seq), name, path, fields, who)
        steps.append(step)
        return step

    years, days = spec.birthday
    born = _years_before(ago(days), years)
    age_now = age_on(born, anchor)
    registered = ago(spec.periods[0].start + spec.registered_before_care)
    upn, nhs = _upn(rng), _nhs_number(rng)
    ethnicity = rng.choice(UASC_ETHNICITIES if spec.uasc else ETHNICITIES)
    add(
        registered,
        0,
        "register",
        "",
        "tm",
        local_child_id=spec.local_id,
        date_of_birth=born,
        sex=spec.sex,
        ethnicity=ethnicity,
        registration_date=registered,
        uasc=spec.uasc,
        upn=upn if age_now >= 5 and not spec.uasc else None,
        nhs_number=None if spec.uasc else nhs,
    )

    for index, (when_ago, worker, reason) in enumerate(spec.social_workers):
        when = registered if when_ago is None else ago(when_ago)
        step = add(
            when,
            1,
            f"social-worker-{index}",
            "/social-worker",
            "sw" if index else "tm",
            effective_date=when,
            social_worker_id=worker,
            team=TEAMS[worker],
            reason=reason,
        )
        step.allocates = worker

    reviews: list[tuple[date, UUID]] = []
    for number, period in enumerate(spec.periods, start=1):
        start = ago(period.start)
        end = None if period.end is None else ago(period.end)
        last_day = ago(1) if end is None else end - timedelta(days=1)
        period_id = derived_id(spec.local_id, "period", str(number))
        add(
            start,
            2,
            f"period-{number}",
            "/periods-of-care",
            period_id=period_id,
            start_date=start,
            legal_status=period.legal_status,
            category_of_need=period.category_of_need,
        )
        for when_ago, status in period.legal_status_changes:
            add(
                ago(when_ago),
                3,
                f"period-{number}-legal-status-{status}",
                f"/periods-of-care/{period_id}/legal-status",
                effective_date=ago(when_ago),
                legal_status=status,
            )
        if number == 1:
            when = start + timedelta(days=3)
            add(when, 3, "iro", "/iro", effective_date=when, iro_id=spec.iro)
        when = start + timedelta(days=14)
        if when <= last_day:
            add(
                when,
                5,
                f"period-{number}-care-plan",
                "/care-plan",
                effective_date=when,
                note="Care plan agreed at the placement planning meeting.",
            )
        when = start + timedelta(days=119)  # the second review
        if period.permanence_plan and when <= last_day:
            add(
                when,
                5,
                f"period-{number}-permanence-plan",
                "/permanence-plan",
                effective_date=when,
                plan_type=period.permanence_plan,
                note="Agreed at the second review.",
            )

        # Reviews (IRO): 20 working days in, three months later, then every six months.
        when, gaps, held = start + timedelta(days=28), iter([91]), 0
        while when <= last_day:
            review_id = derived_id(spec.local_id, "review", str(number), when.isoformat())
            participation = "PN0" if age_on(born, when) < 4 else rng.choice(PARTICIPATION)
            held += 1
            add(
                when,
                5,
                f"review-{number}-{held}",
                f"/reviews/{review_id}/held",
                "iro",
                review_date=when,
                participation=participation,
                child_views_recorded=participation not in ("PN0", "PN7"),
                note="Care plan reviewed; the placement meets the child's needs.",
            )
            reviews.append((when, review_id))
            when += timedelta(days=next(gaps, 182))
        if end is None:  # the next review, set at the last one
            set_on = reviews[-1][0] if held else start
            add(
                set_on,
                6,
                f"review-{number}-next",
                "/reviews",
                effective_date=set_on,
                review_id=derived_id(spec.local_id, "review", str(number), when.isoformat()),
                scheduled_date=when,
            )

        # Statutory visits: in the first week, then every six weeks (the latest few of them).
        visits = []
        when = start + timedelta(days=5)
        while when <= last_day:
            visits.append(when)
            when += timedelta(days=42)
        for index, when in enumerate(visits[:1] + visits[1:][-4:]):
            add(
                when,
                5,
                f"visit-{number}-{index}",
                "/visits",
                visit_date=when,
                visit_id=derived_id(spec.local_id, "visit", when.isoformat()),
                seen_alone=age_now >= 5 and rng.random() < 0.7,
                note=rng.choice(VISIT_NOTES),
            )
        if end is not None:
            add(
                end,
                8,
                f"period-{number}-end",
                f"/periods-of-care/{period_id}/end",
                end_date=end,
                reason_ceased=period.reason_ceased,
            )

    for index, (start_ago, end_ago, kind, accepted) in enumerate(spec.missing):
        episode_id = derived_id(spec.local_id, "missing", str(index))
        add(
            ago(start_ago),
            5,
            f"missing-{index}",
            "/missing-episodes",
            episode_id=episode_id,
            start_date=ago(start_ago),
            missing_type=kind,
        )
        add(
            ago(end_ago),
            5,
            f"missing-{index}-end",
            f"/missing-episodes/{episode_id}/end",
            end_date=ago(end_ago),
            return_interview_offered=True,
            return_interview_accepted=accepted,
        )

    for index, words in enumerate(spec.views):  # about the latest review
        when, review_id = reviews[-1]
        add(
            when,
            6,
            f"views-{index}",
            "/views-and-wishes",
            effective_date=when,
            views=words,
            views_id=derived_id(spec.local_id, "views", str(index)),
            about="review",
            about_id=review_id,
        )

    for milestone, when_ago in spec.adoption:
        add(
            ago(when_ago),
            4,
            f"adoption-{milestone}",
            f"/adoption/{milestone}",
            effective_date=ago(when_ago),
        )

    for index, (kind, when_ago, detail) in enumerate(spec.care_leaver):
        when, name = ago(when_ago), f"care-leaver-{index}-{kind}"
        if kind in ("eligible", "former_relevant"):
            add(when, 9, name, "/care-leaver/eligibility", effective_date=when, status=kind)
        elif kind == "adviser":
            add(when, 9, name, "/personal-adviser", effective_date=when, personal_adviser_id=detail)
        elif kind == "pathway_plan":
            add(when, 9, name, "/pathway-plan", "pa", effective_date=when, note=detail)
        elif kind == "pathway_review":
            add(when, 9, name, "/pathway-plan/reviews", "pa", effective_date=when, note=detail)
        elif kind == "staying_put":
            add(when, 9, name, "/staying-put", "pa", effective_date=when, staying_put=True)
        elif kind == "contact":
            in_touch, activity, accommodation = detail.split()
            add(
                when,
                9,
                name,
                "/in-touch-contacts",
                "pa",
                contact_date=when,
                contact_id=derived_id(spec.local_id, "contact", str(index)),
                in_touch=in_touch,
                activity=activity,
                accommodation=accommodation,
            )
        else:  # pragma: no cover - a mistake in shared.demo.cohort
            raise ValueError(f"unknown care-leaver step {kind!r}")

    steps.sort(key=lambda step: (step.when, step.order))
    placements, current = _placement_steps(spec, anchor, rng)
    last = spec.periods[-1]
    known: list[tuple[date, bool, date | None]] = [(ago(last.start), True, ago(last.start))]
    if last.end is not None:
        known.append((ago(last.end), False, None))
    health = _health_steps(spec, born, anchor, random.Random(f"belonging-demo/{spec.local_id}/h"))
    education, moves = _education_steps(
        spec, born, anchor, random.Random(f"belonging-demo/{spec.local_id}/e")
    )
    return ChildPlan(
        spec, born, steps, placements, known, current,
        health=health, education=education, school_moves=moves,
    )  # fmt: skip


def plan_cohort(anchor: date) -> list[ChildPlan]:
    """Every child's writes, in the order the children are sent."""
    return [plan_child(spec, anchor) for spec in COHORT]


def _placement_steps(
    spec: Spec, anchor: date, rng: random.Random
) -> tuple[list[PlacementStep], UUID | None]:
    home = _postcode(rng)
    settings: dict[str, Json] = {}
    steps: list[PlacementStep] = []
    current: UUID | None = None
    for index, item in enumerate(spec.placements):
        when = anchor - timedelta(days=item.ago)
        name = f"placement-{index}-{item.kind}"
        new_id = derived_id(spec.local_id, "placement", str(index))
        setting: Json = {}
        if item.placement_type and item.placement_type not in ("T0", "T1", "T2", "T3", "T4"):
            assert item.carer is not None
            if item.carer not in settings:
                settings[item.carer] = _setting(item.placement_type, item.carer, home, rng)
            setting = settings[item.carer]
        if item.kind == "start":
            body: Json = {
                "placement_id": str(new_id),
                "effective_date": when.isoformat(),
                "placement_type": item.placement_type,
                **setting,
            }
            steps.append(PlacementStep(name, "start", when, new_id, None, body))
            current = new_id
        elif item.kind == "move":
            body = {
                "new_placement_id": str(new_id),
                "effective_date": when.isoformat(),
                "placement_type": item.placement_type,
                **setting,
            }
            if item.reason is not None:
                body["reason_place_change"] = item.reason
            steps.append(PlacementStep(name, "move", when, new_id, current, body))
            current = new_id
        elif item.kind == "adopt":
            body = {
                "new_placement_id": str(new_id),
                "effective_date": when.isoformat(),
                "placement_type": item.placement_type,
                "adopters": setting,
            }
            steps.append(PlacementStep(name, "adopt", when, new_id, current, body))
            current = new_id
        elif item.kind in ("end", "staying_put"):
            assert current is not None
            body = {"effective_date": when.isoformat()}
            steps.append(PlacementStep(name, item.kind, when, current, current, body))
            current = None
        else:  # pragma: no cover - a mistake in shared.demo.cohort
            raise ValueError(f"unknown placement step {item.kind!r}")
    return steps, current


def _setting(placement_type: str, carer: str, home: str, rng: random.Random) -> Json:
    postcode = _postcode(rng)
    miles = round(rng.uniform(1.0, 25.0), 1)
    setting: Json = {
        "postcode": postcode,
        "home_postcode": home,
        "distance_from_home_miles": miles,
        "inside_council_area": miles < 10,
        "carer_id": carer,
    }
    if placement_type.startswith("K2"):
        setting |= {"placement_provider": "PR4", "urn": carer.removeprefix("home-")}
    elif placement_type == "K3":
        setting["placement_provider"] = "PR5"
    elif placement_type.startswith("U"):
        setting["placement_provider"] = "PR1" if rng.random() < 0.6 else "PR4"
    elif placement_type.startswith("A"):
        setting["placement_provider"] = "PR1"
    return setting


# ====================================================================== health and education


@dataclass
class ServiceStep:
    """One health or education write, under /v1/children/{child}; `who` is (role, user).

    `mark` names what the service's record shows once the write is in it (an
    entry, enrolment, PEP ...), so a later load need not send it again; None:
    the record does not show it, and it is sent again (the service then finds
    it already recorded).
    """

    when: date
    order: int
    name: str
    path: str
    body: Json
    who: tuple[str, str]
    mark: str | None = None


def _steps_sorted(steps: list[ServiceStep]) -> list[ServiceStep]:
    return sorted(steps, key=lambda step: (step.when, step.order))


def _rha_months(born: date, day: date) -> int:
    """Months to the next review health assessment: 6 under 5, 12 from 5."""
    return 6 if age_on(born, day) < 5 else 12


def _dropped_until_overdue(days: list[date], due: Callable[[date], date], anchor: date) -> None:
    """Leave out the latest of `days` (never the first) until the next is overdue by `anchor`."""
    while len(days) > 1:
        days.pop()
        if due(days[-1]) < anchor - timedelta(days=1):
            return


def _health_steps(spec: Spec, born: date, anchor: date, rng: random.Random) -> list[ServiceStep]:
    story = spec.health
    steps: list[ServiceStep] = []
    seq = iter(range(10_000))
    nurse = LAC_NURSE

    def add(
        when: date, name: str, path: str, who: tuple[str, str] = nurse, **body: Any
    ) -> ServiceStep:
        entry_id = derived_id(spec.local_id, "health", name)
        fields = {"entry_id": str(entry_id)}
        fields |= {key: _json(value) for key, value in body.items() if value is not None}
        step = ServiceStep(
            when, next(seq), f"health-{name}", path, fields, who, f"entry/{entry_id}"
        )
        steps.append(step)
        return step

    first_start = anchor - timedelta(days=spec.periods[0].start)
    lead = HEALTH_VISITOR if age_on(born, first_start) < 5 else SCHOOL_NURSE
    add(
        first_start + timedelta(days=1),
        "lead-professional",
        "/health/lead-professional",
        effective_date=first_start + timedelta(days=1),
        professional_id=lead,
    )
    practitioner = ("health", lead)
    working_days = story.iha_working_days
    for number, period in enumerate(spec.periods, start=1):
        start = anchor - timedelta(days=period.start)
        end = None if period.end is None else anchor - timedelta(days=period.end)
        last_day = anchor - timedelta(days=1) if end is None else end - timedelta(days=1)
        requested = start + timedelta(days=2)
        add(
            requested,
            f"{number}-iha-requested",
            "/health/initial-assessment-requests",
            requested_date=requested,
        )
        after = working_days[number - 1] if number <= len(working_days) else working_days[-1]
        if after is None:
            continue  # not done yet: overdue
        iha = add_working_days(start, after)
        if iha > last_day:
            continue
        assessments = [iha]
        while True:
            months = _rha_months(born, assessments[-1])
            nxt = add_months(assessments[-1], months) - timedelta(days=rng.randrange(7, 21))
            if nxt > last_day:
                break
            assessments.append(nxt)
        if story.rha_missed and end is None:
            _dropped_until_overdue(
                assessments, lambda d: add_months(d, _rha_months(born, d)), anchor
            )
        outcome = "NEEDS_IDENTIFIED" if story.sdq_level >= 14 else "NO_NEEDS"
        for index, day in enumerate(assessments):
            if index == 0:
                add(
                    day,
                    f"{number}-iha",
                    "/health/initial-assessments",
                    assessment_date=day,
                    practitioner_id=lead,
                    outcome=outcome,
                )
                agreed = day + timedelta(days=5)
                if agreed <= last_day:
                    add(agreed, f"{number}-plan", "/health/plan/agreements", agreed_date=agreed)
            else:
                add(
                    day,
                    f"{number}-rha-{index}",
                    "/health/review-assessments",
                    practitioner,
                    assessment_date=day,
                    practitioner_id=lead,
                    outcome=outcome if index % 2 else "NO_NEEDS",
                )
                if day > assessments[0] + timedelta(days=5):
                    add(
                        day,
                        f"{number}-plan-review-{index}",
                        "/health/plan/reviews",
                        practitioner,
                        reviewed_date=day,
                    )
            # Not immunised: behind at the first check and again at the latest.
            up_to_date = story.immunised or 0 < index < len(assessments) - 1
            add(
                day,
                f"{number}-immunisations-{index}",
                "/health/immunisations",
                date_checked=day,
                up_to_date=up_to_date,
            )
            if age_on(born, day) < 5:
                add(
                    day,
                    f"{number}-development-{index}",
                    "/health/development-checks",
                    practitioner,
                    check_date=day,
                    practitioner_id=lead,
                )

        # Dental checks: the first within two months of coming into care, then yearly.
        dental = [start + timedelta(days=rng.randrange(30, 60))]
        while (nxt := add_months(dental[-1], 12) - timedelta(days=rng.randrange(7, 28))) <= (
            last_day
        ):
            dental.append(nxt)
        dental = [day for day in dental if day <= last_day]
        if story.dental_missed and end is None:
            _dropped_until_overdue(dental, lambda d: add_months(d, 12), anchor)
        for index, day in enumerate(dental):
            add(day, f"{number}-dental-{index}", "/health/dental-checks", check_date=day)

        # SDQs: the first within three months (ages 2-17), then yearly (ages 4-16).
        first = max(start + timedelta(days=rng.randrange(40, 80)), _birthday(born, 2, 30))
        sdqs = [first] if first <= last_day and age_on(born, first) <= 17 else []
        while sdqs:
            nxt = add_months(sdqs[-1], 12) - timedelta(days=rng.randrange(7, 21))
            if nxt > last_day or not 4 <= age_on(born, nxt) <= 16:
                break
            sdqs.append(nxt)
        for index, day in enumerate(sdqs):
            score = None
            if story.sdq_reason is None:
                score = max(0, min(40, story.sdq_level + rng.randrange(-3, 4)))
            add(
                day,
                f"{number}-sdq-{index}",
                "/health/sdqs",
                sdq_date=day,
                score=score,
                reason=story.sdq_reason,
            )

    if story.substance_misuse is not None:
        day = anchor - timedelta(days=story.substance_misuse)
        add(
            day,
            "substance-misuse",
            "/health/substance-misuse",
            recorded_date=day,
            identified=True,
            intervention_offered=True,
            intervention_received=True,
        )
    return _steps_sorted(steps)


def _birthday(born: date, years: int, plus_days: int = 0) -> date:
    return _years_before(born, -years) + timedelta(days=plus_days)


# ---------------------------------------------------------------------- the school calendar
# England's defaults, as the education service has them (docs/adr/0021): school years
# from 1 September, terms from 1 September, 1 January and 1 April, and the normal
# transition window 20 July to 30 September. Holidays are approximate.

_HOLIDAYS = (((12, 20), (1, 3)), ((2, 14), (2, 21)), ((4, 1), (4, 14)), ((5, 25), (5, 31)),
             ((7, 20), (9, 2)), ((10, 24), (10, 31)))  # fmt: skip


def _school_day(day: date) -> bool:
    if day.weekday() >= 5:
        return False
    here = (day.month, day.day)
    for low, high in _HOLIDAYS:
        inside = low <= here <= high if low <= high else (here >= low or here <= high)
        if inside:
            return False
    return True


def _school_day_from(day: date, step: int) -> date:
    """`day` if a school day, else the nearest school day after (step 1) or before (-1)."""
    while not _school_day(day):
        day += timedelta(days=step)
    return day


def school_year_start(day: date) -> date:
    start = date(day.year, 9, 1)
    return start if day >= start else date(day.year - 1, 9, 1)


def term_start(day: date) -> date:
    year = school_year_start(day)
    starts = [year, date(year.year + 1, 1, 1), date(year.year + 1, 4, 1)]
    return max(s for s in starts if s <= day)


def _next_term(start: date) -> date:
    """The first day of the term after the one starting on `start`."""
    if start.month == 9:
        return date(start.year + 1, 1, 1)
    return date(start.year, 4, 1) if start.month == 1 else date(start.year, 9, 1)


def at_transition(day: date) -> bool:
    return (7, 20) <= (day.month, day.day) <= (9, 30)


def _mid_year(day: date) -> date:
    """A school day on or before `day` that is outside the summer transition window."""
    if at_transition(day):
        day = date(day.year, 7, 10)
    return _school_day_from(day, -1)


def _phase(born: date, day: date) -> str:
    """The phase of school by age on the 31 August before the school year of `day`."""
    age = age_on(born, school_year_start(day) - timedelta(days=1))
    return "primary" if age <= 10 else "secondary" if age <= 15 else "post_16"


def _terms(first: date, last: date) -> list[tuple[date, date]]:
    """The terms (first day, last day) that overlap first..last, clipped to it."""
    found = []
    start = term_start(first)
    while start <= last:
        following = _next_term(start)
        end = following - timedelta(days=1)
        found.append((max(start, first), min(end, last)))
        start = following
    return found


def _school_days(first: date, last: date) -> int:
    return sum(1 for n in range((last - first).days + 1) if _school_day(first + timedelta(days=n)))


@dataclass
class _School:
    enrolment_id: UUID
    urn: str
    phase: str
    start: date
    end: date | None
    kind: str  # enrol, transition or move


def _schools(spec: Spec, born: date, anchor: date, rng: random.Random) -> list[_School]:
    story = spec.education
    assert story is not None
    period_start = anchor - timedelta(days=spec.periods[-1].start)
    yesterday = anchor - timedelta(days=1)
    this_year = school_year_start(yesterday)
    if story.starts_after is not None:
        first = _school_day_from(period_start + timedelta(days=story.starts_after), 1)
    else:
        year = date(this_year.year - 1, 9, 1)
        if period_start > year:
            year = school_year_start(period_start)
        first = _school_day_from(year + timedelta(days=2), 1)
    changes = [(first, "enrol")]
    september = _school_day_from(this_year + timedelta(days=2), 1)
    if first < september <= yesterday and _phase(born, first) != _phase(born, september):
        changes.append((september, "transition"))
    changes += [(_mid_year(anchor - timedelta(days=ago)), "move") for ago in story.moves]
    changes.sort()
    schools: list[_School] = []
    for index, (day, kind) in enumerate(changes):
        if schools:
            schools[-1].end = day - timedelta(days=1)
        urn = f"99{rng.randrange(1000, 10000):04d}"
        enrolment_id = derived_id(spec.local_id, "enrolment", str(index))
        schools.append(_School(enrolment_id, urn, _phase(born, day), day, None, kind))
    return schools


def _education_steps(
    spec: Spec, born: date, anchor: date, rng: random.Random
) -> tuple[list[ServiceStep], list[date]]:
    """The child's education writes, and the days of their mid-year school moves."""
    story = spec.education
    if story is None:
        return [], []
    steps: list[ServiceStep] = []
    seq = iter(range(10_000))
    yesterday = anchor - timedelta(days=1)
    schools = _schools(spec, born, anchor, rng)
    period_start = anchor - timedelta(days=spec.periods[-1].start)

    def add(
        when: date,
        rank: int,
        name: str,
        path: str,
        who: tuple[str, str] = VIRTUAL_SCHOOL,
        mark: str | None = None,
        **body: Any,
    ) -> None:
        fields = {key: _json(value) for key, value in body.items() if value is not None}
        order = rank * 10_000 + next(seq)
        steps.append(ServiceStep(when, order, f"education-{name}", path, fields, who, mark))

    def teacher_on(day: date) -> tuple[str, str]:
        """The designated teacher of the school the child is at on `day` (the Virtual School if
        that is not the child's school now: only today's designated teacher may write)."""
        school = schools[-1]
        if school.start <= day:
            return ("designated_teacher", f"dt.{school.urn}")
        return VIRTUAL_SCHOOL

    for index, school in enumerate(schools):
        mark = f"enrolment/{school.enrolment_id}"
        if school.kind == "enrol":
            add(school.start, 0, f"enrol-{index}", "/enrolments", mark=mark,
                enrolment_id=school.enrolment_id, urn=school.urn, phase=school.phase,
                effective_date=school.start)  # fmt: skip
        else:
            add(school.start, 0, f"{school.kind}-{index}", "/school-moves", mark=mark,
                new_enrolment_id=school.enrolment_id, urn=school.urn, phase=school.phase,
                effective_date=school.start)  # fmt: skip
        add(school.start, 1, f"designated-teacher-{index}", "/designated-teacher",
            teacher_id=f"dt.{school.urn}", urn=school.urn, effective_date=school.start)  # fmt: skip

        # Attendance: the school's return for each term (this term: up to last Friday).
        last = school.end or yesterday
        if school.end is None:
            last = yesterday - timedelta(days=(yesterday.weekday() - 4) % 7)
        for first_day, last_day in _terms(school.start, last):
            days = _school_days(first_day, last_day)
            if days < 5:
                continue
            possible = 2 * days
            rate = min(1.0, max(0.5, story.attendance + rng.uniform(-0.04, 0.04)))
            attended = round(possible * rate)
            authorised = round((possible - attended) * rng.uniform(0.4, 0.8))
            add(last_day, 2, f"attendance-{index}-{first_day.isoformat()}", "/attendance",
                teacher_on(first_day),
                mark=f"attendance/{school.urn}/{first_day.isoformat()}/{last_day.isoformat()}",
                urn=school.urn, period_start=first_day, period_end=last_day,
                sessions_possible=possible, sessions_attended=attended,
                authorised_absence=authorised)  # fmt: skip

    first = schools[0].start
    sen_from = first
    ehc = _years_before(first, 1) if story.sen == "E" else None
    add(sen_from, 1, "sen", "/sen-status", sen_status=story.sen, effective_date=sen_from,
        ehc_plan_date=ehc)  # fmt: skip
    eligible_from = max(period_start, first)
    add(eligible_from, 1, "pupil-premium-plus", "/pupil-premium-plus", eligible=True,
        effective_date=eligible_from)  # fmt: skip

    # The PEP: started within 20 days of coming into care, then reviewed every term.
    pep_id = derived_id(spec.local_id, "pep")
    started = _school_day_from(period_start + timedelta(days=rng.randrange(8, 16)), -1)
    started = max(started, period_start)
    add(started, 3, "pep", "/peps", mark=f"pep/{pep_id}", pep_id=pep_id, effective_date=started,
        targets_set=3)  # fmt: skip
    lapsed_from = term_start(term_start(yesterday) - timedelta(days=1))
    set_before, reviews = 3, []
    term = term_start(started)
    while True:
        term = _next_term(term)
        if term > yesterday:
            break
        held = _school_day_from(term + timedelta(days=rng.randrange(30, 50)), 1)
        if held > yesterday or (story.pep_lapsed and held >= lapsed_from):
            break
        review_id = derived_id(spec.local_id, "pep-review", term.isoformat())
        targets = rng.randrange(2, 5)
        met = rng.randrange(0, set_before + 1)
        add(held, 3, f"pep-review-{term.isoformat()}", f"/peps/{pep_id}/reviews", teacher_on(held),
            mark=f"review/{review_id}", review_id=review_id, effective_date=held,
            targets_set=targets, targets_met=met)  # fmt: skip
        set_before = targets
        reviews.append((held, review_id))
    if reviews:
        held, review_id = reviews[-1]
        add(held, 4, "pep-rating", f"/pep-reviews/{review_id}/rating",
            mark=f"rating/{review_id}/{story.rating}", rating=story.rating)  # fmt: skip

    if story.suspension is not None:
        day = _school_day_from(anchor - timedelta(days=story.suspension), -1)
        school = next(s for s in schools if s.start <= day and (s.end is None or day <= s.end))
        add(day, 2, "suspension", "/exclusions",
            mark=f"exclusion/{school.urn}/suspension/{day.isoformat()}", urn=school.urn,
            kind="suspension", effective_date=day, reason="VA", days=2.0)  # fmt: skip
    moves = [s.start for s in schools if s.kind == "move"]
    return _steps_sorted(steps), moves
