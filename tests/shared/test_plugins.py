"""Shared code finds the services through entry points and imports none of them."""

from __future__ import annotations

import re
from pathlib import Path

from shared import plugins
from shared.projections.catalogue import find
from shared.stack.nats_server import REPO_ROOT

IMPORTS_A_SERVICE = re.compile(r"^\s*(from|import)\s+services\b", re.MULTILINE)


def test_no_module_of_shared_imports_a_service() -> None:
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for path in Path(REPO_ROOT, "shared").rglob("*.py")
        if IMPORTS_A_SERVICE.search(path.read_text())
    ]
    assert offenders == []


def test_the_registered_services_are_the_service_packages_in_port_order() -> None:
    registered = plugins.services()
    packages = sorted(
        p.name
        for p in Path(REPO_ROOT, "services").iterdir()
        if p.is_dir() and (p / "__init__.py").exists()
    )
    assert sorted(s.name for s in registered) == packages
    assert [s.port_offset for s in registered] == list(range(1, len(registered) + 1))
    assert {s.name for s in registered if s.runnable} >= {"casefile", "placements"}


def test_an_unknown_projection_names_the_known_ones() -> None:
    try:
        find("no.such_projection")
    except LookupError as error:
        assert "casefile." in str(error) and "placements." in str(error)
    else:
        raise AssertionError("an unknown projection was found")
