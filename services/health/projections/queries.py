"""Queries over the health read models, for commands, the relationship check and the API.

Synchronous (psycopg), for the worker threads the handlers run in. What casefile
told this service is `shared.casefile_facts` (schema `health_casefile`), the
break-glass grants `health_break_glass`, this service's entries `health_entries`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from psycopg import Connection
from psycopg_pool import ConnectionPool

from services.health.domain import ChildFacts, Entry, Kind
from services.health.projections.entries import SCHEMA as ENTRIES
from shared.casefile_facts import CasefileQueries

FACTS = "health_casefile"
GRANTS = "health_break_glass"


class ReadModels(CasefileQueries):
    """The health read models, read through the service's connection pool."""

    def __init__(
        self, pool: ConnectionPool[Connection[Any]], *, fhir_max_entries: int = 500
    ) -> None:
        super().__init__(pool, FACTS, GRANTS)
        #: The most entries `POST /v1/fhir` reads from one Bundle (`HealthSettings`).
        self.fhir_max_entries = fhir_max_entries

    def lead_health_professional(self, child_id: UUID | str) -> str | None:
        """The professional named last (by date) and not taken out, from the entries."""
        rows = self._rows(
            f"SELECT details->>'professional_id' FROM {ENTRIES}.health_entries "
            "WHERE child_id = %s AND kind = %s AND voided_at IS NULL "
            "ORDER BY day DESC, recorded_at DESC LIMIT 1",
            str(child_id),
            Kind.LEAD_PROFESSIONAL.value,
        )
        return str(rows[0][0]) if rows else None

    def ping(self) -> bool:
        with self.pool.connection() as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)

    def child_facts(self, child_id: UUID | str) -> ChildFacts | None:
        """What casefile published of the child; None if it has not registered them."""
        born = self.date_of_birth(child_id)
        if born is None:
            return None
        return ChildFacts(born, tuple(self.periods_of_care(child_id)))

    def cohort(
        self, day: date, recorded_by: datetime | None = None
    ) -> list[tuple[str, ChildFacts, list[Entry]]]:
        """Every child looked after on `day`, with their entries (as recorded by `recorded_by`)."""
        ids = [
            str(row[0])
            for row in self._rows(
                f"SELECT DISTINCT p.child_id FROM {FACTS}.periods_of_care p "
                f"JOIN {FACTS}.children c USING (child_id) "
                "WHERE p.start_date <= %s AND (p.end_date IS NULL OR p.end_date > %s) "
                "ORDER BY p.child_id",
                day,
                day,
            )
        ]
        if not ids:
            return []
        births = dict(
            self._rows(
                f"SELECT child_id, date_of_birth FROM {FACTS}.children WHERE child_id = ANY(%s)",
                ids,
            )
        )
        periods: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
        for child, start, end in self._rows(
            f"SELECT child_id, start_date, end_date FROM {FACTS}.periods_of_care "
            "WHERE child_id = ANY(%s) ORDER BY child_id, start_date",
            ids,
        ):
            periods[child].append((start, end))
        entries = self.entries(ids, recorded_by)
        return [
            (child, ChildFacts(births[child], tuple(periods[child])), entries.get(child, []))
            for child in ids
        ]

    def entries(
        self, ids: Sequence[str], recorded_by: datetime | None = None
    ) -> dict[str, list[Entry]]:
        if recorded_by is not None and recorded_by.tzinfo is None:
            recorded_by = recorded_by.replace(tzinfo=UTC)
        when = recorded_by or datetime.now(UTC)
        found: dict[str, list[Entry]] = defaultdict(list)
        for child, entry_id, kind, day, details in self._rows(
            f"SELECT child_id, entry_id, kind, day, details FROM {ENTRIES}.health_entries "
            "WHERE child_id = ANY(%s) AND recorded_at <= %s "
            "AND (voided_at IS NULL OR voided_at > %s) ORDER BY child_id, day, entry_id",
            list(ids),
            when,
            when,
        ):
            values = details if isinstance(details, dict) else json.loads(details)
            found[child].append(Entry(UUID(entry_id), Kind(kind), day, values))
        return found
