"""Read models of the placements service, kept in PostgreSQL by the shared projection runner.

`CarePeriods`: what placements learns from casefile's integration events.
`CasefileGrants`: the break-glass grants casefile published.
`PlacementSpans`: one row per placement, from this service's own events.
`SchoolMoves`: mid-year school moves, empty until the education service exists.
`ReadModels`: the queries over them.
See docs/adr/0009-what-placements-learns-and-who-is-related.md.
"""

from services.placements.projections.break_glass import CasefileGrants
from services.placements.projections.care_periods import CarePeriods
from services.placements.projections.placement_spans import PlacementSpans
from services.placements.projections.queries import ReadModels
from services.placements.projections.school_moves import MidYearSchoolMove, SchoolMoves

__all__ = [
    "CarePeriods",
    "CasefileGrants",
    "MidYearSchoolMove",
    "PlacementSpans",
    "ReadModels",
    "SchoolMoves",
]
