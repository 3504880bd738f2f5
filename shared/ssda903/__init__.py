"""SSDA903 (children looked after return) code lists, checked against DfE's rules.

See :mod:`shared.ssda903.codes` for where each list comes from.
"""

from __future__ import annotations

from shared.ssda903.codes import (
    ACCOMMODATION,
    ACTIVITY,
    CATEGORY_OF_NEED,
    ETHNICITY,
    FOSTER_CARE,
    IN_TOUCH,
    LEGAL_STATUS,
    LS_ADOPTR,
    MISSING,
    NB_ADOPTR,
    PLACED_FOR_ADOPTION,
    PLACEMENT_PROVIDER,
    PLACEMENT_TYPE,
    REASON_EPISODE_CEASED,
    REASON_NEW_EPISODE,
    REASON_PLACE_CHANGE,
    REASON_PLACED_CEASED,
    REVIEW_PARTICIPATION,
    SEX,
    SEX_ADOPTR,
    TEMPORARY_PLACEMENTS,
    UASC,
    UPN_UNKNOWN,
    is_valid,
)

__all__ = [
    "ACCOMMODATION",
    "ACTIVITY",
    "CATEGORY_OF_NEED",
    "ETHNICITY",
    "FOSTER_CARE",
    "IN_TOUCH",
    "LEGAL_STATUS",
    "LS_ADOPTR",
    "MISSING",
    "NB_ADOPTR",
    "PLACED_FOR_ADOPTION",
    "PLACEMENT_PROVIDER",
    "PLACEMENT_TYPE",
    "REASON_EPISODE_CEASED",
    "REASON_NEW_EPISODE",
    "REASON_PLACED_CEASED",
    "REASON_PLACE_CHANGE",
    "REVIEW_PARTICIPATION",
    "SEX",
    "SEX_ADOPTR",
    "TEMPORARY_PLACEMENTS",
    "UASC",
    "UPN_UNKNOWN",
    "is_valid",
]
