"""The events of a `HealthRecord`, by name, for the projections and the relay."""

from __future__ import annotations

from typing import Any

from services.health.domain.model import HealthRecord

Opened: type[Any] = HealthRecord.Opened  # type: ignore[attr-defined]
EntryRecorded: type[Any] = HealthRecord.EntryRecorded  # type: ignore[attr-defined]
EntryVoided: type[Any] = HealthRecord.EntryVoided  # type: ignore[attr-defined]
