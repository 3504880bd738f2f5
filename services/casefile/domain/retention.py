"""How long a child's case record is kept, and the record of its erasure.

The Care Planning, Placement and Case Review (England) Regulations 2010,
regulation 50: a looked-after child's case record is kept until the 75th
anniversary of the child's date of birth or, if the child dies before
reaching 18, for 15 years beginning with the date of death. After that it may
be erased; Belonging erases by destroying the record's keys
(shared/eventstore/keyring.py), and keeps only this: that the record with this
pseudonymous id was erased, when, by whom and on what authority.
"""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.casefile.domain import errors
from services.casefile.domain.child import Child

#: SSDA903 REC "E2": the child died (the only way the record learns of a death).
DIED = "E2"
KEPT_FROM_BIRTH_YEARS = 75
KEPT_FROM_DEATH_YEARS = 15
ADULT_AGE = 18

_ERASURE_NAMESPACE = uuid5(NAMESPACE_URL, "https://belonging.example/erasure")


def anniversary(day: date, years: int) -> date:
    """`years` after `day`; 29 February falls on 1 March in a common year (as ages do in law)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def died_on(child: Child) -> date | None:
    """The day the child died, if a period of care ended with REC E2."""
    for period in child.periods_in_order:
        if period.reason_ceased == DIED and period.end_date is not None:
            return period.end_date
    return None


def retention_ends(date_of_birth: date, death: date | None) -> date:
    """The first day the record may be erased (reg. 50)."""
    if death is not None and death < anniversary(date_of_birth, ADULT_AGE):
        return anniversary(death, KEPT_FROM_DEATH_YEARS)
    return anniversary(date_of_birth, KEPT_FROM_BIRTH_YEARS)


def retention_of(child: Child) -> date:
    return retention_ends(child.details.date_of_birth, died_on(child))


class Erasure(Aggregate):
    """That a child's record was erased: kept for ever, naming only the child's pseudonymous id."""

    @staticmethod
    def create_id(child_id: UUID) -> UUID:
        return uuid5(_ERASURE_NAMESPACE, str(child_id))

    @classmethod
    def of(cls, child: Child, *, reason: str, on: date) -> Erasure:
        """The erasure of `child`'s record on `on`; refused before retention ends."""
        ends = retention_of(child)
        if on < ends:
            raise errors.RetentionNotEnded(
                f"the record is kept until {ends.isoformat()} "
                "(Care Planning Regulations 2010, reg. 50)",
                field="child_id",
            )
        return cls(child_id=child.id, retention_ended_on=ends, reason=reason, effective_date=on)

    @event("ErasureRecorded")
    def __init__(
        self, child_id: UUID, retention_ended_on: date, reason: str, effective_date: date
    ) -> None:
        self.child_id = child_id
        self.retention_ended_on = retention_ended_on
        self.reason = reason
        self.erased_on = effective_date
