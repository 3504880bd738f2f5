"""The casefile domain: a child's case record as an event-sourced `Child` aggregate.

Plain Python and the `eventsourcing` domain model only: nothing of FastAPI, NATS
or asyncpg (STYLE.md rule 1).
"""

from __future__ import annotations

from services.casefile.domain.child import UNCHANGED, Child
from services.casefile.domain.summary import CaseSummary, case_summary
from services.casefile.domain.timescales import DEFAULT_TIMESCALES, StatutoryTimescales
from shared.dates import age_on

__all__ = [
    "DEFAULT_TIMESCALES",
    "UNCHANGED",
    "CaseSummary",
    "Child",
    "StatutoryTimescales",
    "age_on",
    "case_summary",
]
