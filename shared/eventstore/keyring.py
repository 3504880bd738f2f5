"""Each record's own data key, so that one child's record can be erased (crypto-shredding).

The event streams deny delete and purge: nothing written can be taken back.
So that a child's record can still be erased at the end of retention, every
record (an aggregate; each belongs to one child) is encrypted under a data key
of its own, made when its first event is written (envelope encryption). The
data key is kept wrapped by the service's key (`CIPHER_KEY`), apart from the
events, in a NATS key-value bucket of the service (`KEYS_<STREAM>`, history 1,
the stream's replicas, fsync before ack like every stream of ours).
Destroying a record's data key (`destroy`: a purge of its entry, which leaves a
marker) makes every copy of its events unreadable, wherever they were copied,
and no key is ever made again under a destroyed name.

Integration events use the same mechanism with one key per child in the
`INTEGRATION_KEYS` bucket, wrapped by the council's integration key
(`INTEGRATION_KEY`), which every consuming service holds.

Keys are cached unwrapped in the process for `KEY_CACHE_SECONDS`: an erasure
reaches other processes within that time (docs/adr/0016-erasure-by-crypto-shredding.md).
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nats.js import api
from nats.js import errors as js_errors
from nats.js.kv import KV_DEL, KV_PURGE, KeyValue

from shared.eventstore.connection import NatsConnection
from shared.eventstore.settings import NatsSettings

T = TypeVar("T")

#: The bucket of the council's integration keys (one per child).
INTEGRATION_BUCKET = "INTEGRATION_KEYS"
#: How long an unwrapped key is trusted in memory before it is looked up again.
KEY_CACHE_SECONDS = 30.0
#: Unwrapped keys kept in memory at most.
KEY_CACHE_SIZE = 50_000
#: What an encrypted body starts with: format 1 of a body under a record's own key.
MAGIC = b"BK1"
_NONCE = 12


class KeyDestroyed(LookupError):
    """The record's data key was destroyed: its events are erased and cannot be read."""

    def __init__(self, name: str) -> None:
        super().__init__(f"the data key of {name} was destroyed: the record is erased")
        self.name = name


class DamagedBody(ValueError):
    """A body that is not in our format, or fails authentication under its key."""


def keys_bucket(stream: str) -> str:
    """The bucket of a service's record keys: `KEYS_<STREAM>`."""
    return f"KEYS_{stream}"


class KeyVault(Protocol):
    """Where wrapped data keys are kept: read, add once, destroy."""

    def read(self, name: str) -> bytes | None:
        """The wrapped key, or None if none was ever made; KeyDestroyed if destroyed."""

    def add(self, name: str, wrapped: bytes) -> bool:
        """Stores a new key; False if `name` already has one (or had one)."""

    def destroy(self, name: str) -> None:
        """Destroys the key for ever (idempotent)."""


class MemoryKeyVault:
    """Keys in memory: for applications on the in-memory store (unit tests)."""

    def __init__(self) -> None:
        self._keys: dict[str, bytes | None] = {}
        self._lock = threading.Lock()

    def read(self, name: str) -> bytes | None:
        with self._lock:
            if name in self._keys and self._keys[name] is None:
                raise KeyDestroyed(name)
            return self._keys.get(name)

    def add(self, name: str, wrapped: bytes) -> bool:
        with self._lock:
            if name in self._keys:
                return False
            self._keys[name] = wrapped
            return True

    def destroy(self, name: str) -> None:
        with self._lock:
            self._keys[name] = None


class NatsKeyVault:
    """Keys in a NATS key-value bucket, made on first use with the streams' replicas."""

    def __init__(
        self,
        connection: NatsConnection | Callable[[], NatsConnection],
        bucket: str,
        replicas: int = 1,
    ) -> None:
        self._connection = connection if isinstance(connection, NatsConnection) else None
        self._connect = None if isinstance(connection, NatsConnection) else connection
        self.bucket = bucket
        self.replicas = replicas
        self._kv: KeyValue | None = None
        self._lock = threading.Lock()

    @classmethod
    def connect(cls, settings: NatsSettings, bucket: str, name: str) -> NatsKeyVault:
        """A vault with a connection of its own, opened on first use (code without a store)."""
        return cls(lambda: NatsConnection(settings, name=name), bucket, settings.replicas)

    @property
    def connection(self) -> NatsConnection:
        if self._connection is None:
            assert self._connect is not None
            self._connection = self._connect()
        return self._connection

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.connection.run(coro)

    def _bucket(self) -> KeyValue:
        with self._lock:
            if self._kv is None:
                self._kv = self._run(self._open())
            return self._kv

    def close(self) -> None:
        """Closes the connection if the vault opened it."""
        if self._connect is not None and self._connection is not None:
            self._connection.close()
            self._connection = None
            self._kv = None

    async def _open(self) -> KeyValue:
        js = self.connection.jetstream()
        try:
            return await js.key_value(self.bucket)
        except js_errors.BucketNotFoundError:
            config = api.KeyValueConfig(
                bucket=self.bucket,
                history=1,
                replicas=self.replicas,
                storage=api.StorageType.FILE,
                description="Wrapped data keys, one per record (crypto-shredding)",
            )
            try:
                return await js.create_key_value(config)
            except js_errors.BadRequestError:  # made meanwhile by another process
                return await js.key_value(self.bucket)

    def read(self, name: str) -> bytes | None:
        kv = self._bucket()
        try:
            entry = self._run(kv.get(name))
        except js_errors.KeyNotFoundError as e:
            if e.op in (KV_DEL, KV_PURGE):
                raise KeyDestroyed(name) from None
            return None
        return entry.value

    def add(self, name: str, wrapped: bytes) -> bool:
        kv = self._bucket()
        try:
            # `update` with last=0, not `create`: create writes over a destroyed
            # key's marker, and a destroyed key must never come back.
            self._run(kv.update(name, wrapped, last=0))
        except js_errors.KeyWrongLastSequenceError:
            return False
        except js_errors.APIError as e:
            if e.err_code == 10071:  # wrong last sequence, as a plain API error
                return False
            raise
        return True

    def destroy(self, name: str) -> None:
        kv = self._bucket()
        self._run(kv.purge(name))


