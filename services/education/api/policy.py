"""Who may do what in the education service: the role table.

| action                    | roles                                                        |
| ------------------------- | ------------------------------------------------------------ |
| education.record          | virtual_school, designated_teacher                           |
| education.read            | virtual_school, designated_teacher, social_worker,           |
|                           | team_manager, iro, auditor                                    |
| education.status.read     | the readers above, and performance                            |
| education.council.read    | virtual_school, team_manager, auditor, performance            |
| feeds.upload, feeds.read  | service (a school's system), virtual_school                   |

The Virtual School Head promotes the education of every child the council
looks after (Children and Families Act 2014 s.99) and the designated teacher
leads for the child at school (Children and Young Persons Act 2008 s.20): they
record. The child's social worker, team manager and IRO read the record for
care planning and reviews; auditors read for assurance; the performance team
reads status (no child's views) for the scorecard and SSDA903.

Routes with a `{child_id}` also check the caller's relationship to the child
(`relationships.py`).
"""

from __future__ import annotations

from shared.auth.dependencies import Policy
from shared.auth.roles import Role

RECORD = "education.record"
READ = "education.read"
STATUS = "education.status.read"
COUNCIL = "education.council.read"
FEEDS_UPLOAD = "feeds.upload"
FEEDS_READ = "feeds.read"

_READERS = frozenset(
    {
        Role.VIRTUAL_SCHOOL,
        Role.DESIGNATED_TEACHER,
        Role.SOCIAL_WORKER,
        Role.TEAM_MANAGER,
        Role.IRO,
        Role.AUDITOR,
    }
)

POLICY: Policy = {
    RECORD: frozenset({Role.VIRTUAL_SCHOOL, Role.DESIGNATED_TEACHER}),
    READ: _READERS,
    STATUS: _READERS | {Role.PERFORMANCE},
    COUNCIL: frozenset({Role.VIRTUAL_SCHOOL, Role.TEAM_MANAGER, Role.AUDITOR, Role.PERFORMANCE}),
    FEEDS_UPLOAD: frozenset({Role.SERVICE, Role.VIRTUAL_SCHOOL}),
    FEEDS_READ: frozenset({Role.SERVICE, Role.VIRTUAL_SCHOOL}),
}
