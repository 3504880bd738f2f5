"""The demo cohort: twelve made-up children, loaded through the public APIs.

`belonging dev up` calls `seed(base_urls, token_for)` once the services are
healthy. Everything goes through HTTP, as a client would: the casefile
service gets each child's case (registration, periods of care and legal
status, social workers, IRO, plans, reviews, visits, missing episodes, leaving
care, adoption), then, once the placements service has learnt the periods of
care from casefile's integration events, the placements service gets where
each child lived. Nothing here is a real person: local ids are DEMO01..DEMO12,
UPNs and NHS numbers are invented (NHS numbers in the 999 test range) but pass
their check-character rules, and every choice comes from a seeded
`random.Random`, so every run asks for exactly the same record.

Dates run over the three years before an anchor date: today on the first run,
and on later runs the anchor the cohort was first loaded with (read back from
DEMO01's registration date), so a second `make run` a week later asks for the
same record again instead of a shifted one.

Running it twice records nothing twice:

- every write carries an Idempotency-Key derived from the child and the step,
  and every id a write creates (periods, reviews, visits, placements, ...) is
  derived the same way, so a repeat is either answered from the service's
  stored response or found already in the record by the domain, which then
  records nothing;
- casefile checks relationships before it replays, and an earlier step's author
  (the manager who registered the child, a social worker since replaced) may
  no longer be related to the child; the step is then asked again as the
  worker allocated now, and the domain finds it already recorded;
- placements are not re-sent at all when the child's placement history
  already holds them.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid5

import httpx

from shared.identifiers import upn_check_letter, validate_nhs_number, validate_upn

#: Namespace of every id and Idempotency-Key the demo derives. Never change it:
#: a different namespace would make a second run record a second cohort.
NAMESPACE = UUID("0c5e2d4a-8f7b-5d1e-9a3c-6b2f1e0d9c8a")

TEAM_MANAGER = ("team_manager", "tm.demo")
PERFORMANCE = ("performance", "perf.demo")
PERSONAL_ADVISER = "pa.demo"
TEAMS = {
    "sw.demo": "north-1",
    "sw.okafor": "north-1",
    "sw.byrne": "north-1",
    "sw.jones": "south-2",
    "sw.patel": "south-2",
}

#: How long the placements service may take to learn a child's periods of care.
LEARN_TIMEOUT = 20.0
POLL_INTERVAL = 0.2
REQUEST_TIMEOUT = 30.0

#: The problem type of a caller not related to the child (shared.auth.dependencies).
NOT_RELATED = "urn:belonging:problem:not-related"
#: The problem type of an Idempotency-Key sent again with another body.
KEY_REUSED = "urn:belonging:problem:idempotency-key-reused"

TokenFor = Callable[[str, str], str]
Json = dict[str, Any]


class DemoError(RuntimeError):
    """A service refused part of the demo cohort; the message says which child and step."""


# --------------------------------------------------------------------------- the cohort


@dataclass(frozen=True)
class Period:
    """A period of care, in days before the anchor date."""

    start: int
    legal_status: str
    category_of_need: str
    end: int | None = None
    reason_ceased: str | None = None
    legal_status_changes: tuple[tuple[int, str], ...] = ()
    permanence_plan: str | None = "long_term_fostering"


@dataclass(frozen=True)
class Placement:
    """One placement change: `kind` is start, move, end, adopt or staying_put."""

    kind: str
    ago: int
    placement_type: str | None = None
    carer: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Spec:
    local_id: str
    #: Date of birth: the `years`-th birthday falls `days` before the anchor.
    birthday: tuple[int, int]
    sex: str
    periods: tuple[Period, ...]
    #: (days before the anchor, worker, SW_REASON); the first is at registration.
    social_workers: tuple[tuple[int | None, str, str | None], ...]
    iro: str
    placements: tuple[Placement, ...]
    story: str
    uasc: bool = False
    registered_before_care: int = 3
    missing: tuple[tuple[int, int, str, bool], ...] = ()  # start, end, M/A, accepted
    views: tuple[str, ...] = ()
    adoption: tuple[tuple[str, int], ...] = ()
    care_leaver: tuple[tuple[str, int, str], ...] = ()  # (kind, ago, detail)


def _p(
    kind: str,
    ago: int,
    place: str | None = None,
    carer: str | None = None,
    reason: str | None = None,
) -> Placement:
    return Placement(kind, ago, place, carer, reason)


COHORT: tuple[Spec, ...] = (
    Spec(
        "DEMO01",
        (14, 130),
        "M",
        (Period(520, "V2", "N5"),),
        ((None, "sw.okafor", None), (200, "sw.demo", "LEFTRL")),
        "iro.demo",
        (
            _p("start", 520, "U6", "fc-0101"),
            _p("move", 300, "U6", "fc-0102", "CREQB"),
            _p("move", 200, "K2", "home-SC400123", "CARPL"),
            _p("move", 120, "K2", "home-SC400456", "STAND"),
        ),
        "four homes in a year, went missing once, a new social worker",
        missing=((150, 148, "M", True),),
        views=("Wants to stay at the same school whatever happens.",),
    ),
    Spec(
        "DEMO02",
        (9, 40),
        "F",
        (
            Period(1000, "V2", "N4", end=700, reason_ceased="E4A", permanence_plan="return_home"),
            Period(250, "C1", "N1", legal_status_changes=((100, "C2"),)),
        ),
        ((None, "sw.jones", None),),
        "iro.demo",
        (
            _p("start", 1000, "U6", "fc-0201"),
            _p("end", 700),
            _p("start", 250, "U3", "fc-0202"),
            _p("move", 150, "U6", "fc-0203", "CREQO"),
            _p("move", 45, "U4", "fc-0204", "CARPL"),
        ),
        "went home, came back into care under a care order",
    ),
    Spec(
        "DEMO03",
        (18, 300),
        "M",
        (
            Period(
                1000, "V2", "N5", end=300, reason_ceased="E17", permanence_plan="independent_living"
            ),
        ),
        ((None, "sw.patel", None),),
        "iro.demo",
        (
            _p("start", 1000, "U6", "fc-0301"),
            _p("move", 850, "U4", "fc-0302", "CARPL"),
            _p("staying_put", 300),
        ),
        "care leaver: pathway plan, in-touch contacts, Staying Put with his foster carers",
        registered_before_care=5,
        care_leaver=(
            ("eligible", 905, ""),
            ("adviser", 900, PERSONAL_ADVISER),
            ("pathway_plan", 880, "Pathway plan agreed: college, driving lessons, savings."),
            ("pathway_review", 700, "On track at college."),
            ("pathway_review", 520, "Started part-time work."),
            ("pathway_review", 340, "Staying Put agreed with his foster carers."),
            ("former_relevant", 300, ""),
            ("staying_put", 300, ""),
            ("contact", 240, "YES F2 Z1"),
            ("pathway_review", 160, "Second year of college; wants an apprenticeship."),
            ("contact", 150, "YES F5 Z1"),
            ("contact", 60, "YES F4 Z1"),
        ),
    ),
    Spec(
        "DEMO04",
        (0, 900),
        "F",
        (
            Period(
                800,
                "C1",
                "N1",
                legal_status_changes=((620, "C2"), (430, "E1")),
                permanence_plan="adoption",
            ),
        ),
        ((None, "sw.demo", None),),
        "iro.hughes",
        (
            _p("start", 800, "U6", "fc-0401"),
            _p("move", 470, "U6", "fc-0402", "CREQO"),
            _p("adopt", 90, "A6", "adopters-0403"),
        ),
        "placed for adoption with new adopters under a placement order",
        adoption=(("decision", 560), ("placement-order", 430), ("match", 150), ("placed", 90)),
    ),
    Spec(
        "DEMO05",
        (11, 200),
        "F",
        (Period(700, "C1", "N1", legal_status_changes=((480, "C2"),)),),
        ((None, "sw.byrne", None), (600, "sw.demo", "MANAGE")),
        "iro.demo",
        (
            _p("start", 700, "U6", "fc-0501"),
            _p("move", 250, "U4", "fc-0502", "CARPL"),
            _p("move", 100, "T1"),
            _p("move", 95, "U4", "fc-0502"),
            _p("move", 40, "U4", "fc-0503", "CREQO"),
        ),
        "three foster homes in a year, and a week in hospital that is not a move",
        views=("Misses her brother; wants to see him every week.",),
    ),
    Spec(
        "DEMO06",
        (12, 60),
        "M",
        (Period(1060, "C1", "N1", legal_status_changes=((860, "C2"),)),),
        ((None, "sw.jones", None),),
        "iro.hughes",
        (_p("start", 1060, "U4", "fc-0601"),),
        "in the same long-term foster home for nearly three years",
    ),
    Spec(
        "DEMO07",
        (8, 250),
        "F",
        (Period(1000, "C1", "N2", legal_status_changes=((800, "C2"),)),),
        ((None, "sw.jones", None), (90, "sw.patel", "ABSENC")),
        "iro.demo",
        (
            _p("start", 1000, "U6", "fc-0701"),
            _p("move", 900, "U4", "fc-0702", "CARPL"),
        ),
        "settled long-term; her social worker changed this year",
    ),
    Spec(
        "DEMO08",
        (6, 150),
        "M",
        (Period(40, "L2", "N1", legal_status_changes=((33, "C1"),)),),
        ((None, "sw.demo", None),),
        "iro.demo",
        (_p("start", 40, "U6", "fc-0801"),),
        "came into care six weeks ago under an emergency protection order",
        registered_before_care=1,
    ),
    Spec(
        "DEMO09",
        (17, -30),
        "M",
        (Period(300, "V2", "N8", permanence_plan="independent_living"),),
        ((None, "sw.patel", None),),
        "iro.demo",
        (
            _p("start", 300, "K2", "home-SC400789"),
            _p("move", 60, "K3", "sa-0901", "CARPL"),
        ),
        "unaccompanied asylum-seeking child, eligible for leaving-care support",
        uasc=True,
        registered_before_care=2,
        care_leaver=(
            ("eligible", 200, ""),
            ("adviser", 195, PERSONAL_ADVISER),
            ("pathway_plan", 190, "Pathway plan agreed: ESOL course, immigration solicitor."),
            ("pathway_review", 10, "Moved to supported accommodation; ESOL going well."),
        ),
        views=("Wants to live near the mosque and his friends from college.",),
    ),
    Spec(
        "DEMO10",
        (15, 20),
        "F",
        (Period(800, "C1", "N1", legal_status_changes=((600, "C2"),)),),
        ((None, "sw.byrne", None),),
        "iro.hughes",
        (_p("start", 800, "U4", "fc-1001"),),
        "settled with long-term foster carers",
        registered_before_care=5,
    ),
    Spec(
        "DEMO11",
        (4, 100),
        "M",
        (Period(400, "C1", "N1", legal_status_changes=((220, "C2"),), permanence_plan="adoption"),),
        ((None, "sw.demo", None),),
        "iro.demo",
        (
            _p("start", 400, "U6", "fc-1101"),
            _p("move", 200, "U5", "fc-1102", "CARPL"),
        ),
        "with foster-to-adopt carers",
    ),
    Spec(
        "DEMO12",
        (13, 280),
        "F",
        (Period(150, "V2", "N4"),),
        ((None, "sw.okafor", None),),
        "iro.demo",
        (
            _p("start", 150, "K2", "home-SC400999"),
            _p("move", 30, "U6", "fc-1201", "CARPL"),
        ),
        "from a children's home to foster carers; away overnight once",
        registered_before_care=2,
        missing=((20, 19, "A", False),),
    ),
)

ETHNICITIES = ("WBRI", "WBRI", "WBRI", "WOTH", "MWBC", "MWBA", "APKN", "AIND", "BAFR", "BCRB")
UASC_ETHNICITIES = ("BAFR", "AOTH", "OOTH")
PARTICIPATION = ("PN1", "PN1", "PN2", "PN3", "PN5", "PN6")
VISIT_NOTES = (
    "Seen at home; settled, talked about school.",
    "Seen alone in their room; happy with contact arrangements.",
    "Seen with carers; some worries about friendships.",
    "Took them out for lunch; talked about what they want from the review.",
)


# --------------------------------------------------------------------------- dates and ids


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _uuid(*parts: str) -> UUID:
    return uuid5(NAMESPACE, "/".join(parts))


def _key(*parts: str) -> str:
    return str(_uuid("idempotency-key", *parts))


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


# --------------------------------------------------------------------------- the plan


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
    name: str
    kind: str
    when: date
    placement_id: UUID  # the placement this step creates, ends or continues
    from_id: UUID | None
    body: Json


@dataclass
class ChildPlan:
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


def plan(spec: Spec, anchor: date) -> ChildPlan:
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
    age_now = _age_on(born, anchor)
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
        period_id = _uuid(spec.local_id, "period", str(number))
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
            review_id = _uuid(spec.local_id, "review", str(number), when.isoformat())
            participation = "PN0" if _age_on(born, when) < 4 else rng.choice(PARTICIPATION)
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
                review_id=_uuid(spec.local_id, "review", str(number), when.isoformat()),
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
                visit_id=_uuid(spec.local_id, "visit", when.isoformat()),
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
        episode_id = _uuid(spec.local_id, "missing", str(index))
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
            views_id=_uuid(spec.local_id, "views", str(index)),
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
                contact_id=_uuid(spec.local_id, "contact", str(index)),
                in_touch=in_touch,
                activity=activity,
                accommodation=accommodation,
            )
        else:  # pragma: no cover - a mistake in the cohort above
            raise ValueError(f"unknown care-leaver step {kind!r}")

    steps.sort(key=lambda step: (step.when, step.order))
    placements, current = _placement_steps(spec, anchor, rng)
    last = spec.periods[-1]
    known: list[tuple[date, bool, date | None]] = [(ago(last.start), True, ago(last.start))]
    if last.end is not None:
        known.append((ago(last.end), False, None))
    return ChildPlan(spec, born, steps, placements, known, current)


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
        new_id = _uuid(spec.local_id, "placement", str(index))
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
        else:  # pragma: no cover - a mistake in the cohort above
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


# --------------------------------------------------------------------------- talking to services


def _etag(response: httpx.Response) -> int | None:
    value = response.headers.get("ETag", "").removeprefix("W/").strip('"')
    return int(value) if value.isdigit() else None


def _problem(response: httpx.Response) -> Json:
    try:
        body = response.json()
    except ValueError:
        return {"detail": response.text[:300]}
    return body if isinstance(body, dict) else {"detail": str(body)[:300]}


def _fail(what: str, response: httpx.Response) -> DemoError:
    problem = _problem(response)
    detail = problem.get("detail") or problem.get("title") or ""
    errors = problem.get("errors") or []
    fields = ", ".join(f"{e.get('field')}: {e.get('message')}" for e in errors if e)
    message = f"{what}: HTTP {response.status_code} {detail}"
    if fields:
        message += f" ({fields})"
    if problem.get("type") == KEY_REUSED:
        message += (
            " The demo cohort has changed since this stack loaded it; "
            "`belonging dev reset` starts again from empty."
        )
    return DemoError(message)


class Loader:
    """Sends the cohort to the services and reads back what they made of it."""

    def __init__(self, base_urls: Mapping[str, str], token_for: TokenFor) -> None:
        self.casefile = base_urls["casefile"].rstrip("/")
        self.placements = (base_urls.get("placements") or "").rstrip("/") or None
        self._token_for = token_for
        self._tokens: dict[tuple[str, str], str] = {}
        self.http = httpx.Client(timeout=REQUEST_TIMEOUT)

    def close(self) -> None:
        self.http.close()

    def headers(self, actor: tuple[str, str], key: str | None = None) -> dict[str, str]:
        if actor not in self._tokens:
            self._tokens[actor] = self._token_for(*actor)
        headers = {"Authorization": f"Bearer {self._tokens[actor]}", "X-Purpose": "demo-data"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def get(self, url: str, actor: tuple[str, str], **params: str) -> httpx.Response:
        return self.http.get(url, headers=self.headers(actor), params=params)

    # ------------------------------------------------------------------ the anchor

    def anchor(self, today: date) -> date:
        """Today, or the anchor of the cohort already loaded (from DEMO01's registration)."""
        first = COHORT[0]
        offset = first.periods[0].start + first.registered_before_care
        offset_of = 0
        while True:
            response = self.get(
                f"{self.casefile}/v1/children", PERFORMANCE, limit="500", offset=str(offset_of)
            )
            if response.status_code != 200:
                raise _fail("listing the children already registered", response)
            items = response.json()["items"]
            for item in items:
                if item["local_child_id"] == first.local_id:
                    registered = date.fromisoformat(item["registered_on"])
                    return min(today, registered + timedelta(days=offset))
            if len(items) < 500:
                return today
            offset_of += len(items)

    # ------------------------------------------------------------------ casefile

    def write_case(self, child: ChildPlan, step: CaseStep, current_worker: str) -> None:
        natural = {
            "tm": TEAM_MANAGER,
            "sw": ("social_worker", current_worker),
            "iro": ("iro", child.spec.iro),
            "pa": ("personal_adviser", PERSONAL_ADVISER),
        }[step.who]
        # Whoever wrote a step first may no longer be related to the child (the
        # registering manager once a worker is allocated, a worker since replaced):
        # on a repeat run the step is asked again as a worker related now.
        workers = [worker for _, worker, _ in reversed(child.spec.social_workers)]
        candidates = [natural] + [("social_worker", w) for w in workers if w != natural[1]]
        if step.path:
            url = f"{self.casefile}/v1/children/{child.child_id}{step.path}"
        else:
            url = f"{self.casefile}/v1/children"
        key = _key(child.spec.local_id, step.name)
        what = f"{child.spec.local_id} {step.name}"
        for actor in candidates:
            response = self._post_case(url, step.body, actor, key, child.version, bool(step.path))
            if response.status_code == 403 and _problem(response).get("type") == NOT_RELATED:
                continue
            if response.status_code >= 300:
                raise _fail(what, response)
            child.version = _etag(response)
            if not step.path:
                child.child_id = str(response.json()["child_id"])
            return
        raise DemoError(f"{what}: no one in the demo cohort's case team may write it now")

    def _post_case(
        self,
        url: str,
        body: Json,
        actor: tuple[str, str],
        key: str,
        version: int | None,
        update: bool,
    ) -> httpx.Response:
        for attempt in range(6):
            headers = self.headers(actor, key)
            if update and version is not None:
                headers["If-Match"] = f'"{version}"'
            response = self.http.post(url, json=body, headers=headers)
            if response.status_code == 412 and attempt < 5:
                # The record moved on since our last write (a partly loaded cohort):
                # base the change on the version the service names.
                version = _etag(response)
                continue
            if response.status_code in (409, 503) and attempt < 5:
                time.sleep(0.2 * (attempt + 1))
                continue
            return response
        return response

    def load_case(self, child: ChildPlan) -> None:
        worker = child.spec.social_workers[0][1]
        for step in child.case:
            self.write_case(child, step, worker)
            worker = step.allocates or worker

    # ------------------------------------------------------------------ placements

    def placement_history(self, child: ChildPlan) -> Json | None:
        assert self.placements is not None
        url = f"{self.placements}/v1/children/{child.child_id}/placements"
        response = self.get(url, TEAM_MANAGER)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise _fail(f"{child.spec.local_id} reading placements", response)
        history: Json = response.json()
        return history

    def child_stability(self, child: ChildPlan, as_of: date) -> Json | None:
        assert self.placements is not None
        url = f"{self.placements}/v1/children/{child.child_id}/stability"
        response = self.get(url, TEAM_MANAGER, as_of=as_of.isoformat())
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise _fail(f"{child.spec.local_id} reading stability", response)
        body: Json = response.json()
        return body

    def wait_until(self, what: str, ready: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                raise DemoError(f"{what}: not seen by the placements service within {timeout:.0f}s")
            time.sleep(POLL_INTERVAL)

    def placements_know(self, child: ChildPlan) -> bool:
        """Has the placements service learnt this child's periods of care from casefile?"""
        for as_of, looked_after, since in child.known_when:
            seen = self.child_stability(child, as_of)
            if seen is None or seen["looked_after"] != looked_after:
                return False
            if since is not None and seen["looked_after_since"] != since.isoformat():
                return False
        return True

    def load_placements(self, child: ChildPlan) -> int:
        """Sends the placements the child's history lacks; returns how many."""
        history = self.placement_history(child)
        pending = [step for step in child.placements if not _done(step, history)]
        if not pending:
            return 0
        self.wait_until(
            f"{child.spec.local_id}'s periods of care",
            lambda: self.placements_know(child),
            LEARN_TIMEOUT,
        )
        version = None if history is None else int(history["version"])
        sent = 0
        for step in pending:
            version = self._post_placement(child, step, version)
            sent += 1
        return sent

    def _post_placement(self, child: ChildPlan, step: PlacementStep, version: int | None) -> int:
        assert self.placements is not None
        base = f"{self.placements}/v1/children/{child.child_id}/placements"
        path = {
            "start": "",
            "move": f"/{step.from_id}/move",
            "adopt": f"/{step.from_id}/placed-for-adoption",
            "end": f"/{step.from_id}/end",
            "staying_put": f"/{step.from_id}/staying-put",
        }[step.kind]
        what = f"{child.spec.local_id} {step.name}"
        deadline = time.monotonic() + LEARN_TIMEOUT
        retries = 0
        while True:
            headers = self.headers(TEAM_MANAGER, _key(child.spec.local_id, step.name))
            if version is not None:
                headers["If-Match"] = f'"{version}"'
            response = self.http.post(base + path, json=step.body, headers=headers)
            new_version = _etag(response)
            if response.status_code in (200, 201) and new_version is not None:
                return new_version
            retries += 1
            if response.status_code == 412 and retries < 5:
                history = self.placement_history(child)
                if history is not None and _done(step, history):
                    return int(history["version"])
                version = new_version
                continue
            if response.status_code == 409 and retries < 5:
                time.sleep(0.2 * retries)
                continue
            detail = str(_problem(response).get("detail", ""))
            late = response.status_code == 422 and "not looked after" in detail
            if late and time.monotonic() < deadline:  # casefile's news is still on its way
                time.sleep(POLL_INTERVAL)
                continue
            raise _fail(what, response)

    def council_stability(self, as_of: date) -> Json:
        assert self.placements is not None
        url = f"{self.placements}/v1/stability"
        response = self.get(url, TEAM_MANAGER, as_of=as_of.isoformat())
        if response.status_code != 200:
            raise _fail("reading the council's stability figures", response)
        body: Json = response.json()
        return body


def _done(step: PlacementStep, history: Json | None) -> bool:
    """Is this step already in the child's placement history?"""
    if history is None:
        return False
    placements = {p["placement_id"]: p for p in history["placements"]}
    if step.kind in ("start", "move", "adopt"):
        return str(step.placement_id) in placements
    if step.kind == "end":
        placement = placements.get(str(step.placement_id))
        return placement is not None and placement["end_date"] is not None
    return history.get("staying_put") is not None


def _share(indicator: Mapping[str, Any]) -> str:
    text = f"{indicator['numerator']} of {indicator['denominator']}"
    if indicator.get("percentage") is not None:
        text += f" ({indicator['percentage']}%)"
    return text


# --------------------------------------------------------------------------- entry point


def seed(base_urls: dict[str, str], token_for: TokenFor) -> str:
    """Load the demo cohort (idempotently) and say where to look at it."""
    today = date.today()
    loader = Loader(base_urls, token_for)
    try:
        anchor = loader.anchor(today)
        children = [plan(spec, anchor) for spec in COHORT]
        for child in children:
            loader.load_case(child)
        if loader.placements is None:
            return (
                f"Demo cohort: {len(children)} children in casefile (no placements service "
                "running, so no placements)."
            )
        sent = sum(loader.load_placements(child) for child in children)
        # The stability figures come from the placement spans projection: wait
        # until it has the last placement sent, and so every one before it.
        last = next((c for c in reversed(children) if c.current_placement is not None), None)
        if last is not None:
            expected = str(last.current_placement)

            def caught_up() -> bool:
                seen = loader.child_stability(last, anchor)
                return seen is not None and seen["current_placement_id"] == expected

            loader.wait_until("the latest placement", caught_up, LEARN_TIMEOUT)
        figures = loader.council_stability(today)
    finally:
        loader.close()
    return _summary(children, figures, base_urls, today, anchor, sent)


def _summary(
    children: list[ChildPlan],
    figures: Json,
    base_urls: Mapping[str, str],
    today: date,
    anchor: date,
    sent: int,
) -> str:
    casefile = base_urls["casefile"].rstrip("/")
    placements = base_urls["placements"].rstrip("/")
    looked_after = sum(1 for c in children if c.spec.periods[-1].end is None)
    first, leaver = children[0], next(c for c in children if c.spec.care_leaver and c.placements)
    stories = {c.spec.local_id: c.spec.story for c in children}
    index = figures["stability_index"]
    tm = '"Authorization: Bearer $(belonging token --role team_manager --user tm.demo)"'
    sw = '"Authorization: Bearer $(belonging token --role social_worker --user sw.demo)"'
    loaded = "" if sent else " (already loaded: no placements to add)"
    ids = f"{children[0].spec.local_id}-{children[-1].spec.local_id}"
    return "\n".join(
        [
            f"Demo cohort: {len(children)} children ({ids}), {looked_after} looked after "
            f"today, dates up to {anchor - timedelta(days=1)}{loaded}.",
            f"  DEMO02 {stories['DEMO02']}; DEMO03 {stories['DEMO03']}; "
            f"DEMO04 {stories['DEMO04']}.",
            f"Placement stability on {today} (placements GET /v1/stability?as_of={today}):",
            f"  short-term, 3+ placements in 12 months: {_share(figures['short_term'])}; "
            f"long-term: {_share(figures['long_term'])}",
            f"  Stability Index: placement moves {_share(index['placement_moves'])}, "
            f"social worker changes {_share(index['social_worker_changes'])}",
            "Try:",
            f'  curl -s -H {tm} "{placements}/v1/stability?as_of={today}"',
            f"  curl -s -H {tm} {placements}/v1/children/{first.child_id}/stability",
            f"  curl -s -H {tm} {placements}/v1/children/{leaver.child_id}/placements",
            f"  curl -s -H {sw} {casefile}/v1/children/{first.child_id}",
        ]
    )
