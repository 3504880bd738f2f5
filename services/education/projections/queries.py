"""Queries over the education read models: relationships, feeds' matching, status on any date.

Synchronous (psycopg), for the worker threads the endpoints and the
relationship checker run in. Casefile's facts are queried as every service
queries them (`shared.casefile_facts.CasefileQueries`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from psycopg import Connection
from psycopg_pool import ConnectionPool

from services.education.domain import EducationState, EducationStatus, SchoolCalendar, status_on
from services.education.domain.scorecard import ChildFacts
from services.education.domain.status import PepTimescales
from services.education.projections.facts import SCHEMA as FACTS
from services.education.projections.pupil_numbers import SCHEMA as UPNS
from shared.casefile_facts import CasefileFacts, CasefileGrants, CasefileQueries

CASEFILE = "education_casefile"
GRANTS = "education_break_glass"


def casefile_facts() -> CasefileFacts:
    return CasefileFacts(CASEFILE)


def casefile_grants() -> CasefileGrants:
    return CasefileGrants(GRANTS)


class ReadModels(CasefileQueries):
    """The education read models, through the service's connection pool."""

    def __init__(
        self,
        pool: ConnectionPool[Connection[Any]],
        calendar: SchoolCalendar,
        timescales: PepTimescales = PepTimescales(),
    ) -> None:
        super().__init__(pool, CASEFILE, GRANTS)
        self.calendar = calendar
        self.timescales = timescales

    # ------------------------------------------------------------- who

    def child_by_upn_digest(self, digest: str) -> str | None:
        """The one child whose UPN has this digest; None if none (or, wrongly, several)."""
        rows = self._rows(
            f"SELECT child_id FROM {UPNS}.upn_digests WHERE digest = %s LIMIT 2", digest
        )
        return str(rows[0][0]) if len(rows) == 1 else None

    def looked_after_on(self, child_id: str, day: date) -> date | None:
        """The start of the period of care covering `day`, if the child was looked after."""
        for start, end in self.periods_of_care(child_id):
            if start <= day and (end is None or day < end):
                return start
        return None

    def designated_teacher(self, child_id: str, on: date) -> str | None:
        rows = self._rows(
            f"SELECT data->>'teacher_id' FROM {FACTS}.education_facts "
            "WHERE child_id = %s AND kind = 'DesignatedTeacherNamed' "
            "AND (data->>'effective_date')::date <= %s ORDER BY (data->>'effective_date')::date "
            "DESC, seq DESC LIMIT 1",
            child_id,
            on,
        )
        return str(rows[0][0]) if rows else None

    # ------------------------------------------------------------- status

    def states(
        self, child_ids: list[str], recorded_by: datetime | None = None
    ) -> dict[str, EducationState]:
        """Each child's record as state, folded from its events (recorded by `recorded_by`)."""
        if recorded_by is not None and recorded_by.tzinfo is None:
            recorded_by = recorded_by.replace(tzinfo=UTC)
        rows = self._rows(
            f"SELECT child_id, kind, data FROM {FACTS}.education_facts "
            "WHERE child_id = ANY(%s) AND (%s::timestamptz IS NULL OR recorded_at <= %s) "
            "ORDER BY child_id, seq",
            child_ids,
            recorded_by,
            recorded_by,
        )
        states: dict[str, EducationState] = defaultdict(EducationState)
        for child, kind, data in rows:
            facts = data if isinstance(data, dict) else json.loads(data)
            states[str(child)].apply(kind, facts)
        return dict(states)

    def status(
        self, child_id: str, as_of: date, recorded_by: datetime | None = None
    ) -> EducationStatus | None:
        """The child's education on `as_of`; None if nothing was recorded (by `recorded_by`)."""
        state = self.states([child_id], recorded_by).get(child_id)
        if state is None:
            return None
        return status_on(
            state,
            as_of,
            self.calendar,
            self.looked_after_on(child_id, as_of),
            self.timescales,
            date_of_birth=self.date_of_birth(child_id),
        )

    def looked_after_children(self, as_of: date) -> list[tuple[str, date]]:
        """(child, period start) for every child looked after on `as_of`."""
        return [
            (str(child), start)
            for child, start in self._rows(
                f"SELECT child_id, start_date FROM {CASEFILE}.periods_of_care "
                "WHERE start_date <= %s AND (end_date IS NULL OR end_date > %s) "
                "ORDER BY child_id",
                as_of,
                as_of,
            )
        ]

    def council(
        self, as_of: date, recorded_by: datetime | None = None
    ) -> list[tuple[str, EducationStatus]]:
        """Every child looked after on `as_of`, with their education status (empty record: none)."""
        cohort = self.looked_after_children(as_of)
        children = [child for child, _ in cohort]
        states = self.states(children, recorded_by)
        births = dict(
            self._rows(
                f"SELECT child_id, date_of_birth FROM {CASEFILE}.children WHERE child_id = ANY(%s)",
                children,
            )
        )
        return [
            (
                child,
                status_on(
                    states.get(child, EducationState()),
                    as_of,
                    self.calendar,
                    since,
                    self.timescales,
                    date_of_birth=births.get(child),
                ),
            )
            for child, since in cohort
        ]

    def scorecard_children(
        self, since: date, as_of: date, recorded_by: datetime | None = None
    ) -> list[ChildFacts]:
        """Every child looked after on any day from `since` to `as_of`, with their date of
        birth, all their periods of care and their record as state (recorded by `recorded_by`;
        casefile's facts are as they stand now)."""
        periods: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
        for child, start, end in self._rows(
            f"SELECT child_id, start_date, end_date FROM {CASEFILE}.periods_of_care "
            f"WHERE child_id IN (SELECT child_id FROM {CASEFILE}.periods_of_care "
            "WHERE start_date <= %s AND (end_date IS NULL OR end_date > %s)) "
            "ORDER BY child_id, start_date",
            as_of,
            since,
        ):
            periods[str(child)].append((start, end))
        children = sorted(periods)
        if not children:
            return []
        states = self.states(children, recorded_by)
        births = {
            str(child): born
            for child, born in self._rows(
                f"SELECT child_id, date_of_birth FROM {CASEFILE}.children WHERE child_id = ANY(%s)",
                children,
            )
        }
        return [
            ChildFacts(
                child_id=child,
                date_of_birth=births.get(child),
                periods=tuple(periods[child]),
                state=states.get(child, EducationState()),
            )
            for child in children
        ]
