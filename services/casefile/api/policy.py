"""Who may do what to a child's case: the role table, in one place.

Each action maps to the roles allowed to perform it. For routes about one
child the caller must also be related to that child in that role (the
`case_team` read model: allocated social worker, their team's manager, the
child's IRO or review chair, the personal adviser), or act under a
break-glass grant: asked for with a reason, recorded, time-limited, flagged in
the audit envelope of everything done under it, and listed for the child's
team manager to review (docs/adr/0015-break-glass.md).

Social workers and team managers write the case; the IRO writes reviews
(Care Planning Regulations 2010, Part 6) and may schedule them; the personal
adviser writes leaving-care records (Children Act 1989 s.23D); auditors and
the performance team read everything and write nothing. The child's views
and wishes may be recorded by any practitioner who hears them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from shared.auth.dependencies import require
from shared.auth.roles import Role
from shared.auth.tokens import Principal

SW, TM, IRO, PA = Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.IRO, Role.PERSONAL_ADVISER
AUDITOR, PERFORMANCE = Role.AUDITOR, Role.PERFORMANCE

#: Roles that read any child's record without a relationship; they may write nothing.
UNRELATED_READERS: frozenset[str] = frozenset({AUDITOR, PERFORMANCE})

_CASE_WORKERS = frozenset({SW, TM})
_READERS = frozenset({SW, TM, IRO, PA, AUDITOR, PERFORMANCE})

POLICY: Mapping[str, frozenset[str]] = {
    # queries
    "children.list": _READERS,
    "case.read": _READERS,
    "case.history": _READERS,
    # the child
    "child.register": _CASE_WORKERS,
    "child.correct": _CASE_WORKERS,
    # periods of care and legal status
    "period.start": _CASE_WORKERS,
    "period.change-legal-status": _CASE_WORKERS,
    "period.end": _CASE_WORKERS,
    # people responsible
    "social-worker.allocate": _CASE_WORKERS,
    "iro.appoint": _CASE_WORKERS,
    "personal-adviser.appoint": _CASE_WORKERS,
    # plans
    "care-plan.agree": _CASE_WORKERS,
    "permanence-plan.agree": _CASE_WORKERS,
    "pathway-plan.agree": frozenset({SW, TM, PA}),
    "pathway-plan.review": frozenset({SW, TM, PA}),
    # reviews, visits, missing episodes
    "review.schedule": frozenset({SW, TM, IRO}),
    "review.record": frozenset({IRO}),
    "visit.record": _CASE_WORKERS,
    "missing.record": _CASE_WORKERS,
    # care leavers
    "care-leaver.eligibility": frozenset({SW, TM, PA}),
    "care-leaver.contact": frozenset({SW, TM, PA}),
    "care-leaver.staying-put": frozenset({SW, TM, PA}),
    # adoption
    "adoption.record": _CASE_WORKERS,
    # the child's voice
    "views.record": frozenset({SW, TM, IRO, PA}),
    # the child as a person: names, addresses, language, religion, disability, people
    # (who reads which: services/casefile/api/person.py, docs/adr/0017-person-details.md)
    "person.record": _CASE_WORKERS,
    # break-glass: the child's team manager is told of each use and reviews it
    # (docs/adr/0015-break-glass.md); auditors list every use
    "break-glass.alerts.read": frozenset({TM, AUDITOR}),
    "break-glass.alerts.review": frozenset({TM}),
    # retention (reg. 50): the records manager, who reads no case
    "retention.due": frozenset({Role.RECORDS_MANAGER}),
    "child.erase": frozenset({Role.RECORDS_MANAGER}),
}

#: Actions that only read; every other action writes.
READ_ACTIONS: frozenset[str] = frozenset(
    {"children.list", "case.read", "case.history", "retention.due", "break-glass.alerts.read"}
)

# The relationship checker lets UNRELATED_READERS past every child: that is
# safe only while no write action admits them. Checked once, at import.
_leaky = [a for a, roles in POLICY.items() if a not in READ_ACTIONS and roles & UNRELATED_READERS]
if _leaky:
    raise RuntimeError(f"read-only roles are granted writes: {_leaky}")


def allowed(action: str) -> Callable[..., Awaitable[Principal]]:
    """The FastAPI dependency authorising `action` by this service's policy."""
    return require(action, POLICY)
