"""Queries over the placements read models, for commands, the relationship check and the API.

Synchronous (psycopg), for the worker threads the command handlers and the
relationship checker run in. SQL selects the rows of the children who could be
in a cohort; `domain.stability` does all the counting.
See docs/adr/0009-what-placements-learns-and-who-is-related.md.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from psycopg import Connection
from psycopg_pool import ConnectionPool

from services.placements.domain import PeriodOfCare
from services.placements.domain.stability import (
    ChildRecord,
    LegalStatus,
    PlacementSpan,
    social_worker_changes,
    year_window,
)
from services.placements.projections.break_glass import SCHEMA as GRANTS
from services.placements.projections.care_periods import SCHEMA as CARE
from services.placements.projections.placement_spans import SCHEMA as SPANS
from services.placements.projections.school_moves import SCHEMA as SCHOOLS
from shared.casefile_facts import CasefileQueries
from shared.observability.logs import get_logger

#: Date of birth, periods of care, legal statuses and allocations, by child.
CasefileFacts = tuple[
    dict[str, date],
    dict[str, list[PeriodOfCare]],
    dict[str, list[LegalStatus]],
    dict[str, list[tuple[date, str]]],
]
log = get_logger(__name__)


class ReadModels(CasefileQueries):
    """The placements read models, read through the service's connection pool.

    What casefile published (allocations, IRO appointments, break-glass grants)
    is read by the queries every service shares (`CasefileQueries`); the
    placements' own spans, legal statuses and cohorts are read here.
    """

    def __init__(
        self, pool: ConnectionPool[Connection[Any]], *, school_moves_connected: bool = False
    ) -> None:
        super().__init__(pool, CARE, GRANTS)
        #: Whether anything feeds `mid_year_school_moves` (the education service):
        #: until then every child's school moves are unknown (None), not none.
        self.school_moves_connected = school_moves_connected

    def ping(self) -> bool:
        with self.pool.connection() as conn:
            return conn.execute("SELECT 1").fetchone() == (1,)

    # ------------------------------------------------------------- one child

    def periods_of_care_of(self, child_id: UUID | str) -> list[PeriodOfCare]:
        """The child's periods of care as casefile published them, earliest first."""
        return [PeriodOfCare(start, end) for start, end in self.periods_of_care(child_id)]

    def legal_status_on(self, child_id: UUID | str, day: date) -> str | None:
        """The legal status (SSDA903 LS) in force on `day`, if the child was looked after."""
        rows = self._rows(
            f"SELECT l.legal_status FROM {CARE}.legal_statuses l "
            f"JOIN {CARE}.periods_of_care p USING (child_id, period_id) "
            "WHERE l.child_id = %s AND l.effective_date <= %s AND p.start_date <= %s "
            "AND (p.end_date IS NULL OR p.end_date > %s) "
            "ORDER BY l.effective_date DESC LIMIT 1",
            str(child_id),
            day,
            day,
            day,
        )
        return str(rows[0][0]) if rows else None

    def child_record(
        self, child_id: UUID | str, recorded_by: datetime | None = None
    ) -> ChildRecord | None:
        """Everything the stability rules need about one child, or None if casefile never
        registered them. With `recorded_by`, the placements as recorded by then (ADR 0018)."""
        records = self._records([str(child_id)], recorded_by)
        return records[0] if records else None

    # -------------------------------------------------------------- cohorts

    def cohort(
        self, first: date, last: date, recorded_by: datetime | None = None
    ) -> list[ChildRecord]:
        """Every child with a period of care touching `first`..`last` (both included).

        A superset of every cohort on any day in the range (the children looked
        after on that day); the domain decides who is in which cohort. With
        `recorded_by`, each child's placements as recorded by then.
        """
        ids = [
            str(row[0])
            for row in self._rows(
                f"SELECT DISTINCT child_id FROM {CARE}.periods_of_care "
                "WHERE start_date <= %s AND (end_date IS NULL OR end_date >= %s) "
                "ORDER BY child_id",
                last,
                first,
            )
        ]
        return self._records(ids, recorded_by)

    def _span_rows(self, ids: list[str], recorded_by: datetime | None) -> list[tuple[Any, ...]]:
        """Each child's placement rows: as they stand, or as recorded by `recorded_by`."""
        columns = "child_id, placement_id, start_date, end_date, placement_type, carer_id, postcode"
        if recorded_by is None:
            return self._rows(
                f"SELECT {columns} FROM {SPANS}.placement_spans "
                "WHERE child_id = ANY(%s) ORDER BY child_id, start_date, placement_id",
                ids,
            )
        if recorded_by.tzinfo is None:
            recorded_by = recorded_by.replace(tzinfo=UTC)
        return self._rows(
            f"SELECT {columns} FROM ("
            f"SELECT DISTINCT ON (placement_id) {columns}, voided "
            f"FROM {SPANS}.placement_span_history "
            "WHERE child_id = ANY(%s) AND recorded_at <= %s "
            "ORDER BY placement_id, seq DESC) AS stood WHERE NOT voided "
            "ORDER BY child_id, start_date, placement_id",
            ids,
            recorded_by,
        )

    def _casefile_facts_now(self, ids: list[str]) -> CasefileFacts:
        """What casefile has told placements about these children, as it stands."""
        births = dict(
            self._rows(
                f"SELECT child_id, date_of_birth FROM {CARE}.children WHERE child_id = ANY(%s)",
                ids,
            )
        )
        periods: dict[str, list[PeriodOfCare]] = defaultdict(list)
        for child, start, end in self._rows(
            f"SELECT child_id, start_date, end_date FROM {CARE}.periods_of_care "
            "WHERE child_id = ANY(%s) ORDER BY child_id, start_date",
            ids,
        ):
            periods[child].append(PeriodOfCare(start, end))
        statuses: dict[str, list[LegalStatus]] = defaultdict(list)
        for child, day, legal_status in self._rows(
            f"SELECT child_id, effective_date, legal_status FROM {CARE}.legal_statuses "
            "WHERE child_id = ANY(%s) ORDER BY child_id, effective_date",
            ids,
        ):
            statuses[child].append(LegalStatus(day, legal_status))
        allocations: dict[str, list[tuple[date, str]]] = defaultdict(list)
        for child, day, worker in self._rows(
            f"SELECT child_id, effective_date, social_worker_id FROM "
            f"{CARE}.social_worker_allocations WHERE child_id = ANY(%s) ORDER BY child_id, seq",
            ids,
        ):
            allocations[child].append((day, worker))
        return births, periods, statuses, allocations

    def _casefile_facts(self, ids: list[str], recorded_by: datetime) -> CasefileFacts:
        """The same, as casefile had recorded them by `recorded_by` (ADR 0018).

        Folds the facts placements took (`learned_facts`, in the order taken)
        the way `CarePeriods` applies them, keeping those recorded by then.
        """
        if recorded_by.tzinfo is None:
            recorded_by = recorded_by.replace(tzinfo=UTC)
        births: dict[str, date] = {}
        starts: dict[str, dict[str, tuple[date, date | None]]] = defaultdict(dict)
        status_by_day: dict[str, dict[tuple[str, date], str]] = defaultdict(dict)
        allocations: dict[str, list[tuple[date, str]]] = defaultdict(list)
        for child, event_type, facts in self._rows(
            f"SELECT child_id, event_type, facts FROM {CARE}.learned_facts "
            "WHERE child_id = ANY(%s) AND recorded_at <= %s ORDER BY seq",
            ids,
            recorded_by,
        ):
            data = facts if isinstance(facts, dict) else json.loads(facts)
            kind = event_type.rsplit(".v", 1)[0]
            if kind in ("child.registered", "child.details-corrected"):
                births[child] = date.fromisoformat(data["date_of_birth"])
            elif kind == "period-of-care.started":
                start = date.fromisoformat(data["start_date"])
                starts[child][data["period_id"]] = (start, None)
                status_by_day[child][(data["period_id"], start)] = data["legal_status"]
            elif kind == "period-of-care.legal-status-changed" and data.get("effective_date"):
                day = date.fromisoformat(data["effective_date"])
                status_by_day[child][(data["period_id"], day)] = data["legal_status"]
            elif kind == "period-of-care.ended" and data["period_id"] in starts[child]:
                start, _ = starts[child][data["period_id"]]
                starts[child][data["period_id"]] = (start, date.fromisoformat(data["end_date"]))
            elif kind == "social-worker.allocated" and data.get("effective_date"):
                day = date.fromisoformat(data["effective_date"])
                allocations[child].append((day, data["social_worker_id"]))
        periods: dict[str, list[PeriodOfCare]] = defaultdict(list)
        for child, by_period in starts.items():
            for start, end in sorted(by_period.values()):
                periods[child].append(PeriodOfCare(start, end))
        statuses: dict[str, list[LegalStatus]] = defaultdict(list)
        for child, by_day in status_by_day.items():
            for (_, day), legal_status in sorted(by_day.items(), key=lambda item: item[0][1]):
                statuses[child].append(LegalStatus(day, legal_status))
        return births, periods, statuses, allocations

    def _school_moves(
        self, ids: list[str], recorded_by: datetime | None
    ) -> tuple[dict[str, list[date]], dict[str, date]]:
        """Each child's mid-year school moves and where education's record of them starts.

        A child education holds no record for has unknown school moves, not none.
        With `recorded_by`: education's latest statement recorded by then (ADR 0018).
        """
        moves: dict[str, list[date]] = defaultdict(list)
        if recorded_by is not None:
            if recorded_by.tzinfo is None:
                recorded_by = recorded_by.replace(tzinfo=UTC)
            starts: dict[str, date] = {}
            for child, start, days in self._rows(
                f"SELECT DISTINCT ON (child_id) child_id, school_record_from, moves "
                f"FROM {SCHOOLS}.school_statements WHERE child_id = ANY(%s) "
                "AND recorded_at <= %s ORDER BY child_id, seq DESC",
                ids,
                recorded_by,
            ):
                moves[child] = sorted(days)
                if start is not None:
                    starts[child] = start
            return moves, starts
        for child, day in self._rows(
            f"SELECT child_id, move_date FROM {SCHOOLS}.mid_year_school_moves "
            "WHERE child_id = ANY(%s) ORDER BY child_id, move_date",
            ids,
        ):
            moves[child].append(day)
        records = dict(
            self._rows(
                f"SELECT child_id, school_record_from FROM {SCHOOLS}.school_records "
                "WHERE child_id = ANY(%s) AND school_record_from IS NOT NULL",
                ids,
            )
        )
        return moves, records

    def _records(
        self, ids: Sequence[str], recorded_by: datetime | None = None
    ) -> list[ChildRecord]:
        if not ids:
            return []
        ids = list(ids)
        if recorded_by is not None:
            births, periods, statuses, allocations = self._casefile_facts(ids, recorded_by)
        else:
            births, periods, statuses, allocations = self._casefile_facts_now(ids)
        spans: dict[str, list[PlacementSpan]] = defaultdict(list)
        for child, placement_id, start, end, place, carer, postcode in self._span_rows(
            ids, recorded_by
        ):
            spans[child].append(
                PlacementSpan(
                    placement_id=placement_id,
                    start=start,
                    end=end,
                    placement_type=place,
                    carer_id=carer,
                    postcode=postcode,
                )
            )
        school_moves, school_records = self._school_moves(ids, recorded_by)
        records = []
        for child in ids:
            born = births.get(child)
            if born is None:
                # Casefile registers a child before any period of care starts, so
                # this is a read model still catching up; such a child cannot be
                # placed in an age-based cohort, and is left out rather than guessed.
                log.warning("stability_child_without_date_of_birth", child_id=child)
                continue
            records.append(
                ChildRecord(
                    child_id=child,
                    date_of_birth=born,
                    periods_of_care=tuple(periods[child]),
                    placements=tuple(spans[child]),
                    social_worker_changes=social_worker_changes(allocations[child]),
                    mid_year_school_moves=(
                        tuple(school_moves[child])
                        if self.school_moves_connected
                        and (child in school_records or school_moves[child])
                        else None
                    ),
                    school_record_from=school_records.get(child),
                    legal_statuses=tuple(statuses[child]),
                )
            )
        return records


def window_for(days: Iterable[date]) -> tuple[date, date]:
    """The earliest window start and latest day of the 12-month windows ending on `days`."""
    ordered = sorted(days)
    return year_window(ordered[0])[0], ordered[-1]
