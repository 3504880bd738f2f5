"""A child's NHS number as other services may hold it: a keyed digest, never the number.

Casefile records each child's NHS number; the health service needs to recognise
the child in FHIR resources from NHS systems, which name patients by NHS number.
Casefile publishes `child.nhs-number.v1` carrying `nhs_number_digest(nhs)`:
HMAC-SHA256 of the normalised number under a key derived from the council's
integration key, so the number never leaves casefile, and the ten-digit space
cannot be searched without that key. Health digests each FHIR resource's NHS
number the same way and looks the digest up (docs/adr/0020-health-service.md).
The same construction as UPNs (`shared.contracts.pupil_numbers`), under its own label.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from shared.contracts import sealing
from shared.identifiers import validate_nhs_number

#: Fixed forever: a new label would make every stored digest unmatchable.
_LABEL = b"belonging/nhs-number-digest/v1"


class NoDigestKey(RuntimeError):
    """Neither the process's integration key nor INTEGRATION_KEY is known."""


def _key(integration_key: str | None) -> bytes:
    text = integration_key or sealing.integration_key_text() or os.environ.get("INTEGRATION_KEY")
    if not text:
        raise NoDigestKey("NHS number digests need the council's integration key (INTEGRATION_KEY)")
    return hmac.new(base64.b64decode(text), _LABEL, hashlib.sha256).digest()


def nhs_number_digest(nhs_number: str, integration_key: str | None = None) -> str:
    """The keyed digest of a valid NHS number (hex); ValueError if it is not valid (modulus 11)."""
    normalised = validate_nhs_number(nhs_number)
    return hmac.new(_key(integration_key), normalised.encode(), hashlib.sha256).hexdigest()
