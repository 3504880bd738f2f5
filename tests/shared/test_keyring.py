"""Record keys in a real NATS key-value bucket: made once, wrapped, destroyed for good."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from uuid import uuid4

import pytest

from shared.eventstore.keyring import DamagedBody, KeyDestroyed, KeyRing, NatsKeyVault
from shared.eventstore.settings import NatsSettings

pytestmark = pytest.mark.integration


@pytest.fixture
def vault(nats_url: str) -> Iterator[NatsKeyVault]:
    bucket = f"KEYS_TEST_{uuid4().hex[:8].upper()}"
    made = NatsKeyVault.connect(NatsSettings.load(url=nats_url), bucket, "keyring-test")
    yield made
    made.close()


def _wrapping_key() -> bytes:
    return os.urandom(32)


def test_a_body_opens_only_under_its_own_records_key(vault: NatsKeyVault) -> None:
    ring = KeyRing(vault, _wrapping_key())
    first, second = str(uuid4()), str(uuid4())
    body = ring.encrypt(first, b'{"date_of_birth": "2012-03-04"}')
    assert b"2012-03-04" not in body
    assert ring.decrypt(first, body) == b'{"date_of_birth": "2012-03-04"}'
    ring.encrypt(second, b"{}")
    with pytest.raises(DamagedBody):
        ring.decrypt(second, body)  # a body moved to another record does not open


def test_a_key_is_made_once_and_shared_by_every_process(vault: NatsKeyVault) -> None:
    wrapping = _wrapping_key()
    writer, reader = KeyRing(vault, wrapping), KeyRing(vault, wrapping)
    name = str(uuid4())
    body = writer.encrypt(name, b"facts")
    assert reader.decrypt(name, body) == b"facts"
    assert reader.key(name, create=True) == writer.key(name)


def test_the_wrapped_key_is_useless_without_the_services_key(vault: NatsKeyVault) -> None:
    name = str(uuid4())
    body = KeyRing(vault, _wrapping_key()).encrypt(name, b"facts")
    stranger = KeyRing(vault, _wrapping_key())
    with pytest.raises(DamagedBody):
        stranger.decrypt(name, body)
    stored = vault.read(name)
    assert stored is not None and len(stored) == 12 + 32 + 16  # nonce, sealed key, tag


def test_a_destroyed_key_is_gone_for_every_process_and_never_made_again(
    vault: NatsKeyVault, nats_url: str
) -> None:
    wrapping = _wrapping_key()
    ring = KeyRing(vault, wrapping)
    name = str(uuid4())
    body = ring.encrypt(name, b"facts")
    ring.destroy(name)
    with pytest.raises(KeyDestroyed):
        ring.decrypt(name, body)
    with pytest.raises(KeyDestroyed):
        ring.encrypt(name, b"new facts")  # a write after the erasure is refused
    other_process = NatsKeyVault.connect(
        NatsSettings.load(url=nats_url), vault.bucket, "keyring-test-2"
    )
    try:
        with pytest.raises(KeyDestroyed):
            KeyRing(other_process, wrapping).decrypt(name, body)
        assert other_process.add(name, b"x" * 60) is False
    finally:
        other_process.close()


def test_a_key_ring_from_a_base64_key_reads_what_the_bytes_key_wrote(vault: NatsKeyVault) -> None:
    wrapping = _wrapping_key()
    name = str(uuid4())
    body = KeyRing(vault, wrapping).encrypt(name, b"facts")
    again = KeyRing.from_base64(vault, base64.b64encode(wrapping).decode())
    assert again.decrypt(name, body) == b"facts"
