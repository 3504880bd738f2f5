"""Health domain: a child's health record and the health timescales, in plain Python."""

from __future__ import annotations

from services.health.domain.model import ChildFacts, Entry, HealthRecord, Kind
from services.health.domain.status import HealthStatus, HealthTimescales, health_status

__all__ = [
    "ChildFacts",
    "Entry",
    "HealthRecord",
    "HealthStatus",
    "HealthTimescales",
    "Kind",
    "health_status",
]
