"""Casefile's read models in PostgreSQL, kept by the shared projection runner.

Small on purpose: `case_team` answers "who is related to this child" for
authorisation; `children` is the register behind `GET /v1/children`. The
case itself is read from its events, so it is never stale.
"""

from services.casefile.projections.case_team import CaseTeam, CaseTeamProjection
from services.casefile.projections.children import ChildrenRegister, ChildrenRegisterProjection

__all__ = ["CaseTeam", "CaseTeamProjection", "ChildrenRegister", "ChildrenRegisterProjection"]
