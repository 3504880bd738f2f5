"""The demo cohort's plan, without servers: the same writes every run, in date order, none ahead.

A second `make run` sends the plan again under the same Idempotency-Keys, so a
plan that changed between runs (or between processes) would be refused as a
reused key; one that repeated an id or key would silently drop a write.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.education.api.record import ROUTES as EDUCATION_ROUTES
from services.education.domain import ENGLAND, EducationRecord, status_on
from services.health.api.commands import ROUTES as HEALTH_ROUTES
from services.health.domain import ChildFacts, HealthRecord, health_status
from shared.dates import age_on, year_before
from shared.demo.cohort import COHORT
from shared.demo.plan import ChildPlan, ServiceStep, idempotency_key, plan_cohort
from shared.stack.nats_server import REPO_ROOT

#: Anchors around leap days and year ends, and an ordinary one.
ANCHORS = [date(2026, 11, 30), date(2028, 2, 29), date(2028, 3, 1), date(2027, 1, 1)]

#: The one date a write may give that is after the anchor: when the next review is due.
FUTURE_FIELDS = {"scheduled_date"}

DIGEST = (
    "import hashlib, sys; from datetime import date; "
    "from shared.demo.plan import plan_cohort; "
    "sys.stdout.write(hashlib.sha256(repr(["
    "(c.born, [(s.when, s.name, s.path, s.who, s.body) for s in c.case], "
    "[(p.when, p.name, p.kind, p.placement_id, p.from_id, p.body) for p in c.placements], "
    "[(s.when, s.name, s.path, s.who, s.body, s.mark) for s in c.health + c.education], "
    "c.known_when, c.current_placement, c.school_moves) for c in plan_cohort(date(2026, 11, 30))"
    "]).encode()).hexdigest())"
)


def _dates(plan: ChildPlan) -> list[tuple[str, str, date]]:
    """(step, field, date) of every date a child's writes give."""
    found = []
    for step in plan.case:
        found += [
            (step.name, field, date.fromisoformat(value))
            for field, value in step.body.items()
            if field.endswith("_date") and isinstance(value, str)
        ]
    for placement in plan.placements:
        found.append((placement.name, "effective_date", placement.when))
    for step in plan.health + plan.education:
        found += [
            (step.name, field, date.fromisoformat(value))
            for field, value in step.body.items()
            if isinstance(value, str)
            and (field.endswith("_date") or field in ("period_start", "period_end"))
        ]
        found.append((step.name, "when", step.when))
    return found


