"""Bearer tokens: verify RS256 JWTs from the council's identity provider, or mint dev ones.

Tokens say who the caller is, which roles they hold and for whom they act, never
which children they are related to (checked at request time). Only RS256, with
keys only from the configured JWKS (`JWT_JWKS_FILE` or `JWT_JWKS_URL`).
`DevIssuer` mints tokens locally for `belonging token` and the tests
(docs/adr/0006-tokens-say-who-read-models-say-whom.md).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import tempfile
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any, Protocol

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.settings import DEV_ISSUER, ServiceSettings

ALGORITHM = "RS256"
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DEV_ISSUER_DIR = REPO_ROOT / ".data" / "dev-issuer"


class InvalidToken(Exception):
    """The token cannot be trusted; the message is safe to show the caller."""


class KeysUnavailable(Exception):
    """The verification keys cannot be loaded: the service's fault, not the caller's."""


#: A team name in a token, at most this long.
MAX_TEAM_LENGTH = 64


@dataclass(frozen=True)
class Principal:
    """The authenticated caller.

    `roles` keeps the token's order (the first is the caller's primary role);
    `role` is the one role this request acts in, chosen when it is authorised.
    """

    user_id: str
    name: str | None
    roles: tuple[str, ...]
    on_behalf_of: str | None = None
    role: str | None = None
    #: The teams the caller manages (the `teams` claim the council's identity
    #: provider issues): a team manager is related to the children allocated
    #: to these teams, in every service alike.
    teams: tuple[str, ...] = ()


class SigningKeys(Protocol):
    def key_for(self, token: str) -> jwt.PyJWK:
        """The public key that should have signed `token` (by its `kid`)."""
        ...


class JwksFile:
    """Keys from a JWKS document on disk, read lazily and re-read when it changes.

    Lazily, so a service can start before the dev issuer has made its keys.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = Lock()
        self._loaded_mtime: float | None = None
        self._keys: dict[str | None, jwt.PyJWK] = {}

    def _load(self) -> None:
        try:
            mtime = self.path.stat().st_mtime
            if mtime == self._loaded_mtime:
                return
            keys = _keys_by_id(json.loads(self.path.read_text()))
        except (OSError, ValueError, jwt.PyJWTError) as error:
            raise KeysUnavailable(f"cannot read JWKS file {self.path}: {error}") from error
        self._keys, self._loaded_mtime = keys, mtime

    def key_for(self, token: str) -> jwt.PyJWK:
        kid = _kid(token)
        with self._lock:
            if kid not in self._keys:
                self._load()
            keys = self._keys
        if kid in keys:
            return keys[kid]
        if kid is None and len(keys) == 1:
            return next(iter(keys.values()))
        raise InvalidToken("token is signed with an unknown key")


class JwksUrl:
    """Keys from the identity provider's JWKS endpoint, cached for five minutes."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self._client = jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=300, timeout=timeout)

    def key_for(self, token: str) -> jwt.PyJWK:
        try:
            return self._client.get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError as error:
            raise KeysUnavailable(str(error)) from error
        except jwt.PyJWTError as error:
            raise InvalidToken("token is signed with an unknown key") from error


def _kid(token: str) -> str | None:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.PyJWTError as error:
        raise InvalidToken("token is malformed") from error
    return kid if isinstance(kid, str) else None


def _keys_by_id(document: Mapping[str, Any]) -> dict[str | None, jwt.PyJWK]:
    keys: dict[str | None, jwt.PyJWK] = {}
    for entry in document.get("keys", []):
        if entry.get("use", "sig") != "sig" or entry.get("kty") != "RSA":
            continue
        keys[entry.get("kid")] = jwt.PyJWK.from_dict(entry, algorithm=ALGORITHM)
    return keys


class TokenVerifier:
    """Checks signature, issuer, audience and expiry, then reads the caller's claims."""

    def __init__(
        self, keys: SigningKeys, *, issuer: str, audience: str, leeway: float = 30.0
    ) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        # Clock skew between the identity provider and us, not a grace period.
        self.leeway = leeway
        # Tokens already verified, until they expire (at most RECHECK seconds,
        # so a key withdrawn from the JWKS stops being honoured within that).
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._verified_lock = Lock()

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> TokenVerifier:
        keys: SigningKeys
        if settings.jwks_url:
            keys = JwksUrl(settings.jwks_url)
        elif settings.jwks_path:
            keys = JwksFile(settings.jwks_path)
        else:
            raise ValueError(
                "no token keys configured: set JWT_JWKS_URL, or JWT_JWKS_FILE "
                f"(the dev issuer's is {DEFAULT_DEV_ISSUER_DIR / 'jwks.json'})"
            )
        return cls(keys, issuer=settings.jwt_issuer, audience=settings.jwt_audience)

    #: How long a verified token is trusted without checking its signature again.
    RECHECK = 60.0
    #: How many verified tokens are remembered.
    REMEMBERED = 10_000

    def already_verified(self, token: str) -> Principal | None:
        """The caller of a token verified a moment ago and not yet expired; else None.

        Clients send the same token with every request; checking its signature
        once a minute rather than on every request keeps the check off the hot path.
        """
        with self._verified_lock:
            found = self._verified.get(token)
            if found is None:
                return None
            principal, until = found
            if time.time() >= until:
                del self._verified[token]
                return None
            self._verified.move_to_end(token)
            return principal

    def verify(self, token: str) -> Principal:
        principal, expires = self._verify(token)
        until = min(expires, time.time() + self.RECHECK)
        with self._verified_lock:
            self._verified[token] = (principal, until)
            self._verified.move_to_end(token)
            while len(self._verified) > self.REMEMBERED:
                self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        key = self.keys.key_for(token)
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken("token has expired") from error
        except jwt.InvalidAudienceError as error:
            raise InvalidToken("token is not for this audience") from error
        except jwt.InvalidIssuerError as error:
            raise InvalidToken("token is from an untrusted issuer") from error
        except jwt.MissingRequiredClaimError as error:
            raise InvalidToken(f"token lacks the {error.claim} claim") from error
        except jwt.PyJWTError as error:
            raise InvalidToken("token signature or format is invalid") from error
        return _principal(claims), float(claims["exp"])


