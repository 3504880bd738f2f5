"""Single-server suites run again, as they are, on the three-node cluster."""

from __future__ import annotations

import inspect
from typing import Any


def session_server_tests_of(module: Any, *fixtures: str) -> dict[str, Any]:
    """The tests of `module` that take one of `fixtures` (built on the session's
    server), by name: a cluster module takes them in, and its own fixtures
    (the cluster's `nats_url`) run them on the cluster."""
    return {
        name: value
        for name, value in sorted(vars(module).items())
        if name.startswith("test_")
        and callable(value)
        and any(f in inspect.signature(value).parameters for f in fixtures)
    }
