"""The services under contract test: the same fixtures as their own API tests.

`casefile_service` (tests/casefile/conftest.py) and `service`
(tests/placements/conftest.py) start each service in-process on the
session's real nats-server and PostgreSQL; they are reused here, not copied,
so the contract is tested against the service exactly as its tests run it.
"""

from __future__ import annotations

from casefile.conftest import casefile_service
from placements.conftest import relay_enabled, service

__all__ = ["casefile_service", "relay_enabled", "service"]
