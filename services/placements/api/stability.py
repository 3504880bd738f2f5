"""Placement stability: per child and per council, as of any date, and the monthly trend.

Every figure comes from the pure functions in `domain.stability` applied to
the rows `ReadModels` loads, and every percentage is returned with its
numerator and denominator so anyone can check the arithmetic. "As of" is
valid time: what was true on that date, by what the record now says;
`as_of_recorded` adds recorded time: by what the record said at that moment,
before any later correction (docs/adr/0018-corrections-and-recorded-time.md).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query

from services.placements.api.models import (
    ChildStabilityOut,
    CouncilStabilityOut,
    StabilityTrendOut,
)
from services.placements.api.policy import CHILD_STABILITY, COUNCIL_STABILITY, POLICY
from services.placements.api.runtime import Runtime
from services.placements.domain.stability import (
    child_stability,
    council_stability,
    month_end,
    monthly_trend,
    year_window,
)
from shared.access_log import record_access
from shared.api.problems import FieldError, Problem, ProblemError, problem_type
from shared.auth.dependencies import require
from shared.auth.tokens import Principal
from shared.dates import FIRST_DAY, LAST_DAY, Day, Moment, today
from shared.domain_errors import RuleBroken

router = APIRouter(tags=["stability"])

#: Ten years of months: more is an export, not a board paper.
MAX_TREND_MONTHS = 120
_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
#: A month as the document gives it: YYYY-MM, from FIRST_DAY's year to LAST_DAY's.
MONTH_PATTERN = r"^(19[0-9]{2}|20[0-9]{2}|21[0-9]{2})-(0[1-9]|1[0-2])$"

AsOf = Annotated[
    Day | None,
    Query(description="The date the figures are for (YYYY-MM-DD); today if omitted"),
]


AsOfRecorded = Annotated[
    Moment | None,
    Query(
        description="Recorded time: the figures from the placements as recorded at this moment "
        "(ISO 8601), so a figure once reported can be reproduced after later corrections; "
        "now if omitted (docs/adr/0018-corrections-and-recorded-time.md)"
    ),
]


def _as_of(day: date | None) -> date:
    return day or today()


@router.get(
    "/children/{child_id}/stability",
    response_model=ChildStabilityOut,
    responses={
        404: {
            "model": Problem,
            "description": "The casefile service has not told this service of the child",
        }
    },
    summary="One child's placements, moves and current placement in the 12 months up to as_of",
)
def child(
    child_id: Annotated[UUID, Path()],
    principal: Annotated[Principal, Depends(require(CHILD_STABILITY, POLICY))],
    service: Runtime,
    as_of: AsOf = None,
    as_of_recorded: AsOfRecorded = None,
) -> ChildStabilityOut:
    day = _as_of(as_of)
    record = service.reads.child_record(child_id, as_of_recorded)
    if record is None:
        raise ProblemError(404, detail=f"no care record is known for child {child_id}")
    record_access(service.application, str(child_id), "placements.stability")
    return ChildStabilityOut.of(child_stability(record, day))


@router.get(
    "/stability",
    response_model=CouncilStabilityOut,
    summary="The council's DfE short- and long-term indicators and the Stability Index, as_of",
)
def council(
    principal: Annotated[Principal, Depends(require(COUNCIL_STABILITY, POLICY))],
    service: Runtime,
    as_of: AsOf = None,
    as_of_recorded: AsOfRecorded = None,
) -> CouncilStabilityOut:
    day = _as_of(as_of)
    first, last = year_window(day)
    cohort = service.reads.cohort(first, last, as_of_recorded)
    return CouncilStabilityOut.of(council_stability(cohort, day))


def _month(value: str, field: str) -> date:
    match = _MONTH.fullmatch(value)
    if match is None or not FIRST_DAY.year <= int(match.group(1)) <= LAST_DAY.year:
        message = f"a month as YYYY-MM, e.g. 2024-03, from {FIRST_DAY.year} to {LAST_DAY.year}"
        raise ProblemError(
            422,
            type=problem_type("validation"),
            title="Invalid request",
            detail=message,
            errors=[FieldError(field=field, message=message)],
        )
    return date(int(match.group(1)), int(match.group(2)), 1)


@router.get(
    "/stability/trend",
    response_model=StabilityTrendOut,
    summary="Every council measure as of the last day of each month, from..to",
)
def trend(
    principal: Annotated[Principal, Depends(require(COUNCIL_STABILITY, POLICY))],
    service: Runtime,
    from_month: Annotated[
        str,
        Query(
            alias="from",
            description="First month, YYYY-MM",
            json_schema_extra={"pattern": MONTH_PATTERN},
        ),
    ],
    to_month: Annotated[
        str,
        Query(
            alias="to",
            description="Last month, YYYY-MM",
            json_schema_extra={"pattern": MONTH_PATTERN},
        ),
    ],
    as_of_recorded: AsOfRecorded = None,
) -> StabilityTrendOut:
    start = _month(from_month, "query.from")
    end = _month(to_month, "query.to")
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months < 1:
        raise RuleBroken("the last month comes before the first", "query.to")
    if months > MAX_TREND_MONTHS:
        raise RuleBroken(f"a trend covers at most {MAX_TREND_MONTHS} months", "query.to")
    first = year_window(month_end(start.year, start.month))[0]
    last = month_end(end.year, end.month)
    cohort = service.reads.cohort(first, last, as_of_recorded)
    return StabilityTrendOut(
        months=[CouncilStabilityOut.of(c) for c in monthly_trend(start, end, cohort)]
    )
