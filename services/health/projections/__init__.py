"""Read models of the health service, kept in PostgreSQL by the shared projection runner.

`CasefileFacts` (`health_casefile`) and `CasefileGrants` (`health_break_glass`):
what health learns from casefile (shared/casefile_facts.py). `HealthEntries`:
one row per entry, from this service's own events. `ReadModels`: the queries.
"""

from services.health.projections.entries import HealthEntries
from services.health.projections.queries import FACTS, GRANTS, ReadModels

__all__ = ["FACTS", "GRANTS", "HealthEntries", "ReadModels"]
