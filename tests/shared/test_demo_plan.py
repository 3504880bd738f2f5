"""The demo cohort's plan, without servers: the same writes every run, in date order, none ahead.

A second `make run` sends the plan again under the same Idempotency-Keys, so a
plan that changed between runs (or between processes) would be refused as a
reused key; one that repeated an id or key would silently drop a write.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from datetime import date
from uuid import UUID

import pytest

from shared.dates import age_on
from shared.demo.cohort import COHORT
from shared.demo.plan import ChildPlan, idempotency_key, plan_cohort
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
    "c.known_when, c.current_placement) for c in plan_cohort(date(2026, 11, 30))"
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
        keys += [idempotency_key(plan.spec.local_id, name) for name in steps]
        for step in plan.case:
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
