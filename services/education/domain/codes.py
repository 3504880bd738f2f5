"""The code lists the education record checks against (DfE school census and exclusions)."""

from __future__ import annotations

import re

#: Phase of the school (DfE "Get Information about Schools" phase of education).
PHASES: dict[str, str] = {
    "nursery": "Nursery",
    "primary": "Primary",
    "middle": "Middle deemed primary or secondary",
    "secondary": "Secondary",
    "all_through": "All-through",
    "post_16": "16 plus",
    "special": "Special school",
    "ap": "Alternative provision (dual registration: never a school move)",
}
#: School census SEN provision: N none, K SEN support, E Education, Health and Care plan.
SEN_STATUS: dict[str, str] = {
    "N": "No special educational need",
    "K": "SEN support",
    "E": "EHC plan",
}
#: DfE suspension and permanent exclusion reasons (school census, from 2020/21).
EXCLUSION_REASONS: dict[str, str] = {
    "PP": "Physical assault against a pupil",
    "PA": "Physical assault against an adult",
    "VP": "Verbal abuse or threatening behaviour against a pupil",
    "VA": "Verbal abuse or threatening behaviour against an adult",
    "BU": "Bullying",
    "RA": "Racist abuse",
    "AB": "Abuse against sexual orientation or gender identity",
    "AT": "Abuse relating to disability",
    "DM": "Damage",
    "TH": "Theft",
    "DA": "Drug and alcohol related",
    "DB": "Persistent or general disruptive behaviour",
    "SM": "Sexual misconduct",
    "MT": "Inappropriate use of social media or online technology",
    "WP": "Use or threat of use of an offensive weapon or prohibited item",
    "OT": "Other (before 2020/21 only)",
}
EXCLUSION_KINDS: dict[str, str] = {"suspension": "Suspension", "permanent": "Permanent exclusion"}
#: The Virtual School's quality assurance rating of a PEP.
PEP_RATINGS: dict[str, str] = {
    "good": "Good",
    "requires_improvement": "Requires improvement",
    "inadequate": "Inadequate",
}
KEY_STAGES: dict[str, str] = {"KS1": "Key Stage 1", "KS2": "Key Stage 2", "KS4": "Key Stage 4"}
CORRECTION_REASONS: dict[str, str] = {
    "ERROR": "Recorded in error",
    "LATE": "Late information",
    "SCHOOL": "The school corrected its return",
}
#: Most days of suspension a pupil may have in one school year (School Discipline
#: (Pupil Exclusions and Reviews) (England) Regulations 2012, reg. 4).
MAX_SUSPENSION_DAYS_A_YEAR = 45

URN = re.compile(r"^[1-9][0-9]{5}$")
ACADEMIC_YEAR = re.compile(r"^(20[0-9]{2})/([0-9]{2})$")
