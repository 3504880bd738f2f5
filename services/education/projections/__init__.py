"""Read models of the education service, kept in PostgreSQL by the shared projection runner.

- `CasefileFacts` and `CasefileGrants` (shared/casefile_facts.py): the child,
  periods of care, allocations and break-glass grants casefile published;
- `PupilNumbers`: the keyed digests of the children's UPNs (for schools' feeds);
- `EducationFacts`: this service's own events, minus free text, folded into
  each child's status on any date (both time bases) by `domain.status`;
- `ReadModels`: the queries over them.
"""

from services.education.projections.facts import EducationFacts
from services.education.projections.pupil_numbers import PupilNumbers
from services.education.projections.queries import (
    CASEFILE,
    GRANTS,
    ReadModels,
    casefile_facts,
    casefile_grants,
)

__all__ = [
    "CASEFILE",
    "GRANTS",
    "EducationFacts",
    "PupilNumbers",
    "ReadModels",
    "casefile_facts",
    "casefile_grants",
]