def test_the_plan_is_the_same_in_every_process() -> None:
    here = io.StringIO()
    with contextlib.redirect_stdout(here):
        exec(DIGEST, {})
    for hash_seed in ("1", "2"):
        elsewhere = subprocess.run(
            [sys.executable, "-c", DIGEST],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert elsewhere == here.getvalue()
    assert len(here.getvalue()) == 64


@pytest.mark.parametrize("anchor", ANCHORS, ids=str)
def test_the_plan_for_an_anchor_is_deterministic(anchor: date) -> None:
    assert plan_cohort(anchor) == plan_cohort(anchor)
    assert [plan.spec for plan in plan_cohort(anchor)] == list(COHORT)


@pytest.mark.parametrize("anchor", ANCHORS, ids=str)
def test_nothing_is_dated_on_or_after_the_anchor_nor_before_birth(anchor: date) -> None:
    for plan in plan_cohort(anchor):
        assert plan.born < anchor
        for name, field, when in _dates(plan):
            assert when >= plan.born, (plan.spec.local_id, name, field, when)
            if field not in FUTURE_FIELDS:
                assert when < anchor, (plan.spec.local_id, name, field, when)
        assert all(step.when < anchor for step in plan.case)
        assert all(as_of < anchor for as_of, _, _ in plan.known_when)


@pytest.mark.parametrize("anchor", ANCHORS, ids=str)
def test_each_childs_writes_are_in_date_order_registration_first(anchor: date) -> None:
    for plan in plan_cohort(anchor):
        case = plan.case
        assert case[0].name == "register" and case[0].path == ""
        assert all(step.path for step in case[1:])
        assert [(s.when, s.order) for s in case] == sorted((s.when, s.order) for s in case)
        assert all(step.when >= case[0].when for step in case)
        for steps in (plan.health, plan.education):
            assert [(s.when, s.order) for s in steps] == sorted((s.when, s.order) for s in steps)
        placed = [step.when for step in plan.placements]
        assert placed == sorted(placed)
        first_period = anchor.toordinal() - plan.spec.periods[0].start
        assert not placed or placed[0].toordinal() >= first_period


@pytest.mark.parametrize("anchor", ANCHORS, ids=str)
def test_no_two_writes_share_an_idempotency_key_or_an_id(anchor: date) -> None:
    keys: list[str] = []
    ids: list[str] = []
    for plan in plan_cohort(anchor):
        steps = [s.name for s in plan.case] + [p.name for p in plan.placements]
        steps += [s.name for s in plan.health + plan.education]
        keys += [idempotency_key(plan.spec.local_id, name) for name in steps]
        for step in plan.case + plan.health + plan.education:  # type: ignore[operator]
            ids += [
                value
                for field, value in step.body.items()
                if field.endswith("_id") and isinstance(value, str) and _is_uuid(value)
            ]
        ids += [
            str(p.placement_id) for p in plan.placements if p.kind in ("start", "move", "adopt")
        ]
    assert len(keys) == len(set(keys))
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("anchor", ANCHORS, ids=str)
def test_identifiers_are_invented_and_given_only_where_they_apply(anchor: date) -> None:
    for plan in plan_cohort(anchor):
        registration = plan.case[0].body
        assert registration["local_child_id"] == plan.spec.local_id
        if plan.spec.uasc:
            assert "upn" not in registration and "nhs_number" not in registration
            continue
        assert registration["nhs_number"].startswith("999")
        if age_on(plan.born, anchor) < 5:
            assert "upn" not in registration
        else:
            assert registration["upn"][1:4] == "999"


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True


# ---------------------------------------------------------------- health and education


def _command(routes: Any, step: ServiceStep) -> tuple[Any, dict[str, UUID]]:
    """The command a step's path and body make, and its path parameters (as the API would)."""
    for route in routes:
        pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(route.path))
        found = re.fullmatch(
            pattern,
            f"/children/{{child_id}}{step.path}".replace(
                "{child_id}", "00000000-0000-0000-0000-000000000000"
            ),
        )
        if found:
            path = {k: UUID(v) for k, v in found.groupdict().items() if k != "child_id"}
            return route.command.model_validate(step.body), path
    raise AssertionError(f"no route for {step.path}")


def _run(aggregate: Any, command: Any, path: dict[str, UUID], context: dict[str, Any]) -> int:
    """Run one command on an aggregate as the application does; how many events it made."""
    names = type(command).path_names
    arguments = {**command.arguments(), **{names.get(k, k): v for k, v in path.items()}}
    before = len(aggregate.pending_events)
    getattr(aggregate, command.handler)(**arguments, **context)
    return len(aggregate.pending_events) - before


def _records(
    plan: ChildPlan, anchor: date, monkeypatch: pytest.MonkeyPatch
) -> tuple[HealthRecord, EducationRecord | None]:
    """The child's health and education records after every write, through the domains."""
    monkeypatch.setattr("services.health.domain.model.today", lambda: anchor)
    monkeypatch.setattr("services.education.domain.record.today", lambda: anchor)
    child = uuid4()
    periods = tuple(
        (
            anchor - timedelta(days=p.start),
            None if p.end is None else anchor - timedelta(days=p.end),
        )
        for p in plan.spec.periods
    )
    facts = {"facts": ChildFacts(plan.born, periods)}
    health = HealthRecord(child_id=child)
    for step in plan.health:
        assert _run(health, *_command(HEALTH_ROUTES, step), facts) == 1, step.name
        assert _run(health, *_command(HEALTH_ROUTES, step), facts) == 0, step.name
    if not plan.education:
        return health, None
    education = EducationRecord(child_id=child)
    calendar = {"calendar": ENGLAND}
    for step in plan.education:
        assert _run(education, *_command(EDUCATION_ROUTES, step), calendar) >= 1, step.name
        assert _run(education, *_command(EDUCATION_ROUTES, step), calendar) == 0, step.name
    return health, education