def _principal(claims: Mapping[str, Any]) -> Principal:
    subject, name = claims.get("sub"), claims.get("name")
    roles, on_behalf_of = claims.get("roles", []), claims.get("on_behalf_of")
    if not isinstance(subject, str) or not subject:
        raise InvalidToken("token subject is empty")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise InvalidToken("token roles claim must be a list of strings")
    if name is not None and not isinstance(name, str):
        raise InvalidToken("token name claim must be a string")
    if on_behalf_of is not None and not isinstance(on_behalf_of, str):
        raise InvalidToken("token on_behalf_of claim must be a string")
    teams = claims.get("teams", [])
    if not isinstance(teams, list) or not all(
        isinstance(team, str) and 0 < len(team) <= MAX_TEAM_LENGTH for team in teams
    ):
        raise InvalidToken(
            f"token teams claim must be a list of team names of 1 to {MAX_TEAM_LENGTH} characters"
        )
    return Principal(
        user_id=subject,
        name=name,
        roles=tuple(dict.fromkeys(roles)),
        on_behalf_of=on_behalf_of or None,
        teams=tuple(dict.fromkeys(teams)),
    )


class DevIssuer:
    """A local identity provider: one RSA key pair per directory, made on first use.

    The private key never leaves the directory (mode 0600); services are pointed
    at `jwks_path` through `JWT_JWKS_FILE`. Safe when several processes start at
    once: the key file is created atomically and whoever loses the race uses the
    winner's key.
    """

    def __init__(
        self,
        directory: str | Path | None = None,
        *,
        issuer: str = DEV_ISSUER,
        audience: str = "belonging",
    ) -> None:
        self.directory = Path(directory) if directory is not None else DEFAULT_DEV_ISSUER_DIR
        self.issuer = issuer
        self.audience = audience
        self._private_key = self._load_or_create_key()
        public_jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self._private_key.public_key()))
        self.kid = _thumbprint(public_jwk)
        self._write_jwks({**public_jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM})

    @property
    def private_key_path(self) -> Path:
        return self.directory / "private_key.pem"

    @property
    def jwks_path(self) -> Path:
        return self.directory / "jwks.json"

    def _load_or_create_key(self) -> rsa.RSAPrivateKey:
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self.private_key_path.exists():
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".key-")
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(pem)
                with contextlib.suppress(FileExistsError):  # another process won the race
                    os.link(temporary, self.private_key_path)
            finally:
                os.unlink(temporary)
        loaded = serialization.load_pem_private_key(self.private_key_path.read_bytes(), None)
        if not isinstance(loaded, rsa.RSAPrivateKey):
            raise ValueError(f"{self.private_key_path} is not an RSA private key")
        return loaded

    def _write_jwks(self, public_jwk: dict[str, Any]) -> None:
        document = json.dumps({"keys": [public_jwk]}, indent=2, sort_keys=True)
        if self.jwks_path.exists() and self.jwks_path.read_text() == document:
            return
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".jwks-")
        with os.fdopen(fd, "w") as file:
            file.write(document)
        os.chmod(temporary, 0o644)
        os.replace(temporary, self.jwks_path)

    def mint(
        self,
        user: str,
        roles: Iterable[str],
        ttl: int = 3600,
        *,
        name: str | None = None,
        on_behalf_of: str | None = None,
        audience: str | None = None,
        teams: Iterable[str] = (),
    ) -> str:
        """A signed token for `user`, valid for `ttl` seconds (negative: already expired)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": user,
            "aud": audience or self.audience,
            "iat": now,
            "exp": now + ttl,
            "jti": str(uuid.uuid4()),
            "roles": [str(role) for role in roles],
        }
        if name is not None:
            claims["name"] = name
        if on_behalf_of is not None:
            claims["on_behalf_of"] = on_behalf_of
        if teams:
            claims["teams"] = list(teams)
        return jwt.encode(claims, self._private_key, algorithm=ALGORITHM, headers={"kid": self.kid})

    def verifier(self, *, audience: str | None = None) -> TokenVerifier:
        """A verifier trusting this issuer, as a service configured for it would build."""
        return TokenVerifier(
            JwksFile(self.jwks_path), issuer=self.issuer, audience=audience or self.audience
        )


def _thumbprint(public_jwk: Mapping[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: a key id that is a function of the key."""
    members = {name: public_jwk[name] for name in ("e", "kty", "n")}
    digest = hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode())
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
