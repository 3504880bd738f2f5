"""Casefile's read models in PostgreSQL, kept by the shared projection runner.

Small on purpose: `case_team` answers "who is related to this child" for
authorisation; `children` is the register behind `GET /v1/children`;
`break_glass_grants` the managers' break-glass alerts. The case itself is
read from its events, so it is never stale.
"""

from services.casefile.projections.break_glass import BreakGlassAlerts, BreakGlassProjection
from services.casefile.projections.case_team import CaseTeam, CaseTeamProjection
from services.casefile.projections.children import ChildrenRegister, ChildrenRegisterProjection

__all__ = [
    "BreakGlassAlerts",
    "BreakGlassProjection",
    "CaseTeam",
    "CaseTeamProjection",
    "ChildrenRegister",
    "ChildrenRegisterProjection",
]
