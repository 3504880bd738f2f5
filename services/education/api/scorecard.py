"""The scorecard's education measures on any date: `GET /v1/education/scorecard`.

Valid time `as_of` (what was true on that day by what the records now say) and
recorded time `as_of_recorded` (the education records as they stood at that
moment; casefile's facts as they stand now), as the status endpoints read.
Each measure gives its numerator, denominator, percentage (null with the
reason when the denominator is 0 or a child's data is missing), the seed's
target and its definition with its source (`domain/scorecard.py`,
docs/adr/0021). Every child counted is recorded in the access log, as the
council list records them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from services.education.api.policy import COUNCIL, POLICY
from services.education.api.record import AsOf, AsOfRecorded
from services.education.api.runtime import Runtime
from services.education.domain.scorecard import Measure, first_day_needed, scorecard
from shared.access_log import record_accesses
from shared.auth.dependencies import require
from shared.auth.tokens import Principal
from shared.dates import today

router = APIRouter(tags=["council"])


class MeasureOut(BaseModel):
    key: str
    title: str
    unit: str = Field(description="percent, or count (the number of children)")
    numerator: int
    denominator: int
    unknown: int = Field(
        description="Children whose data is missing (who may be in the cohort, or are in it "
        "without the fact measured); while any, the percentage is null"
    )
    percentage: float | None = Field(
        description="null when the reason says why; never 0 % for want of data"
    )
    value: float | None = Field(
        description="The figure set beside the target: the percentage, or the count"
    )
    reason: str | None = Field(description="Why the percentage is null")
    period_from: date
    period_to: date
    target: float | None = Field(description="The seed scorecard's 2016 target, if it gives one")
    target_note: str | None
    definition: str
    source: str

    @classmethod
    def of(cls, m: Measure) -> MeasureOut:
        return cls(
            key=m.key,
            title=m.title,
            unit=m.unit,
            numerator=m.numerator,
            denominator=m.denominator,
            unknown=m.unknown,
            percentage=m.percentage,
            value=m.value,
            reason=m.reason,
            period_from=m.period[0],
            period_to=m.period[1],
            target=m.target,
            target_note=m.target_note,
            definition=m.definition,
            source=m.source,
        )


class ScorecardOut(BaseModel):
    as_of: date
    academic_year: str = Field(description="The school year as_of is in (PEPs, exclusions)")
    results_year: str = Field(
        description="The latest school year ended before as_of (key stage results)"
    )
    measures: list[MeasureOut]
    note: str


_NOTE = (
    "KS4 is DfE's current measure, grade 4 or above in English and maths, which replaced "
    "the seed's 'five A*-C GCSEs including English and maths' (its target was set for that "
    "measure); KS2's expected standard in reading, writing and maths is what the seed calls "
    "'level 4'. Casefile's facts (dates of birth, periods of care) are as they stand now; "
    "as_of_recorded rewinds the education records."
)


@router.get(
    "/education/scorecard",
    response_model=ScorecardOut,
    summary="The scorecard's education measures on a day: current PEPs, PEPs within 20 days, "
    "KS2, KS4, permanent exclusions (valid and recorded time; each child counted is logged)",
)
def council_scorecard(
    principal: Annotated[Principal, Depends(require(COUNCIL, POLICY))],
    service: Runtime,
    as_of: AsOf = None,
    as_of_recorded: AsOfRecorded = None,
) -> ScorecardOut:
    day = as_of or today()
    reads = service.reads
    children = reads.scorecard_children(first_day_needed(day, reads.calendar), day, as_of_recorded)
    found = scorecard(children, day, reads.calendar, reads.timescales)
    record_accesses(service.application, sorted(found.children), "education.scorecard")
    return ScorecardOut(
        as_of=day,
        academic_year=found.academic_year,
        results_year=found.results_year,
        measures=[MeasureOut.of(m) for m in found.measures],
        note=_NOTE,
    )
