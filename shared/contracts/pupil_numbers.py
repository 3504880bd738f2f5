"""A child's UPN as other services may hold it: a keyed digest, never the number.

Casefile records each child's Unique Pupil Number; the education service needs
to recognise a child in a school's attendance or exclusions feed, which names
pupils by UPN. Casefile publishes `child.pupil-number.v1` carrying
`upn_digest(upn)`: HMAC-SHA256 of the normalised UPN under a key derived from the
council's integration key, so the number itself never leaves casefile and a
digest means nothing without that key. Education digests each feed row's UPN
the same way and looks the digest up (docs/adr/0021-education-service.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from shared.contracts import sealing
from shared.identifiers import validate_upn

#: Fixed forever: a new label would make every stored digest unmatchable.
_LABEL = b"belonging/upn-digest/v1"


class NoDigestKey(RuntimeError):
    """Neither the process's integration key nor INTEGRATION_KEY is known."""


def _key(integration_key: str | None) -> bytes:
    text = integration_key or sealing.integration_key_text() or os.environ.get("INTEGRATION_KEY")
    if not text:
        raise NoDigestKey("UPN digests need the council's integration key (INTEGRATION_KEY)")
    return hmac.new(base64.b64decode(text), _LABEL, hashlib.sha256).digest()


def upn_digest(upn: str, integration_key: str | None = None) -> str:
    """The keyed digest of a valid UPN (hex); ValueError if the UPN is not valid."""
    normalised = validate_upn(upn)
    return hmac.new(_key(integration_key), normalised.encode(), hashlib.sha256).hexdigest()
