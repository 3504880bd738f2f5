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


#: Narrower circles of consumers, each with a key of its own: an event whose
#: contract names a circle (`IntegrationEvent.sealed_for`) is sealed under the
#: child's key of that circle, which only services given `INTEGRATION_KEY_<CIRCLE>`
#: can unwrap (health detail: SDQ scores, immunisations, substance misuse).
CIRCLES: tuple[str, ...] = ("health-detail",)
#: The services of this council given each circle's key (the performance team,
#: the other member of health detail's audience, reads through health's API).
CIRCLE_MEMBERS: dict[str, tuple[str, ...]] = {"health-detail": ("health",)}
_circles: dict[str, KeyRing] = {}
_circles_made_for: tuple[NatsSettings, tuple[tuple[str, str], ...]] | None = None


class NotInCircle(LookupError):
    """An event sealed for a circle of consumers this process is not in: not for it."""


def circle_variable(circle: str) -> str:
    """`health-detail` -> `INTEGRATION_KEY_HEALTH_DETAIL`."""
    return "INTEGRATION_KEY_" + circle.upper().replace("-", "_")


def use_circle_keys(settings: NatsSettings | None, keys: dict[str, str]) -> None:
    """The circles this process is in (`{circle: base64 key}`), replacing any before."""
    global _circles_made_for
    with _guard:
        wanted = None if settings is None else (settings, tuple(sorted(keys.items())))
        if wanted == _circles_made_for:
            return
        for ring in _circles.values():
            if isinstance(ring.vault, NatsKeyVault):
                ring.vault.close()
        _circles.clear()
        _circles_made_for = wanted
        if settings is None:
            return
        for circle, key in keys.items():
            vault = NatsKeyVault.connect(settings, INTEGRATION_BUCKET, f"{circle}-keys")
            _circles[circle] = KeyRing.from_base64(vault, key)


def circle_key_name(circle: str, child_id: str) -> str:
    """The name of a child's key in a circle (in the `INTEGRATION_KEYS` bucket)."""
    return f"{circle}.{child_id}"


def destroy_child_keys(child_id: str) -> None:
    """Erases the child's integration keys, the wider one and every circle's.

    A purge needs no wrapping key, so any service erases them all; a circle's
    ring this process holds forgets its key at once too.
    """
    wider = _keyring
    for circle in CIRCLES:
        name = circle_key_name(circle, child_id)
        ring = _circles.get(circle) or wider
        if ring is not None:
            ring.destroy(name)
    if wider is not None:
        wider.destroy(child_id)


def integration_key_text() -> str | None:
    """The council's integration key this process was given (base64), if any."""
    made_for = _made_for
    return made_for[1] if made_for is not None else None


def seal(child_id: str, data: bytes, circle: str | None = None) -> dict[str, str]:
    """The data sealed under the child's key (of the circle, if the contract names one)."""
    if circle is None:
        keyring, name = _keyring, child_id
    else:
        keyring, name = _circles.get(circle), circle_key_name(circle, child_id)
        if keyring is None:  # never publish a circle's event under the wider key
            raise NoIntegrationKey(f"an event for {circle}, and no {circle_variable(circle)}")
    assert keyring is not None
    return {"sealed": base64.b64encode(keyring.encrypt(name, data)).decode()}


def open_sealed(child_id: str, data: dict[str, object], circle: str | None = None) -> bytes:
    """The sealed JSON; KeyDestroyed once the child is erased; NotInCircle if not ours."""
    if circle is None:
        keyring, name = _keyring, child_id
        if keyring is None:
            raise NoIntegrationKey("a sealed integration event, and no INTEGRATION_KEY to open it")
    else:
        keyring, name = _circles.get(circle), circle_key_name(circle, child_id)
        if keyring is None:
            raise NotInCircle(f"sealed for {circle}, which this service is not in")
    sealed = data.get("sealed")
    if not isinstance(sealed, str):
        raise ValueError("sealed integration data without its `sealed` text")
    return keyring.decrypt(name, base64.b64decode(sealed, validate=True))
