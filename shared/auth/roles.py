"""The roles a token can carry.

A StrEnum so a role compares equal to the plain string in a token's `roles`
claim and in a service's policy table, while code gets a closed, typo-proof set.
Which role may do what is each service's policy, not this module's.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    SOCIAL_WORKER = "social_worker"
    TEAM_MANAGER = "team_manager"
    #: Independent Reviewing Officer (Care Planning Regulations 2010, Part 6).
    IRO = "iro"
    #: Care leavers' personal adviser (Children (Leaving Care) Act 2000).
    PERSONAL_ADVISER = "personal_adviser"
    VIRTUAL_SCHOOL = "virtual_school"
    DESIGNATED_TEACHER = "designated_teacher"
    HEALTH = "health"
    LAC_NURSE = "lac_nurse"
    AUDITOR = "auditor"
    PERFORMANCE = "performance"
    #: The council's records manager (data protection): lists records past
    #: retention and authorises their erasure; reads no case.
    RECORDS_MANAGER = "records_manager"
    #: Another system (inbound feeds, relays), never a person.
    SERVICE = "service"
    ADMIN = "admin"
