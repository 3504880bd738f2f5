"""The demo cohort's plan: every write to send, in order, derived from the cohort.

Pure: no I/O and no clock. Given the same anchor date it gives the same
writes, ids and Idempotency-Keys on every run (every choice comes from a
`random.Random` seeded by the child's local id).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid5

from shared.dates import age_on
from shared.demo.cohort import (
    COHORT,
    ETHNICITIES,
    NAMESPACE,
    PARTICIPATION,
    TEAMS,
    UASC_ETHNICITIES,
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
    return ChildPlan(spec, born, steps, placements, known, current)


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
