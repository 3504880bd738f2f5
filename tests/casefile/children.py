"""The children the casefile domain tests are about, built on the `Child` aggregate itself."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from services.casefile.domain import Child

from .conftest import BORN, CARE_STARTS, REGISTERED


def registered_amira(registration_date: date = REGISTERED) -> Child:
    """Amira (born 1 March 2015), registered (2 January 2024 unless said) and not yet in care."""
    return Child.register(
        local_child_id="AMIRA01",
        date_of_birth=BORN,
        sex="F",
        ethnicity="BAFR",
        registration_date=registration_date,
    )


def amira(period_id: UUID | None = None) -> Child:
    """Amira, looked after from 8 January 2024 (C1, N1), in `period_id` (a fresh id unless said)."""
    child = registered_amira()
    child.start_period_of_care(
        period_id=period_id or uuid4(),
        start_date=CARE_STARTS,
        legal_status="C1",
        category_of_need="N1",
    )
    return child