class KeyRing:
    """Data keys by name: made once, unwrapped with the wrapping key, cached briefly."""

    def __init__(self, vault: KeyVault, wrapping_key: bytes) -> None:
        self.vault = vault
        self._wrapping = AESGCM(wrapping_key)
        self._cache: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._destroyed: set[str] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_base64(cls, vault: KeyVault, wrapping_key: str) -> KeyRing:
        return cls(vault, base64.b64decode(wrapping_key))

    def _cached(self, name: str) -> bytes | None:
        with self._lock:
            if name in self._destroyed:
                raise KeyDestroyed(name)
            found = self._cache.get(name)
            if found is None or time.monotonic() - found[0] > KEY_CACHE_SECONDS:
                return None
            return found[1]

    def _remember(self, name: str, key: bytes) -> bytes:
        with self._lock:
            self._cache[name] = (time.monotonic(), key)
            self._cache.move_to_end(name)
            if len(self._cache) > KEY_CACHE_SIZE:
                self._cache.popitem(last=False)
        return key

    def _unwrap(self, name: str, wrapped: bytes) -> bytes:
        try:
            return self._wrapping.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], name.encode())
        except InvalidTag as e:
            raise DamagedBody(f"the data key of {name} does not open with this key") from e

    def key(self, name: str, *, create: bool = False) -> bytes:
        """The data key of `name`; made when `create` and there is none yet."""
        cached = self._cached(name)
        if cached is not None:
            return cached
        try:
            wrapped = self.vault.read(name)
            if wrapped is None and create:
                key = AESGCM.generate_key(256)
                nonce = os.urandom(_NONCE)
                made = nonce + self._wrapping.encrypt(nonce, key, name.encode())
                if self.vault.add(name, made):
                    return self._remember(name, key)
                wrapped = self.vault.read(name)  # another writer made it first
        except KeyDestroyed:
            with self._lock:
                self._destroyed.add(name)
            raise
        if wrapped is None:
            raise DamagedBody(f"no data key was ever made for {name}")
        return self._remember(name, self._unwrap(name, wrapped))

    def destroy(self, name: str) -> None:
        """Erases: the key is gone from the vault and from this process."""
        self.vault.destroy(name)
        with self._lock:
            self._cache.pop(name, None)
            self._destroyed.add(name)

    def is_destroyed(self, name: str) -> bool:
        try:
            self.key(name)
        except KeyDestroyed:
            return True
        except DamagedBody:
            return False
        return False

    # -- bodies -------------------------------------------------------------------

    def encrypt(self, name: str, plaintext: bytes) -> bytes:
        """`MAGIC` + nonce + AES-256-GCM under `name`'s key, bound to `name`."""
        nonce = os.urandom(_NONCE)
        key = AESGCM(self.key(name, create=True))
        return MAGIC + nonce + key.encrypt(nonce, plaintext, name.encode())

    def decrypt(self, name: str, body: bytes) -> bytes:
        if not body.startswith(MAGIC):
            raise DamagedBody(f"a body of {name} is not encrypted under a record key")
        start = len(MAGIC)
        nonce, sealed = body[start : start + _NONCE], body[start + _NONCE :]
        try:
            return AESGCM(self.key(name)).decrypt(nonce, sealed, name.encode())
        except InvalidTag as e:
            raise DamagedBody(f"a body of {name} fails authentication under its key") from e


_memory_vaults: dict[str, MemoryKeyVault] = {}
_memory_guard = threading.Lock()


def memory_vault(bucket: str) -> MemoryKeyVault:
    """The process's in-memory vault of that name (applications on the in-memory store)."""
    with _memory_guard:
        return _memory_vaults.setdefault(bucket, MemoryKeyVault())


def record_keyring(factory: Any, env: Any, wrapping_key: bytes) -> KeyRing:
    """The key ring of an application's records, beside its event store.

    On our NATS store: the store's bucket `KEYS_<STREAM>` (or `KEY_BUCKET`),
    through the store's connection. On another store with `KEY_VAULT=nats`
    (a replay decoding NATS events on the in-memory store): the same bucket
    through a connection of its own. Otherwise in memory.
    """
    from shared.eventstore.factory import NatsFactory

    bucket = env.get("KEY_BUCKET")
    if isinstance(factory, NatsFactory):
        vault: KeyVault = NatsKeyVault(
            factory.connection, bucket or keys_bucket(factory.stream), factory.replicas
        )
    else:
        stream = env.get("NATS_STREAM") or (env.name or "records").upper()
        if env.get("KEY_VAULT") == "nats":
            settings = NatsSettings.load(env.get)
            name = f"{stream.lower()}-keys"
            vault = NatsKeyVault.connect(settings, bucket or keys_bucket(stream), name)
        else:
            vault = memory_vault(bucket or keys_bucket(stream))
    return KeyRing(vault, wrapping_key)
