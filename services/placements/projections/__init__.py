"""Read models of the placements service, kept in PostgreSQL by the shared projection runner.

- `CarePeriods` (schema `placements_care_periods`): what this service learns
  from the casefile service's integration events: each child's date of
  birth, periods of care, legal statuses, social worker allocations and IRO
  appointments. Commands read a child's periods of care from it; the
  relationship checker reads allocations and appointments.
- `PlacementSpans` (schema `placements_spans`): one row per placement, from
  this service's own domain events.
- `SchoolMoves` (schema `placements_school_moves`): mid-year school moves, to
  be filled from the education service's integration events (its extension
  point is documented there); empty until then, so every child has zero.
- `ReadModels`: the queries over them. The stability figures are computed by
  loading a cohort's rows and calling the pure functions of
  `services.placements.domain.stability`; no counting rule is written in SQL.
"""

from services.placements.projections.care_periods import CarePeriods
from services.placements.projections.placement_spans import PlacementSpans
from services.placements.projections.queries import ReadModels
from services.placements.projections.school_moves import MidYearSchoolMove, SchoolMoves

__all__ = [
    "CarePeriods",
    "MidYearSchoolMove",
    "PlacementSpans",
    "ReadModels",
    "SchoolMoves",
]
