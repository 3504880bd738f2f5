"""Issue #17: our event store, through the whole factory, on secured nats-servers.

Each mode's server (mTLS, TLS + operator-mode creds, nkey, user/password,
token, and a JetStream domain) takes an application's save of an aggregate
with two events and gives it back. Each refused client fails fast, with the
store's own error for what failed: `NatsAuthorizationFailed`, `NatsTLSFailed`
or `NatsUnreachable` from `shared.eventstore.connection`, all subclasses of
eventsourcing's `OperationalError`.
"""

from __future__ import annotations

import time
from uuid import UUID

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import OperationalError

from secured.conftest import SecuredServers
from secured.secure_nats import REFUSALS, Failure, Mode, Refusal, SecurityKit
from shared.eventstore.connection import NatsAuthorizationFailed, NatsTLSFailed, NatsUnreachable

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

# A refused client must know well within this (seconds), with the store's defaults.
FAIL_FAST = 5.0

STORE_ERRORS: dict[Failure, type[OperationalError]] = {
    Failure.AUTHORIZATION: NatsAuthorizationFailed,
    Failure.TLS: NatsTLSFailed,
    Failure.UNREACHABLE: NatsUnreachable,
}

# (mode, JetStream domain): every way in.
WAYS_IN = [(mode, None) for mode in Mode] + [(Mode.USER_PASSWORD, "council")]


class Note(Aggregate):
    @event("Written")
    def __init__(self, text: str) -> None:
        self.text = text
        self.revisions = 0

    @event("Revised")
    def revise(self, text: str) -> None:
        self.text = text
        self.revisions += 1


class SecuredNotes(Application[UUID]):
    def write(self, text: str, revision: str) -> UUID:
        note = Note(text)
        note.revise(revision)
        self.save(note)
        return note.id

    def note(self, note_id: UUID) -> Note:
        note: Note = self.repository.get(note_id)
        return note


def application_env(settings: dict[str, str]) -> dict[str, str]:
    return {"PERSISTENCE_MODULE": "shared.eventstore", **settings}


def test_the_store_names_what_failed() -> None:
    errors = list(STORE_ERRORS.values())
    for error in errors:  # distinct kinds, none caught as another, all OperationalError
        assert issubclass(error, OperationalError)
        assert not any(issubclass(error, other) for other in errors if other is not error)


def _way_in_id(case: tuple[Mode, str | None]) -> str:
    mode, domain = case
    return mode.value + (f"-domain-{domain}" if domain else "")


@pytest.mark.parametrize("case", WAYS_IN, ids=_way_in_id)
def test_the_factory_saves_and_reads_through_a_secured_server(
    secured_servers: SecuredServers, case: tuple[Mode, str | None]
) -> None:
    mode, domain = case
    server = secured_servers.get(mode, js_domain=domain)
    app = SecuredNotes(env=application_env(server.store_settings()))
    try:
        note_id = app.write("placed with foster carers", "moved to a children's home")
        note = app.note(note_id)
        assert note.version == 2
        assert note.revisions == 1
        assert note.text == "moved to a children's home"
        notifications = app.notification_log.select(start=1, limit=10)
        assert [n.originator_id for n in notifications][-2:] == [note_id, note_id]
        assert [n.originator_version for n in notifications][-2:] == [1, 2]
    finally:
        app.close()
    # The events went into the server the settings named, into its file store.
    jetstream = server.varz()["jetstream"]
    assert jetstream["stats"]["storage"] > 0
    if domain:
        assert jetstream["config"]["domain"] == domain


def test_the_factory_reaches_jetstream_by_its_api_prefix(secured_servers: SecuredServers) -> None:
    """`NATS_JS_API_PREFIX` is the other way to name a domain's API: `$JS.<domain>.API`."""
    server = secured_servers.get(Mode.USER_PASSWORD, js_domain="council")
    settings = {k: v for k, v in server.store_settings().items() if k != "NATS_JS_DOMAIN"}
    app = SecuredNotes(env=application_env({**settings, "NATS_JS_API_PREFIX": "$JS.council.API"}))
    try:
        assert app.note(app.write("referral", "assessment")).version == 2
    finally:
        app.close()


@pytest.mark.parametrize(
    "setting",
    [{"NATS_JS_DOMAIN": "elsewhere"}, {"NATS_JS_API_PREFIX": "$JS.elsewhere.API"}],
    ids=["domain", "api-prefix"],
)
def test_a_jetstream_domain_that_is_not_there_fails_as_an_operational_error(
    secured_servers: SecuredServers, setting: dict[str, str]
) -> None:
    """The setting is used, not ignored: a domain no server has answers nothing."""
    server = secured_servers.get(Mode.USER_PASSWORD, js_domain="council")
    settings = {k: v for k, v in server.store_settings().items() if k != "NATS_JS_DOMAIN"}
    started = time.monotonic()
    with pytest.raises(OperationalError):
        SecuredNotes(env=application_env({**settings, **setting})).close()
    assert time.monotonic() - started < FAIL_FAST


def _refusal_id(refusal: Refusal) -> str:
    return refusal.id


@pytest.mark.parametrize("refusal", REFUSALS, ids=_refusal_id)
def test_a_refused_client_fails_fast_saying_what_failed(
    secured_servers: SecuredServers, security_kit: SecurityKit, refusal: Refusal
) -> None:
    expected = tuple(STORE_ERRORS[failure] for failure in refusal.failures)
    good = secured_servers.get(refusal.mode).store_settings() if refusal.mode else {}
    env = application_env(refusal.change(security_kit, good))
    started = time.monotonic()
    with pytest.raises(expected) as raised:
        app = SecuredNotes(env=env)
        app.close()
    elapsed = time.monotonic() - started
    assert elapsed < FAIL_FAST, f"{refusal.id}: took {elapsed:.1f}s to fail"
    assert str(raised.value), "the error says nothing"
