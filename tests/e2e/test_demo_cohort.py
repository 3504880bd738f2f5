"""The demo cohort end to end: `belonging dev up --no-seed`, then `shared.demo.seed`, twice.

The stack runs as `make run` runs it (a subprocess on free ports with its own
data directory, as in tests/shared/test_dev_stack.py); the loader is called
here with the base URLs the stack printed and tokens from the stack's own dev
issuer, so its writes go through the real services, relay and projections.
The second load must record nothing: every child's case and placement history
stay at the same version and the figures do not move. Ctrl-C then stops it all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from devstack import CLI, READY, REPO_ROOT, DevUp

from shared import dates
from shared.auth.tokens import DevIssuer
from shared.demo import seed
from shared.demo.cohort import COHORT, MANAGED_TEAMS
from shared.projections.catalogue import all_projections

#: The stack, two loads (about 800 writes the first time) and a replay of every read model.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

#: Children whose health and education status the snapshot also holds.
STATUS_OF = ("DEMO01", "DEMO08")


@pytest.fixture
def stack() -> Iterator[DevUp]:
    # Our own scratch directory, not `tmp_path`: PostgreSQL run as root drops to
    # a user that must traverse every folder above its data (see test_dev_stack).
    work = Path(tempfile.mkdtemp(prefix="belonging-demo-"))
    dev = DevUp(REPO_ROOT, work / "data", "--no-seed")
    try:
        yield dev
    finally:
        dev.kill()
        shutil.rmtree(work, ignore_errors=True)


def _snapshot(http: httpx.Client, urls: dict[str, str], issuer: DevIssuer) -> dict[str, Any]:
    """Every demo child's case, placement, health and education versions, the health and
    education status of two of them, and the council's figures."""
    performance = {"Authorization": f"Bearer {issuer.mint('perf.demo', ['performance'])}"}
    teams = MANAGED_TEAMS["tm.demo"]
    manager = {"Authorization": f"Bearer {issuer.mint('tm.demo', ['team_manager'], teams=teams)}"}
    listed = http.get(f"{urls['casefile']}/v1/children", headers=performance, params={"limit": 500})
    assert listed.status_code == 200, listed.text
    children = [c for c in listed.json()["items"] if c["local_child_id"].startswith("DEMO")]
    versions: dict[str, tuple[int, int, int, int | None, int | None]] = {}
    status: dict[str, Any] = {}
    today = dates.today().isoformat()
    for child in children:
        case = http.get(f"{urls['casefile']}/v1/children/{child['child_id']}", headers=performance)
        history = http.get(
            f"{urls['placements']}/v1/children/{child['child_id']}/placements", headers=manager
        )
        assert case.status_code == 200 and history.status_code == 200, (case.text, history.text)
        placements = history.json()
        base = f"/v1/children/{child['child_id']}"
        health = http.get(f"{urls['health']}{base}/health", headers=manager)
        education = http.get(f"{urls['education']}{base}/education", headers=manager)
        assert health.status_code in (200, 404) and education.status_code in (200, 404)
        local = child["local_child_id"]
        versions[local] = (
            case.json()["version"],
            placements["version"],
            len(placements["placements"]),
            health.json()["version"] if health.status_code == 200 else None,
            education.json()["version"] if education.status_code == 200 else None,
        )
        if local in STATUS_OF:
            health_status = http.get(
                f"{urls['health']}{base}/health/status", headers=manager, params={"as_of": today}
            )
            education_status = http.get(
                f"{urls['education']}{base}/education/status",
                headers=manager,
                params={"as_of": today},
            )
            assert health_status.status_code == 200, health_status.text
            assert education_status.status_code == 200, education_status.text
            status[local] = {"health": health_status.json(), "education": education_status.json()}
    figures = http.get(
        f"{urls['placements']}/v1/stability",
        headers=manager,
        params={"as_of": dates.today().isoformat()},
    )
    assert figures.status_code == 200, figures.text
    scorecard = http.get(
        f"{urls['health']}/v1/health/scorecard", headers=manager, params={"as_of": today}
    )
    assert scorecard.status_code == 200, scorecard.text
    return {
        "children": versions,
        "status": status,
        "figures": figures.json(),
        "health": scorecard.json(),
    }