@pytest.mark.parametrize("anchor", ANCHORS, ids=str)
def test_the_health_and_education_services_accept_every_write_once(
    anchor: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    for plan in plan_cohort(anchor):
        _records(plan, anchor, monkeypatch)


@pytest.mark.parametrize("anchor", ANCHORS, ids=str)
def test_the_health_histories_show_what_the_summary_says(
    anchor: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = anchor - timedelta(days=1)
    states: dict[str, dict[str, str]] = {}
    for plan in plan_cohort(anchor):
        record, _ = _records(plan, anchor, monkeypatch)
        periods = tuple(
            (
                anchor - timedelta(days=p.start),
                None if p.end is None else anchor - timedelta(days=p.end),
            )
            for p in plan.spec.periods
        )
        status = health_status(ChildFacts(plan.born, periods), record.entries, day)
        states[plan.spec.local_id] = {
            "iha": status.initial_health_assessment.state,
            "rha": status.review_health_assessment.state,
            "dental": status.dental_check.state,
            "sdq": status.sdq.state,
        }
        assert status.lead_health_professional is not None
        if plan.spec.periods[-1].end is None and plan.spec.local_id != "DEMO08":
            assert status.health_plan_agreed is not None
    assert states["DEMO08"]["iha"] == "overdue"
    assert states["DEMO01"]["iha"] == "late" and states["DEMO12"]["iha"] == "late"
    assert states["DEMO07"]["rha"] == "overdue"
    assert states["DEMO05"]["dental"] == "overdue"
    assert states["DEMO03"] == dict.fromkeys(states["DEMO03"], "not_looked_after")
    on_time = {"DEMO02", "DEMO04", "DEMO06", "DEMO09", "DEMO10", "DEMO11"}
    assert all(states[c]["iha"] == "in_time" for c in on_time)
    overdue = {c for c, s in states.items() if "overdue" in s.values()}
    assert overdue == {"DEMO05", "DEMO07", "DEMO08"}, states


@pytest.mark.parametrize("anchor", ANCHORS, ids=str)
def test_the_education_histories_show_what_the_summary_says(
    anchor: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = anchor - timedelta(days=1)
    window = year_before(anchor)[0]
    moved, peps, schooled = set(), {}, set()
    for plan in plan_cohort(anchor):
        _, record = _records(plan, anchor, monkeypatch)
        looked_after = plan.spec.periods[-1].end is None
        if record is None:
            assert not looked_after or age_on(plan.born, anchor) < 5
            continue
        schooled.add(plan.spec.local_id)
        assert looked_after
        # Education states the mid-year moves the plan knows of, none in the summer window.
        assert list(record.state.mid_year_moves) == plan.school_moves
        assert not any((7, 20) <= (d.month, d.day) <= (9, 30) for d in plan.school_moves)
        since = anchor - timedelta(days=plan.spec.periods[-1].start)
        if any(since <= d and window <= d for d in plan.school_moves):
            moved.add(plan.spec.local_id)
        status = status_on(record.state, day, ENGLAND, since)
        peps[plan.spec.local_id] = status.pep
        assert status.current_school is not None and status.pupil_premium_plus
        if plan.spec.local_id == "DEMO01":
            assert len(record.state.exclusions) == 1
    assert moved == {"DEMO01", "DEMO02", "DEMO05"}
    assert {c for c, pep in peps.items() if pep != "current"} == {"DEMO10"}
    assert peps["DEMO10"] == "overdue"
    school_age = {"DEMO01", "DEMO02", "DEMO05", "DEMO06", "DEMO07", "DEMO08", "DEMO10", "DEMO12"}
    assert school_age | {"DEMO09"} == schooled
