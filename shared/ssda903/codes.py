"""SSDA903 code lists, taken from DfE's validation rules.

Every coded field in a child's record ends up in the SSDA903 ("children looked
after") return, so the valid codes are copied from the rules in
``csc-validator-be-903`` (``lac_validator``); the comment above each list names
the rule file ``lac_validator.rules.lac2026_27.registry`` uses, and
``tests/shared/test_ssda903_codes.py`` checks every list against it
(docs/adr/0005-codes-and-identifiers-checked-at-entry.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# LS, legal status. Valid list: rule 144 (rules/lac2022_23/rule_144.py).
# Meanings confirmed by: 361 (L1 police protection, 72 hours), 362 (L2 EPO),
# 363 (L3 child assessment order), 364 (J2 PACE), 378 (V2 section 20),
# 382/426 (V3, V4 short breaks), 446 (E1 placement order, from December 2005).
LEGAL_STATUS: Final[dict[str, str]] = {
    "C1": "Interim care order (s38 Children Act 1989)",
    "C2": "Full care order (s31 Children Act 1989)",
    "D1": "Freeing order granted (s18 Adoption Act 1976)",
    "E1": "Placement order granted (s21 Adoption and Children Act 2002)",
    "V2": "Single period of accommodation under s20 Children Act 1989",
    "V3": "Agreed series of short-term breaks, recorded as individual episodes of care",
    "V4": "Agreed series of short-term breaks, recorded as agreements",
    "J1": "Remanded to local authority accommodation or youth detention accommodation",
    "J2": "In local authority accommodation under PACE 1984, including secure accommodation",
    "J3": "Youth rehabilitation order with residence or intensive fostering requirement",
    "L1": "Under police protection and in local authority accommodation",
    "L2": "Under an emergency protection order (EPO)",
    "L3": "Under a child assessment order and in local authority accommodation",
}

# CIN, category of need N1-N8. Valid list: rule 145 (rules/lac2022_23/rule_145.py).
CATEGORY_OF_NEED: Final[dict[str, str]] = {
    "N1": "Abuse or neglect",
    "N2": "Child's disability",
    "N3": "Parental illness or disability",
    "N4": "Family in acute stress",
    "N5": "Family dysfunction",
    "N6": "Socially unacceptable behaviour",
    "N7": "Low income",
    "N8": "Absent parenting",
}

# RNE, reason for new episode. Valid list: rule 143 (rules/lac2022_23/rule_143.py).
# Meanings confirmed by: 432 (S starts a period of care), 434 (L: legal status
# changed, placement did not), 435 (P, T: placement changed, legal status did
# not), 436 (U, B: both changed), 217 (A3/A5, with the current foster carers,
# need S, T or U, so T and U are "same carers").
REASON_NEW_EPISODE: Final[dict[str, str]] = {
    "S": "Started to be looked after",
    "L": "Change of legal status only",
    "P": "Change of placement and carer(s) only",
    "T": "Change of placement only, with the same carer(s)",
    "U": "Change of legal status and placement, with the same carer(s)",
    "B": "Change of legal status and of placement and carer(s) at the same time",
}

# REC, reason episode ceased. Valid list: rule 149 (rules/lac2022_23/rule_149.py).
# Meanings confirmed by: 386/390 (E11, E12 adopted), 437 (E2 died, E15 aged 18+),
# 1011 (E3 care transferred to another LA), 387 (E5, E6 independent living),
# 389 (E7 adult social care), 407 (E45-E48 special guardianship),
# 460 (E17 stayed with carers at 18), 580 (E8 other), 388 (X1 new episode).
REASON_EPISODE_CEASED: Final[dict[str, str]] = {
    "E11": "Adopted: application for an adoption order unopposed",
    "E12": "Adopted: consent dispensed with by the court",
    "E2": "Died",
    "E3": "Care taken over by another local authority in the UK",
    "E4A": "Returned home to parent(s)/person(s) with parental responsibility, as planned",
    "E4B": "Returned home to parent(s)/person(s) with parental responsibility, not as planned",
    "E13": "Left care to live with parent(s), relative(s) or others with no parental resp.",
    "E41": "Residence order or child arrangements order (who the child lives with) granted",
    "E45": "Special guardianship order to former foster carer(s) who are relatives/friends",
    "E46": "Special guardianship order to former foster carer(s), not relatives/friends",
    "E47": "Special guardianship order to other carer(s) who are relatives/friends",
    "E48": "Special guardianship order to other carer(s), not relatives/friends",
    "E5": "Moved into independent living with formalised advice/support",
    "E6": "Moved into independent living without formalised advice/support",
    "E7": "Transferred to residential care funded by adult social care services",
    "E8": "Period of being looked after ended for any other reason",
    "E9": "Sentenced to custody",
    "E14": "Accommodation on remand ended",
    "E15": "Age assessment determined child is aged 18 or over (E5, E6, E7 do not apply)",
    "E16": "Child moved abroad",
    "E17": "Aged 18 or over and remained with current carers (e.g. staying put)",
    "X1": "Episode ends and a new episode begins on the same day",
}

# PLACE, placement type. Valid list: rule 146, newest copy
# rules/lac2025_26/rule_146.py (from 2025-26 H5 and P2 are gone, K3 is in, and
# Z1 "other placements" is split into Z11-Z14; see rule_utils.py's 503D
# allowances for 2024 H5->K3 and 2026 Z1->Z11..Z14).
# Meanings confirmed by: 217/390/408/551 (A3-A6), 336/384 (U1-U6, U1/U4 long
# term), 371/710 (K3 supported accommodation), 709/710 (K1 secure children's
# home, K2, P1 with parents, R5 youth custody), 372 (R5), 373 (S1 school),
# 374 (P3 residential employment), 375/376/379 (T1 hospital, T3 carer's
# holiday, T4 up to seven days). The rules do not say what separates Z11-Z14;
# only that none needs a provider or URN (178, 213, 222) and that a child under
# a deprivation of liberty order may be in Z12 or Z13 (709).
PLACEMENT_TYPE: Final[dict[str, str]] = {
    "A3": "Placed for adoption with parental consent, with current foster carer(s)",
    "A4": "Placed for adoption with parental consent, not with current foster carer(s)",
    "A5": "Placed for adoption with placement order, with current foster carer(s)",
    "A6": "Placed for adoption with placement order, not with current foster carer(s)",
    "K1": "Secure children's home",
    "K2": "Children's home subject to Children's Homes Regulations",
    "K3": "Supported accommodation (not subject to Children's Homes Regulations)",
    "P1": "Placed with own parent(s) or other person(s) with parental responsibility",
    "P3": "Residential employment",
    "R1": "Residential care home",
    "R2": "NHS/health trust or other establishment providing medical or nursing care",
    "R3": "Family centre or mother and baby unit",
    "R5": "Young offender institution or prison",
    "S1": "Residential school (not dual-registered as a children's home)",
    "T0": "Temporary placement: any type of temporary move",
    "T1": "Temporary placement: period in hospital",
    "T2": "Temporary placement: child's absence on holiday",
    "T3": "Temporary placement: while the usual foster carer(s) are on holiday",
    "T4": "Temporary placement of seven days or less, any reason not covered by T1-T3",
    "U1": "Foster placement with relative(s) or friend(s): long-term fostering",
    "U2": "Foster placement with relative(s) or friend(s) who are approved adopters (FFA)",
    "U3": "Foster placement with relative(s) or friend(s): not long-term or FFA",
    "U4": "Foster placement with other foster carer(s): long-term fostering",
    "U5": "Foster placement with other foster carer(s) who are approved adopters (FFA)",
    "U6": "Foster placement with other foster carer(s): not long-term or FFA",
    "Z11": "Other placement (Z11; one of four codes replacing Z1 from 2025-26)",
    "Z12": "Other placement (Z12; one of four codes replacing Z1 from 2025-26)",
    "Z13": "Other placement (Z13; one of four codes replacing Z1 from 2025-26)",
    "Z14": "Other placement (Z14; one of four codes replacing Z1 from 2025-26)",
}

# PLACE_PROVIDER. Valid list: rule 178, newest copy rules/lac2025_26/rule_178.py
# (variable code_list_placement_provider; the same rule says no provider is
# given for T0-T3 and Z11-Z14). Meanings confirmed by: 550 (PR0 only with P1),
# 1015 (PR1 own provision), 529 (PR3 other public provision).
PLACEMENT_PROVIDER: Final[dict[str, str]] = {
    "PR0": "Parent(s) or other person(s) with parental responsibility",
    "PR1": "Own provision (by the local authority)",
    "PR2": "Other local authority provision",
    "PR3": "Other public provision (e.g. a health trust)",
    "PR4": "Private provision",
    "PR5": "Voluntary/third sector provision",
}

# REASON_PLACE_CHANGE. Valid list: rule 1009 (rules/lac2022_23/rule_1009.py).
# Not recorded for temporary placements (226) nor while an episode is open (233);
# CUSTOD confirmed by 234 (admitted to custody).
REASON_PLACE_CHANGE: Final[dict[str, str]] = {
    "CARPL": "Change to/implementation of care plan",
    "CLOSE": "Resignation/closure of provision",
    "ALLEG": "Allegation (s47)",
    "STAND": "Standards of care concern",
    "APPRR": "Approval removed",
    "CREQB": "Carer(s) requested placement end due to child's behaviour",
    "CREQO": "Carer(s) requested placement end other than due to child's behaviour",
    "CHILD": "Child requested placement end",
    "LAREQ": "Responsible/area authority requested placement end",
    "PLACE": "Change in the status of the placement only",
    "CUSTOD": "Child admitted to custody",
    "OTHER": "Other",
}

# REVIEW_CODE, how the child took part in a review (PN0-PN7). Valid list:
# rule 167 (rules/lac2022_23/rule_167.py); PN0 is under 4 (440, 441).
REVIEW_PARTICIPATION: Final[dict[str, str]] = {
    "PN0": "Child aged under 4 at the time of the review",
    "PN1": "Child physically attends and speaks for themself",
    "PN2": "Child physically attends and an advocate speaks for them",
    "PN3": "Child attends and conveys their views symbolically (non-verbally)",
    "PN4": "Child attends but does not speak, convey views or ask an advocate to",
    "PN5": "Child does not attend but briefs an advocate to speak for them",
    "PN6": "Child does not attend but conveys their views by a facilitative medium",
    "PN7": "Child does not attend and their views are not conveyed",
}

# IN_TOUCH, care leaver contact (OC3). Valid list: rule 131
# (rules/lac2022_23/rule_131.py); RHOM meaning confirmed by 344.
IN_TOUCH: Final[dict[str, str]] = {
    "YES": "In touch",
    "NO": "Not in touch",
    "DIED": "Young person has died",
    "REFU": "Young person refuses contact",
    "NREQ": "Young person no longer requires services",
    "RHOM": "Returned home to parent(s)/people with parental responsibility for 6+ months",
}

# ACTIV, care leaver activity (OC3). Valid list: rule 132
# (rules/lac2022_23/rule_132.py). "0" is what the rules expect when the young
# person has died or returned home (344) and forbid when in touch (345).
ACTIVITY: Final[dict[str, str]] = {
    "F1": "Full-time in higher education",
    "P1": "Part-time in higher education",
    "F2": "Full-time in education other than higher education",
    "P2": "Part-time in education other than higher education",
    "F4": "Full-time apprenticeship",
    "P4": "Part-time apprenticeship",
    "F5": "Full-time training or employment (not apprenticeship)",
    "P5": "Part-time training or employment (not apprenticeship)",
    "G4": "Not in education, employment or training: illness or disability",
    "G5": "Not in education, employment or training: other circumstances",
    "G6": "Not in education, employment or training: pregnancy or parenting",
    "0": "Not applicable (young person died or returned home)",
}

# ACCOM, care leaver accommodation (OC3): a type letter plus 1 (suitable) or
# 2 (unsuitable). Valid list: rule 133 (rules/lac2022_23/rule_133.py, variable
# valid_codes), which has only the unsuitable form of S (no fixed abode) and
# X (custody). "0" as for ACTIVITY (344, 345). Meanings confirmed by: 347
# (T foyer), 3001 (Z former foster carers).
ACCOMMODATION: Final[dict[str, str]] = {
    "B1": "With parents or relatives: suitable",
    "B2": "With parents or relatives: unsuitable",
    "C1": "Community home or other residential care: suitable",
    "C2": "Community home or other residential care: unsuitable",
    "D1": "Semi-independent, transitional or self-contained accommodation: suitable",
    "D2": "Semi-independent, transitional or self-contained accommodation: unsuitable",
    "E1": "Supported lodgings: suitable",
    "E2": "Supported lodgings: unsuitable",
    "G1": "Gone abroad: suitable",
    "G2": "Gone abroad: unsuitable",
    "H1": "Deported: suitable",
    "H2": "Deported: unsuitable",
    "K1": "Ordinary lodgings without formal support: suitable",
    "K2": "Ordinary lodgings without formal support: unsuitable",
    "R1": "Residence not known: suitable",
    "R2": "Residence not known: unsuitable",
    "S2": "No fixed abode/homeless: unsuitable",
    "T1": "Foyer or similar supported accommodation: suitable",
    "T2": "Foyer or similar supported accommodation: unsuitable",
    "U1": "Independent living: suitable",
    "U2": "Independent living: unsuitable",
    "V1": "Emergency accommodation: suitable",
    "V2": "Emergency accommodation: unsuitable",
    "W1": "Bed and breakfast: suitable",
    "W2": "Bed and breakfast: unsuitable",
    "X2": "In custody: unsuitable",
    "Y1": "Other accommodation: suitable",
    "Y2": "Other accommodation: unsuitable",
    "Z1": "With former foster carer(s): suitable",
    "Z2": "With former foster carer(s): unsuitable",
    "0": "Not applicable (young person died or returned home)",
}

# ETHNIC. Valid list: rule 103 (rules/lac2022_23/rule_103.py).
ETHNICITY: Final[dict[str, str]] = {
    "WBRI": "White British",
    "WIRI": "White Irish",
    "WOTH": "Any other White background",
    "WIRT": "Traveller of Irish heritage",
    "WROM": "Gypsy/Roma",
    "MWBC": "White and Black Caribbean",
    "MWBA": "White and Black African",
    "MWAS": "White and Asian",
    "MOTH": "Any other mixed background",
    "AIND": "Indian",
    "APKN": "Pakistani",
    "ABAN": "Bangladeshi",
    "AOTH": "Any other Asian background",
    "BCRB": "Black Caribbean",
    "BAFR": "Black African",
    "BOTH": "Any other Black background",
    "CHNE": "Chinese",
    "OOTH": "Any other ethnic group",
    "REFU": "Refused",
    "NOBT": "Information not yet obtained",
}

# SEX, the child's reported sex. Valid list: rule 101, newest copy
# rules/lac2024_25/rule_101.py (letters from 2024-25; earlier years used 1/2).
# U is allowed but queried (232).
SEX: Final[dict[str, str]] = {
    "M": "Male",
    "F": "Female",
    "U": "Not known",
}

# UASC, unaccompanied asylum-seeking child flag in the header. Valid list:
# rule 105 (rules/lac2022_23/rule_105.py; checked for XML returns, where it
# compares numerically with [0, 1]); 303 says a date UASC ceased needs 1.
UASC: Final[dict[str, str]] = {
    "0": "Not an unaccompanied asylum-seeking child",
    "1": "Unaccompanied asylum-seeking child",
}

# MISSING, type of absence from placement. Valid list: rule 1006
# (rules/lac2022_23/rule_1006.py); meanings from 564-586 ("missing or away from
# placement without authorisation").
MISSING: Final[dict[str, str]] = {
    "M": "Missing from placement",
    "A": "Away from placement without authorisation",
}

# UPN placeholders when a child's UPN is unknown. Valid list: rule 168
# (rules/lac2022_23/rule_168.py, regex ^(UN[1-5])$). Meanings confirmed by:
# 209 (UN1 not for a child of school age), 210 (UN4 not for a child looked
# after for more than a week at 31 March).
UPN_UNKNOWN: Final[dict[str, str]] = {
    "UN1": "Child not yet of school age and not in school, so no UPN yet",
    "UN2": "Child has never attended a school in England, so has no UPN",
    "UN3": "Child is educated at home",
    "UN4": "Child newly looked after and UPN not yet obtained",
    "UN5": "Sources collating UPNs reflect a discrepancy",
}

# Adoption (AD1 table).

# SEX_ADOPTR. Valid list: rule 176 (rules/lac2022_23/rule_176.py); meanings
# from 511 (MM, FF, MF are couples).
SEX_ADOPTR: Final[dict[str, str]] = {
    "M1": "Single male adopter",
    "F1": "Single female adopter",
    "MM": "Couple, both male",
    "FF": "Couple, both female",
    "MF": "Couple, male and female",
}

# LS_ADOPTR, legal status of adopter(s). Valid list: rule 177
# (rules/lac2022_23/rule_177.py); meanings from 514 (L0 single), 520 (L11
# different-sex married), 524 (L12 same-sex), 519 (L2 civil partnership),
# 517 (L3 must be MF), 518 (L4 must be MM or FF).
LS_ADOPTR: Final[dict[str, str]] = {
    "L0": "Single adopter",
    "L11": "Married couple, different sex",
    "L12": "Married couple, same sex",
    "L2": "Civil partners",
    "L3": "Unmarried couple, different sex",
    "L4": "Unmarried couple, same sex",
}

# NB_ADOPTR, number of adopters. Valid list: rule 175
# (rules/lac2022_23/rule_175.py); 511 ties 2 to couples.
NB_ADOPTR: Final[dict[str, str]] = {
    "1": "One adopter",
    "2": "Two adopters",
}

# FOSTER_CARE, adopted by former foster carer(s)? Valid list: rule 114
# (rules/lac2022_23/rule_114.py); meanings from 335.
FOSTER_CARE: Final[dict[str, str]] = {
    "0": "Not adopted by former foster carer(s)",
    "1": "Adopted by former foster carer(s)",
}

# REASON_PLACED_CEASED, why the decision that the child should be placed for
# adoption was reversed (PlacedAdoption table). Valid list: rule 120
# (rules/lac2022_23/rule_120.py).
REASON_PLACED_CEASED: Final[dict[str, str]] = {
    "RD1": "The child's needs changed after the decision",
    "RD2": "The court did not make a placement order",
    "RD3": "Prospective adopters could not be found",
    "RD4": "Any other reason",
}

# Temporary placements: the set the rules treat as temporary in rules 380
# (period of care cannot start with one), 381 (nor end with one), 382 (not
# during short breaks), 383 (child must return to the usual placement) and 226
# (no reason for placement change), all listing exactly T0-T4.
TEMPORARY_PLACEMENTS: Final[frozenset[str]] = frozenset({"T0", "T1", "T2", "T3", "T4"})

# Short breaks: an agreed series of short-term placements, legal status V3
# (recorded as individual episodes) or V4 (recorded as agreements). Rule 382
# ("a child receiving respite care cannot be in a temporary placement") and 426
# (not V3 and V4 in the same year) identify a child on short breaks by LS alone:
# SSDA903 has no per-placement short-break item. DfE's placement stability
# indicators exclude "children looked after under an agreed series of
# short-term placements" (docs/adr/0002-placement-stability-measures.md).
SHORT_BREAK_LEGAL_STATUSES: Final[frozenset[str]] = frozenset({"V3", "V4"})

# Placed for adoption: rules 390 (adopted, E11/E12, only from these) and 551
# (needs a date of decision to place for adoption), both listing A3-A6.
PLACED_FOR_ADOPTION: Final[frozenset[str]] = frozenset({"A3", "A4", "A5", "A6"})


def is_valid(code_list: Mapping[str, str], code: str) -> bool:
    """Say whether ``code`` is in ``code_list``, exactly as the return compares it.

    The DfE rules use exact, case-sensitive membership (``isin``), so this does
    too: ``"c2"`` is not a legal status even though ``"C2"`` is. Callers that
    take free text should normalise it themselves before asking.
    """
    return code in code_list