def test_the_demo_cohort_loads_once_and_moves_the_stability_figures(stack: DevUp) -> None:
    stack.wait_for(READY)
    urls = stack.base_urls()
    assert urls["casefile"].endswith(f":{stack.ports.port_base + 1}")
    issuer = DevIssuer(stack.data_dir / "dev-issuer")  # the issuer `dev up` made

    def token_for(role: str, user: str) -> str:
        return issuer.mint(user, [role], teams=MANAGED_TEAMS.get(user, ()))

    summary = seed(urls, token_for)
    assert f"{len(COHORT)} children" in summary and len(COHORT) == 12
    assert "/v1/stability?as_of=" in summary
    assert "belonging token --role team_manager --user tm.demo" in summary

    with httpx.Client(timeout=30) as http:
        first = _snapshot(http, urls, issuer)
        assert len(first["children"]) == 12
        short_term = first["figures"]["short_term"]
        assert short_term["denominator"] >= 10
        assert short_term["numerator"] >= 1
        assert f"{short_term['numerator']} of {short_term['denominator']}" in summary
        # The care leaver and the child placed for adoption have their histories.
        assert first["children"]["DEMO03"][2] == 2
        assert first["children"]["DEMO04"][2] == 3
        # Every child has a health record; the school-age children looked after, an
        # education record (not DEMO03, a care leaver, nor DEMO04 and DEMO11, under 5).
        assert all(v[3] is not None for v in first["children"].values())
        unschooled = {k for k, v in first["children"].items() if v[4] is None}
        assert unschooled == {"DEMO03", "DEMO04", "DEMO11"}
        demo01, demo08 = first["status"]["DEMO01"], first["status"]["DEMO08"]
        assert demo08["health"]["initial_health_assessment"]["state"] == "overdue"
        assert demo01["health"]["initial_health_assessment"]["state"] == "late"
        assert demo01["health"]["lead_health_professional"] == "sn.clarke"
        assert demo01["education"]["current_school"] is not None
        assert demo01["education"]["pep"] == "current"
        assert demo08["education"]["pep"] == "current"
        # Education's school records reach the Stability Index: DEMO01, 02 and 05 moved.
        school_moves = first["figures"]["stability_index"]["school_moves"]
        assert school_moves is not None and school_moves["numerator"] == 3, school_moves
        assert f"school moves {school_moves['numerator']} of" in summary
        iha = first["health"]["iha_in_time"]
        assert iha["numerator"] < iha["denominator"]
        assert f"IHA in time {iha['numerator']} of {iha['denominator']}" in summary
        assert "/v1/health/deadlines" in summary and "/education/status" in summary
        # DEMO10's PEP lapsed; the under-fives (DEMO04, DEMO11) are not of
        # compulsory school age, so no statutory PEP is due for them.
        assert "PEPs overdue 1 (DEMO10)" in summary, summary

        again = seed(urls, token_for)
        assert "12 children" in again and "already loaded: nothing to add" in again
        assert _snapshot(http, urls, issuer) == first

        # `belonging replay` rebuilds every projection the catalogue lists from
        # the first event, finds each equal to the live read model, and swaps it in.
        for service, projection in all_projections():
            replayed = subprocess.run(
                [*CLI, "replay", f"{service}.{projection.name}"],
                cwd=REPO_ROOT,
                env={
                    **os.environ,
                    "NATS_URL": f"nats://127.0.0.1:{stack.ports.nats}",
                    "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{stack.ports.postgres}/"
                    f"{service}",
                    "CIPHER_KEY": (stack.data_dir / "cipher.key").read_text().strip(),
                    "INTEGRATION_KEY": (stack.data_dir / "integration.key").read_text().strip(),
                    # The CLI connects as the NATS admin (services never do).
                    "NATS_NKEY_SEED": str(stack.data_dir / "nats-keys" / "admin.nk"),
                },
                capture_output=True,
                text=True,
                timeout=120,
            )
            output = replayed.stdout + replayed.stderr
            assert replayed.returncode == 0, output
            assert "events/s" in output and "swapped in" in output, output
            assert output.count(": same") == len(projection.tables), output
            assert "differ" not in output, output
        assert _snapshot(http, urls, issuer) == first

        # `belonging retention`: a record past retention is listed and erased
        # through casefile's API, with a records manager's token.
        writer = {
            "Authorization": f"Bearer {issuer.mint('sw.e2e', ['social_worker'])}",
            "Idempotency-Key": "e2e-old-child",
        }
        old = http.post(
            f"{urls['casefile']}/v1/children",
            headers=writer,
            json={
                "local_child_id": "E2EOLD1",
                "date_of_birth": "1940-02-28",
                "sex": "M",
                "ethnicity": "WBRI",
                "registration_date": "1941-01-02",
            },
        )
        assert old.status_code == 201, old.text
        old_id = old.json()["child_id"]
        cli_env = {
            **os.environ,
            "CASEFILE_URL": f"{urls['casefile']}/v1",
            "BELONGING_TOKEN": issuer.mint("rm.e2e", ["records_manager"]),
        }
        listed = subprocess.run(
            [*CLI, "retention", "due"],
            cwd=REPO_ROOT,
            env=cli_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listed.returncode == 0, listed.stdout + listed.stderr
        assert old_id in listed.stdout and "DEMO01" not in listed.stdout
        erased = subprocess.run(
            [*CLI, "retention", "erase", old_id, "--reason", "e2e ref 1", "--yes"],
            cwd=REPO_ROOT,
            env=cli_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert erased.returncode == 0, erased.stdout + erased.stderr
        assert "Erased" in erased.stdout
        gone = http.get(
            f"{urls['casefile']}/v1/children/{old_id}",
            headers={"Authorization": f"Bearer {issuer.mint('aud.e2e', ['auditor'])}"},
        )
        assert gone.status_code == 410, gone.text

        unknown = subprocess.run(
            [*CLI, "replay", "placements.no_such_projection"],
            cwd=REPO_ROOT,
            env={**os.environ, "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/x"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert unknown.returncode != 0
        assert "Traceback" not in unknown.stderr
        assert "casefile.casefile_children" in unknown.stdout + unknown.stderr

    assert stack.stop() == 0, stack.output
    assert "SIGINT: stopping the stack." in stack.output
    assert "Stopped services, PostgreSQL, NATS." in stack.output
