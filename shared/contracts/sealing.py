"""Integration events sealed under the child's integration key, so an erasure reaches them.

The integration streams are copies that other services and council systems
read; like the event streams they keep everything. Each event's data is
sealed (AES-256-GCM) under a key of the child's own in the `INTEGRATION_KEYS`
bucket, wrapped by the council's integration key (`INTEGRATION_KEY`, held by
every service that publishes or consumes). The CloudEvent's attributes stay
in clear (type, subject = the pseudonymous child id, time) so that routing and
auditing need no key. Erasing the child destroys the key: every copy of its
integration events becomes unreadable. The erasure notice itself is not
sealed: it says nothing but the pseudonymous id.

Without an integration key (a bare test), events are published in clear.
"""

from __future__ import annotations

import base64
import threading

from shared.eventstore.keyring import INTEGRATION_BUCKET, KeyRing, NatsKeyVault
from shared.eventstore.settings import NatsSettings


class NoIntegrationKey(RuntimeError):
    """A sealed event reached a process that was given no integration key."""


#: The CloudEvent `datacontenttype` of sealed data: `{"sealed": base64}`.
SEALED = "application/vnd.belonging.sealed+json"

_keyring: KeyRing | None = None
_made_for: tuple[NatsSettings, str] | None = None
_guard = threading.Lock()


def use_integration_keys(settings: NatsSettings | None, integration_key: str | None) -> None:
    """Seals and opens this process's integration events (none: in clear).

    One key ring a process, shared by the services it runs; started again
    with other connection settings or key (a test's next stack, other
    credentials), it is made anew.
    """
    global _keyring, _made_for
    with _guard:
        wanted = None
        if integration_key is not None and settings is not None:
            wanted = (settings, integration_key)
        if wanted == _made_for:
            return
        if _keyring is not None and isinstance(_keyring.vault, NatsKeyVault):
            _keyring.vault.close()
        _keyring, _made_for = None, wanted
        if settings is not None and integration_key is not None:
            vault = NatsKeyVault.connect(settings, INTEGRATION_BUCKET, "integration-keys")
            _keyring = KeyRing.from_base64(vault, integration_key)


def integration_keys() -> KeyRing | None:
    return _keyring


def integration_key_text() -> str | None:
    """The council's integration key this process was given (base64), if any."""
    made_for = _made_for
    return made_for[1] if made_for is not None else None


def seal(child_id: str, data: bytes) -> dict[str, str]:
    keyring = _keyring
    assert keyring is not None
    return {"sealed": base64.b64encode(keyring.encrypt(child_id, data)).decode()}


def open_sealed(child_id: str, data: dict[str, object]) -> bytes:
    """The sealed JSON; KeyDestroyed once the child is erased."""
    keyring = _keyring
    if keyring is None:
        raise NoIntegrationKey("a sealed integration event, and no INTEGRATION_KEY to open it")
    sealed = data.get("sealed")
    if not isinstance(sealed, str):
        raise ValueError("sealed integration data without its `sealed` text")
    return keyring.decrypt(child_id, base64.b64decode(sealed, validate=True))
