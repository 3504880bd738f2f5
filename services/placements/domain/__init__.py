"""Placements domain: a child's placement history and the placement stability rules.

Plain Python: no FastAPI, NATS or asyncpg. `model` holds the `PlacementHistory`
aggregate, `stability` the pure counting rules the read side calls.
"""

from __future__ import annotations

from services.placements.domain.errors import VersionConflict
from services.placements.domain.model import (
    Placement,
    PlacementHistory,
    PlacementSetting,
    StayingPut,
)
from services.placements.domain.period_of_care import PeriodOfCare

__all__ = [
    "PeriodOfCare",
    "Placement",
    "PlacementHistory",
    "PlacementSetting",
    "StayingPut",
    "VersionConflict",
]
