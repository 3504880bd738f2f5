"""The demo cohort loader: sends the plan to the running services over HTTP, as a client would.

`belonging dev up` calls `seed(base_urls, token_for)` (the `belonging.demo`
entry point) once the services are healthy. Loading twice records nothing
twice; docs/demo-cohort.md says how.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

import httpx

from shared import dates
from shared.cli.app import command_name
from shared.demo.cohort import (
    COHORT,
    LAC_NURSE,
    PERFORMANCE,
    PERSONAL_ADVISER,
    TEAM_MANAGER,
    VIRTUAL_SCHOOL,
)
from shared.demo.plan import (
    CaseStep,
    ChildPlan,
    Json,
    PlacementStep,
    ServiceStep,
    idempotency_key,
    plan_cohort,
)

#: How long the placements service may take to learn a child's periods of care.
LEARN_TIMEOUT = 20.0
POLL_INTERVAL = 0.2
REQUEST_TIMEOUT = 30.0

#: The problem type of a caller not related to the child (shared.auth.dependencies).
NOT_RELATED = "urn:belonging:problem:not-related"
#: The problem type of an Idempotency-Key sent again with another body.
KEY_REUSED = "urn:belonging:problem:idempotency-key-reused"
#: The problem type of a service whose view of casefile is still catching up (ADR 0019).
NOT_CAUGHT_UP = "urn:belonging:problem:not-caught-up"
#: Read-your-writes headers (shared/read_your_writes.py).
POSITION_HEADER = "Belonging-Position"
WAIT_FOR_HEADER = "Belonging-Wait-For"

TokenFor = Callable[[str, str], str]


class DemoError(RuntimeError):
    """A service refused part of the demo cohort; the message says which child and step."""


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
        self.health = (base_urls.get("health") or "").rstrip("/") or None
        self.education = (base_urls.get("education") or "").rstrip("/") or None
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

    def read_json(self, doing: str, url: str, actor: tuple[str, str], **params: str) -> Json:
        """The body of a GET that must answer 200; else a DemoError naming what it was doing."""
        response = self.get(url, actor, **params)
        if response.status_code != 200:
            raise _fail(doing, response)
        body: Json = response.json()
        return body

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
        key = idempotency_key(child.spec.local_id, step.name)
        what = f"{child.spec.local_id} {step.name}"
        for actor in candidates:
            response = self._post_case(url, step.body, actor, key, child.version, bool(step.path))
            if response.status_code == 403 and _problem(response).get("type") == NOT_RELATED:
                continue
            if response.status_code >= 300:
                raise _fail(what, response)
            child.version = _etag(response)
            position = _position(response, "casefile")
            if position is not None:
                child.position = max(position, child.position or 0)
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
        return self._placements_read(child, "placements", "reading placements")

    def child_stability(self, child: ChildPlan, as_of: date) -> Json | None:
        return self._placements_read(
            child, "stability", "reading stability", as_of=as_of.isoformat()
        )

    def _placements_read(
        self, child: ChildPlan, resource: str, doing: str, **params: str
    ) -> Json | None:
        """One of the child's placements resources; None if placements knows nothing yet."""
        assert self.placements is not None
        url = f"{self.placements}/v1/children/{child.child_id}/{resource}"
        response = self.get(url, TEAM_MANAGER, **params)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise _fail(f"{child.spec.local_id} {doing}", response)
        body: Json = response.json()
        return body

    def wait_until(self, what: str, ready: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if time.monotonic() > deadline:
                raise DemoError(f"{what}: not seen within {timeout:.0f}s")
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
            headers = self.headers(TEAM_MANAGER, idempotency_key(child.spec.local_id, step.name))
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
        return self.read_json(
            "reading the council's stability figures", url, TEAM_MANAGER, as_of=as_of.isoformat()
        )

    # ------------------------------------------------------------------ health and education

    def record_marks(self, child: ChildPlan, service: str) -> tuple[set[str], int | None]:
        """What the child's health or education record already shows (ServiceStep.mark),
        and its version (None: nothing recorded yet)."""
        if service == "health":
            assert self.health is not None
            url, actor = f"{self.health}/v1/children/{child.child_id}/health", LAC_NURSE
        else:
            assert self.education is not None
            url = f"{self.education}/v1/children/{child.child_id}/education"
            actor = VIRTUAL_SCHOOL
        response = self.get(url, actor)
        if response.status_code in (403, 404):  # nothing recorded, or not learnt the child yet
            return set(), None
        if response.status_code != 200:
            raise _fail(f"{child.spec.local_id} reading the {service} record", response)
        body: Json = response.json()
        return _marks(service, body), int(body["version"])

    def load_service(self, child: ChildPlan, service: str) -> int:
        """Sends the child's health or education writes the record lacks; returns how many
        changed the record (a write sent again that the service finds recorded does not)."""
        steps = child.health if service == "health" else child.education
        if not steps:
            return 0
        done, version = self.record_marks(child, service)
        base = self.health if service == "health" else self.education
        assert base is not None
        added = 0
        for step in steps:
            if step.mark is not None and step.mark in done:
                continue
            now = self._post_service(child, f"{base}/v1/children/{child.child_id}", step, service)
            # A write the service finds recorded answers the record's version, or
            # (answered again from its Idempotency-Key) the version it made then.
            if now is not None and (version is None or now > version):
                added += 1
                version = now
        return added

    def _post_service(
        self, child: ChildPlan, base: str, step: ServiceStep, service: str
    ) -> int | None:
        """One write as its natural author, else as the service's council-wide recorder.

        The service may not have learnt the child (or their period of care) from
        casefile yet: the request names casefile's position so the service waits
        for it, and a 503 not-caught-up (or a 403 while the relationship is still
        on its way) is asked again, within LEARN_TIMEOUT.
        """
        fallback = LAC_NURSE if service == "health" else VIRTUAL_SCHOOL
        actors = [step.who] + ([fallback] if step.who != fallback else [])
        key = idempotency_key(child.spec.local_id, step.name)
        what = f"{child.spec.local_id} {step.name}"
        deadline = time.monotonic() + LEARN_TIMEOUT
        while True:
            for actor in actors:
                headers = self.headers(actor, key)
                if child.position is not None:
                    headers[WAIT_FOR_HEADER] = f"casefile={child.position}"
                response = self.http.post(base + step.path, json=step.body, headers=headers)
                not_related = (
                    response.status_code == 403 and _problem(response).get("type") == NOT_RELATED
                )
                if not not_related:
                    break
            if response.status_code < 300:
                return _etag(response)
            retry = not_related or response.status_code in (409, 503)
            if retry and time.monotonic() < deadline:
                time.sleep(POLL_INTERVAL if response.status_code != 503 else 1.0)
                continue
            raise _fail(what, response)

    def casefile_summary(self, child: ChildPlan, as_of: date) -> Json:
        url = f"{self.casefile}/v1/children/{child.child_id}"
        doing = f"{child.spec.local_id} reading the case"
        summary: Json = self.read_json(doing, url, PERFORMANCE, as_of=as_of.isoformat())["summary"]
        return summary

    def health_scorecard(self, as_of: date) -> Json:
        assert self.health is not None
        url = f"{self.health}/v1/health/scorecard"
        doing = "reading the health scorecard"
        return self.read_json(doing, url, LAC_NURSE, as_of=as_of.isoformat())

    def education_status(self, child: ChildPlan, as_of: date) -> Json:
        assert self.education is not None
        url = f"{self.education}/v1/children/{child.child_id}/education/status"
        doing = f"{child.spec.local_id} reading the education status"
        return self.read_json(doing, url, VIRTUAL_SCHOOL, as_of=as_of.isoformat())

    def education_council(self, as_of: date) -> Json:
        assert self.education is not None
        url = f"{self.education}/v1/education/status"
        doing = "reading the council's education status"
        return self.read_json(doing, url, VIRTUAL_SCHOOL, as_of=as_of.isoformat())


def _position(response: httpx.Response, service: str) -> int | None:
    """The `Belonging-Position` of a write, for one service (None if it gave none)."""
    for part in response.headers.get(POSITION_HEADER, "").split(","):
        name, _, value = part.strip().partition("=")
        if name == service and value.isdigit():
            return int(value)
    return None


def _marks(service: str, record: Json) -> set[str]:
    """The ServiceStep marks a health or education record shows."""
    if service == "health":
        return {f"entry/{e['entry_id']}" for e in record["entries"] if not e["voided"]}
    marks = {f"enrolment/{e['enrolment_id']}" for e in record["enrolments"]}
    marks |= {f"pep/{p['pep_id']}" for p in record["peps"]}
    for review in record["pep_reviews"]:
        marks.add(f"review/{review['review_id']}")
        if review["rating"] is not None:
            marks.add(f"rating/{review['review_id']}/{review['rating']}")
    marks |= {
        f"attendance/{a['urn']}/{a['period_start']}/{a['period_end']}" for a in record["attendance"]
    }
    marks |= {
        f"exclusion/{x['urn']}/{x['kind']}/{x['start_date']}"
        for x in record["exclusions"]
        if not x["voided"]
    }
    return marks


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


def seed(base_urls: dict[str, str], token_for: TokenFor) -> str:
    """Load the demo cohort (idempotently) and say where to look at it."""
    today = dates.today()
    loader = Loader(base_urls, token_for)
    try:
        anchor = loader.anchor(today)
        children = plan_cohort(anchor)
        for child in children:
            loader.load_case(child)
        if loader.placements is None:
            return (
                f"Demo cohort: {len(children)} children in casefile (no placements service "
                "running, so no placements)."
            )
        sent = {"placements": sum(loader.load_placements(child) for child in children)}
        for service in ("health", "education"):
            if getattr(loader, service) is not None:
                sent[service] = sum(loader.load_service(child, service) for child in children)
        _wait_for_followers(loader, children, anchor)
        figures = loader.council_stability(today)
        health = loader.health_scorecard(today) if loader.health is not None else None
        education = loader.education_council(today) if loader.education is not None else None
    finally:
        loader.close()
    return _summary(children, figures, health, education, base_urls, today, anchor, sent)


def _wait_for_followers(loader: Loader, children: list[ChildPlan], anchor: date) -> None:
    """Wait until what other services learn from the writes is in their read models.

    Each projection applies its stream in order, so the last child's fact being
    there means every earlier one is.
    """
    # The stability figures come from the placement spans projection.
    last = next((c for c in reversed(children) if c.current_placement is not None), None)
    if last is not None:
        expected = str(last.current_placement)

        def caught_up() -> bool:
            seen = loader.child_stability(last, anchor)
            return seen is not None and seen["current_placement_id"] == expected

        loader.wait_until("the latest placement", caught_up, LEARN_TIMEOUT)
    # Casefile learns completed health assessments (its case summary's dates).
    assessed = [
        (c, max(s.when for s in c.health if s.path.endswith("assessments")))
        for c in children
        if loader.health is not None and any(s.path.endswith("assessments") for s in c.health)
    ]
    if assessed:
        child, day = assessed[-1]
        loader.wait_until(
            f"{child.spec.local_id}'s health assessment of {day}",
            lambda: (
                loader.casefile_summary(child, day)["last_health_assessment"] == day.isoformat()
            ),
            LEARN_TIMEOUT,
        )
    # Placements learns each child's school record and mid-year moves from education.
    schooled = [c for c in children if c.education]
    if schooled and loader.education is not None:
        child = schooled[-1]
        window_start = dates.year_before(anchor)[0]
        moves = sorted(d.isoformat() for d in child.school_moves if d >= window_start)

        def learnt() -> bool:
            seen = loader.child_stability(child, anchor)
            if seen is None or seen["mid_year_school_moves"] is None:
                return False
            return sorted(seen["mid_year_school_moves"]) == moves

        loader.wait_until(f"{child.spec.local_id}'s school record", learnt, LEARN_TIMEOUT)
    # Education's own read model of its PEPs (what its council status counts): the
    # last PEP meeting written, of the last child, is there.
    with_peps = [c for c in schooled if any(_is_pep_meeting(s) for s in c.education)]
    if with_peps and loader.education is not None:
        child = with_peps[-1]
        held = max(s.when for s in child.education if _is_pep_meeting(s)).isoformat()
        loader.wait_until(
            f"{child.spec.local_id}'s PEP meeting of {held}",
            lambda: loader.education_status(child, anchor)["last_pep_meeting"] == held,
            LEARN_TIMEOUT,
        )


def _is_pep_meeting(step: ServiceStep) -> bool:
    """A PEP started or reviewed (not its rating)."""
    path = step.path
    return path == "/peps" or (path.startswith("/peps/") and path.endswith("/reviews"))


def _summary(
    children: list[ChildPlan],
    figures: Json,
    health: Json | None,
    education: Json | None,
    base_urls: Mapping[str, str],
    today: date,
    anchor: date,
    sent: Mapping[str, int],
) -> str:
    casefile = base_urls["casefile"].rstrip("/")
    placements = base_urls["placements"].rstrip("/")
    looked_after = sum(1 for c in children if c.spec.periods[-1].end is None)
    first, leaver = children[0], next(c for c in children if c.spec.care_leaver and c.placements)
    by_id = {c.spec.local_id: c for c in children}
    stories = {c.spec.local_id: c.spec.story for c in children}
    index = figures["stability_index"]
    cli = command_name()

    def token(role: str, user: str) -> str:
        return f'"Authorization: Bearer $({cli} token --role {role} --user {user})"'

    tm = token(*TEAM_MANAGER)
    sw = token("social_worker", "sw.demo")
    added = ", ".join(f"{n} {service}" for service, n in sent.items() if n)
    loaded = f" ({added} writes added)" if added else " (already loaded: nothing to add)"
    ids = f"{children[0].spec.local_id}-{children[-1].spec.local_id}"
    school = index.get("school_moves")
    school_text = _share(school) if school else "not available"
    lines = [
        f"Demo cohort: {len(children)} children ({ids}), {looked_after} looked after "
        f"today, dates up to {anchor - timedelta(days=1)}{loaded}.",
        f"  DEMO02 {stories['DEMO02']}; DEMO03 {stories['DEMO03']}; DEMO04 {stories['DEMO04']}.",
        f"Placement stability on {today} (placements GET /v1/stability?as_of={today}):",
        f"  short-term, 3+ placements in 12 months: {_share(figures['short_term'])}; "
        f"long-term: {_share(figures['long_term'])}",
        f"  Stability Index: placement moves {_share(index['placement_moves'])}, "
        f"school moves {school_text}, "
        f"social worker changes {_share(index['social_worker_changes'])}",
    ]
    if health is not None:
        lines += [
            f"Health on {today} (health GET /v1/health/scorecard, /v1/health/deadlines): "
            f"IHA in time {_share(health['iha_in_time'])}, RHA up to date "
            f"{_share(health['rha_up_to_date'])}, dental {_share(health['dental_up_to_date'])}, "
            f"SDQ in the last year {_share(health['sdq_in_last_year'])}; "
            "DEMO08's IHA is overdue, DEMO07's RHA and DEMO05's dental check too.",
        ]
    if education is not None:
        local = {c.child_id: c.spec.local_id for c in children}
        overdue = sorted(
            local.get(c["child_id"], c["child_id"])
            for c in education["children"]
            if c["pep"] == "overdue"
        )
        lines += [
            f"Education on {today} (education GET /v1/education/status): "
            f"PEPs overdue {education['pep_overdue']} ({', '.join(overdue) or 'none'}), due "
            f"{education['pep_due']}; {education['with_mid_year_moves']} children with mid-year "
            "school moves this school year (DEMO01, DEMO02 and DEMO05 moved school in the last "
            "12 months); DEMO01 was suspended for two days.",
        ]
    lines += [
        "Try:",
        f'  curl -s -H {tm} "{placements}/v1/stability?as_of={today}"',
        f"  curl -s -H {tm} {placements}/v1/children/{first.child_id}/stability",
        f"  curl -s -H {tm} {placements}/v1/children/{leaver.child_id}/placements",
        f"  curl -s -H {sw} {casefile}/v1/children/{first.child_id}",
    ]
    if health is not None:
        nurse = token(*LAC_NURSE)
        url = base_urls["health"].rstrip("/")
        lines += [
            f"  curl -s -H {nurse} {url}/v1/health/deadlines",
            f"  curl -s -H {nurse} {url}/v1/children/{by_id['DEMO08'].child_id}/health/status",
        ]
    if education is not None:
        school_token = token(*VIRTUAL_SCHOOL)
        url = base_urls["education"].rstrip("/")
        lines.append(
            f"  curl -s -H {school_token} {url}/v1/children/{first.child_id}/education/status"
        )
    return "\n".join(lines)
