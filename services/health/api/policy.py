"""Who may do what in the health service: the role table.

| action              | roles                                                          |
| ------------------- | -------------------------------------------------------------- |
| health.record       | health, lac_nurse                                              |
| health.fhir         | health, lac_nurse, service (an NHS system's integration)       |
| health.read         | health, lac_nurse, social_worker, team_manager, iro, auditor   |
| health.status.read  | health.read's roles and performance                            |
| health.council.read | health, lac_nurse, team_manager, auditor, performance          |

Health roles write; the child's social worker, their team manager and IRO read
the record to plan and review the child's care (the health plan is part of the
care plan); auditors read for assurance; the performance team reads the status
(the scorecard, SSDA903 OC2) but not the record's details.

Relationships (`bootstrap.relationships`, `shared.casefile_facts`): a lac_nurse
(the council's looked-after children's health team) acts for every child
casefile has told health of; a `health` practitioner for the children whose
lead health professional they are named; social workers, team managers and
IROs by casefile's allocations; auditors and the performance team by role.
"""

from __future__ import annotations

from shared.auth.dependencies import Policy
from shared.auth.roles import Role

RECORD = "health.record"
FHIR = "health.fhir"
READ = "health.read"
STATUS = "health.status.read"
COUNCIL = "health.council.read"

HEALTH_ROLES = frozenset({Role.HEALTH, Role.LAC_NURSE})
_READERS = HEALTH_ROLES | {Role.SOCIAL_WORKER, Role.TEAM_MANAGER, Role.IRO, Role.AUDITOR}

POLICY: Policy = {
    RECORD: HEALTH_ROLES,
    FHIR: HEALTH_ROLES | {Role.SERVICE},
    READ: _READERS,
    STATUS: _READERS | {Role.PERFORMANCE},
    COUNCIL: HEALTH_ROLES | {Role.TEAM_MANAGER, Role.AUDITOR, Role.PERFORMANCE},
}
