"""Who may do what in the placements service: the role table.

| action                  | roles                                               |
| ----------------------- | --------------------------------------------------- |
| placements.record       | social_worker, team_manager                         |
| placements.read         | social_worker, team_manager, iro, auditor, performance |
| stability.child.read    | social_worker, team_manager, iro, auditor, performance |
| stability.council.read  | team_manager, auditor, performance                  |

Recording where a child lives is the allocated social worker's job, and their
team manager's (Care Planning Regulations 2010, regs 9-11: the local authority
decides and records placements). IROs read the placement history to review
the care plan; auditors and the performance team read it for assurance and
the SSDA903 return. Council-wide figures, which describe many children, are
for managers, auditors and the performance team (and through them the
Corporate Parenting Board), not for a worker who is related to a few.

Routes with a `{child_id}` also check the caller's relationship to the child
(see `relationships.py`).
"""

from __future__ import annotations

from shared.auth.dependencies import Policy
from shared.auth.roles import Role

RECORD = "placements.record"
READ = "placements.read"
CHILD_STABILITY = "stability.child.read"
COUNCIL_STABILITY = "stability.council.read"

_READERS = frozenset(
    {Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.IRO, Role.AUDITOR, Role.PERFORMANCE}
)

POLICY: Policy = {
    RECORD: frozenset({Role.SOCIAL_WORKER, Role.TEAM_MANAGER}),
    READ: _READERS,
    CHILD_STABILITY: _READERS,
    COUNCIL_STABILITY: frozenset({Role.TEAM_MANAGER, Role.AUDITOR, Role.PERFORMANCE}),
}
