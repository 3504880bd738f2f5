"""Fixtures for casefile unit tests: the application on the library's in-memory store.

No servers: `PERSISTENCE_MODULE` is cleared, so `Casefile()` uses the plain
Python objects store the library ships (what the brief calls POPO).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

import pytest

from services.casefile.application import Casefile

#: Amira, born 1 March 2015, registered 2 January 2024.
BORN = date(2015, 3, 1)
REGISTERED = date(2024, 1, 2)
#: She becomes looked after on Monday 8 January 2024 under an interim care order.
CARE_STARTS = date(2024, 1, 8)


@dataclass
class Case:
    app: Casefile
    child_id: UUID
    period_id: UUID

    @property
    def version(self) -> int:
        return self.app.get_case(self.child_id).version


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Casefile:
    monkeypatch.delenv("PERSISTENCE_MODULE", raising=False)
    return Casefile()


@pytest.fixture
def child_id(app: Casefile) -> UUID:
    return app.register_child(
        local_child_id="AMIRA01",
        date_of_birth=BORN,
        sex="F",
        ethnicity="BAFR",
        registration_date=REGISTERED,
    )


@pytest.fixture
def case(app: Casefile, child_id: UUID) -> Case:
    """Amira, looked after from 8 January 2024 (C1 interim care order, N1 abuse or neglect)."""
    period_id = uuid4()
    app.start_period_of_care(
        child_id,
        period_id=period_id,
        start_date=CARE_STARTS,
        legal_status="C1",
        category_of_need="N1",
    )
    return Case(app, child_id, period_id)
