"""Issue #19: NATS is not an open door, and placements takes casefile's facts only from its relay.

Casefile and placements run here as deployed, on a nats-server of their own
with the project's users (`shared/stack/nats_accounts.py`): each service with
its own nkey user and the streams and subjects of its name (`CASEFILE`,
`INTEGRATION_CASEFILE`, ...), the admin's seed in the environment as on an
operator's machine (the services must not use it). The tests' own clients are
named `credentials-test`, so what the services did is told apart in the
server's log and connection list.

- an anonymous client, or an nkey the server does not know, is refused;
- the services do their work end to end (a child registered and taken into
  care in casefile, relayed, learnt by placements, placed) with no permission
  refused, each as its own user;
- placements' credentials cannot publish casefile's events or integration
  events, read casefile's domain events, or purge, update or delete casefile's
  streams; casefile's cannot purge or delete its own either;
- what was not published by casefile's relay (no source headers, with the
  admin's or casefile's own credentials) or does not decode is quarantined by
  placements: not applied (a forged allocation grants no access, a forged
  child in care moves no figure), recorded, counted, reported by /ready as
  degraded; and the projection goes on applying what the relay publishes.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import nats
import psycopg
import pytest
from casefile.harness import CasefileService, wait_for
from eventsourcing.cipher import AESCipher
from fastapi.testclient import TestClient
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from secured.conftest import STORE_SETTINGS
from services.casefile.bootstrap import build_app as build_casefile
from services.casefile.settings import CasefileSettings
from services.placements.bootstrap import build_app as build_placements
from services.placements.settings import PlacementsSettings
from shared.access_log import AccessLog
from shared.auth.tokens import DevIssuer
from shared.contracts import casefile
from shared.contracts.base import IntegrationEvent
from shared.contracts.quarantine import QUARANTINE_TABLE
from shared.contracts.relay import SOURCE_INDEX, SOURCE_SEQUENCE, to_cloudevent
from shared.eventstore.connection import NatsAuthorizationFailed, NatsConnection
from shared.eventstore.reader import StreamReader
from shared.eventstore.settings import NatsSettings
from shared.stack.nats_accounts import NatsAccounts, NatsUser, load_or_create_seed
from shared.stack.nats_server import NatsServer

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]

TEST_CLIENT = "credentials-test"
#: Who placements knows is allocated, after the genuine reallocation.
GENUINE = "sw.after"
FORGER = "sw.forger"

# Quarantined messages are counted here (the process's meter provider, set once).
_METRICS = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[_METRICS]))


@dataclass
class Deployment:
    server: NatsServer
    accounts: NatsAccounts
    casefile: CasefileService
    placements: TestClient
    placements_database: str
    issuer: DevIssuer

    @property
    def casefile_user(self) -> NatsUser:
        return self.accounts.service("casefile")

    @property
    def placements_user(self) -> NatsUser:
        return self.accounts.service("placements")

    def headers(self, user: str, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer.mint(user, [role])}"}

    def child_stability(self, child: UUID, user: str) -> int:
        response = self.placements.get(
            f"/v1/children/{child}/stability", headers=self.headers(user, "social_worker")
        )
        return response.status_code

    def council_figures(self) -> Any:
        response = self.placements.get(
            f"/v1/stability?as_of={date.today().isoformat()}",
            headers=self.headers("perf.lee", "performance"),
        )
        assert response.status_code == 200, response.text
        return response.json()

    def violations(self) -> list[str]:
        """Permissions the server refused to anyone but the tests' own clients."""
        assert self.server.log_path is not None
        lines = self.server.log_path.read_text(errors="replace").splitlines()
        refused = ("Publish Violation", "Subscription Violation")
        return [
            line
            for line in lines
            if any(word in line for word in refused) and TEST_CLIENT not in line
        ]


def _database(database_url: str, name: str) -> str:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="module")
def deployment(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    directory = tmp_path_factory.mktemp("credentials")
    accounts = NatsAccounts(directory / "nats-keys")
    server = NatsServer(directory / "nats", accounts=accounts)
    unique = uuid4().hex[:8]
    casefile_db = _database(database_url, f"creds_casefile_{unique}")
    placements_db = _database(database_url, f"creds_placements_{unique}")
    issuer = DevIssuer(directory / "issuer")
    with pytest.MonkeyPatch.context() as env:
        for name in STORE_SETTINGS:
            env.delenv(name, raising=False)
        env.setenv("NATS_URL", server.url)
        # Within reach, as on an operator's machine: no service may fall back to it.
        env.setenv("NATS_NKEY_SEED", str(accounts.admin.seed_path))
        for service in ("casefile", "placements"):
            for name, value in accounts.service(service).env(service).items():
                env.setenv(name, value)
        for name in ("CASEFILE_NATS_STREAM", "CASEFILE_NATS_SUBJECT_PREFIX"):
            env.delenv(name, raising=False)
        env.setenv("CASEFILE_RELAY", "true")
        env.setenv("PERSISTENCE_MODULE", "shared.eventstore")
        env.setenv("CIPHER_KEY", AESCipher.create_key(16))
        env.setenv("LOG_LEVEL", "WARNING")
        server.start()
        try:
            casefile_settings = CasefileSettings(
                database_url=casefile_db, jwks_path=str(issuer.jwks_path)
            )
            placements_settings = PlacementsSettings(
                database_url=placements_db, jwks_path=str(issuer.jwks_path)
            )
            with (
                TestClient(build_casefile(casefile_settings)) as casefile_client,
                TestClient(
                    build_placements(placements_settings, token_verifier=issuer.verifier())
                ) as placements_client,
            ):
                yield Deployment(
                    server=server,
                    accounts=accounts,
                    casefile=CasefileService(
                        casefile_client, issuer, server.url, casefile_db, "CASEFILE", "casefile"
                    ),
                    placements=placements_client,
                    placements_database=placements_db,
                    issuer=issuer,
                )
        finally:
            server.stop()


# -- the tests' own clients ---------------------------------------------------------------


@dataclass
class Attempt:
    """What the server said to one client: the errors it reported."""

    errors: list[str]

    def refused(self, subject: str) -> bool:
        return any(
            "permissions violation" in e and f'"{subject.lower()}"' in e for e in self.errors
        )


async def _connect(deployment: Deployment, user: NatsUser, errors: list[str]) -> Any:
    async def on_error(error: Exception) -> None:
        errors.append(str(error).lower())

    return await nats.connect(
        deployment.server.url,
        nkeys_seed=str(user.seed_path),
        name=TEST_CLIENT,
        error_cb=on_error,
        allow_reconnect=False,
    )


def publish_as(
    deployment: Deployment, user: NatsUser, *messages: tuple[str, bytes, dict[str, str] | None]
) -> Attempt:
    """Publishes (subject, body, headers) as `user`, without waiting for acknowledgements."""
    errors: list[str] = []

    async def run() -> None:
        client = await _connect(deployment, user, errors)
        try:
            for subject, body, headers in messages:
                await client.publish(subject, body, headers=headers)
            await client.flush()
            await asyncio.sleep(0.3)  # a refusal comes back as an asynchronous -ERR
        finally:
            await client.close()

    asyncio.run(run())
    return Attempt(errors)


def stream_state(deployment: Deployment, stream: str) -> tuple[int, int]:
    """(messages, last sequence), as the admin sees them."""

    async def run() -> tuple[int, int]:
        client = await nats.connect(
            deployment.server.url, nkeys_seed=str(deployment.accounts.admin.seed_path)
        )
        try:
            info = await client.jetstream().stream_info(stream)
            return int(info.state.messages), int(info.state.last_seq)
        finally:
            await client.close()

    return asyncio.run(run())


def wait_for_placements_to_know(deployment: Deployment, child: UUID, user: str) -> None:
    wait_for(lambda: deployment.child_stability(child, user) == 200, timeout=30)


# -- the tests ---------------------------------------------------------------------------


def test_an_anonymous_client_or_an_unknown_nkey_is_refused(
    deployment: Deployment, tmp_path: Path
) -> None:
    url = deployment.server.url
    with pytest.raises(NatsAuthorizationFailed):
        NatsConnection(NatsSettings(servers=(url,)), name=TEST_CLIENT)
    stranger = tmp_path / "stranger.nk"
    load_or_create_seed(stranger)
    with pytest.raises(NatsAuthorizationFailed):
        NatsConnection(NatsSettings(servers=(url,), nkey_seed=str(stranger)), name=TEST_CLIENT)

    async def plain_nats_py() -> str:
        try:
            client = await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=1)
        except Exception as e:
            return str(e)
        await client.close()
        return "connected"

    assert "authorization violation" in asyncio.run(plain_nats_py()).lower()
    # The server's config names users and no `no_auth_user`.
    config = deployment.server.config_path.read_text()
    assert "authorization {" in config and "no_auth_user" not in config
    assert "sync_interval: always" in config


def test_each_service_does_its_work_as_its_own_user_and_nothing_is_refused(
    deployment: Deployment,
) -> None:
    service = deployment.casefile
    child, _ = service.looked_after()  # registered, allocated to sw.jones, in care
    wait_for_placements_to_know(deployment, child, "sw.jones")
    started = deployment.placements.post(
        f"/v1/children/{child}/placements",
        json={"effective_date": "2024-01-10", "placement_type": "U4"},
        headers={**deployment.headers("sw.jones", "social_worker"), "Idempotency-Key": "p1"},
    )
    assert started.status_code == 201, started.text
    # Reads are recorded in each service's access log (its _READS stream).
    assert service.get(f"/children/{child}").status_code == 200
    for client in (service.client, deployment.placements):
        ready = client.get("/ready")
        assert ready.status_code == 200, ready.text
        assert set(ready.json()["checks"].values()) == {"ok"}, ready.json()

    connections = _connections(deployment)
    ours = {deployment.casefile_user.public_key, deployment.placements_user.public_key}
    services = [c for c in connections if c.get("name") != TEST_CLIENT]
    assert services, connections
    assert {c.get("authorized_user") for c in services} == ours, services
    assert deployment.violations() == []


def _connections(deployment: Deployment) -> list[dict[str, Any]]:
    url = f"{deployment.server.monitor_url}/connz?auth=true&limit=1024"
    with urllib.request.urlopen(url, timeout=5) as response:
        found: list[dict[str, Any]] = json.load(response)["connections"]
    return found


def test_placements_cannot_write_or_destroy_what_is_casefiles(deployment: Deployment) -> None:
    service = deployment.casefile
    child, _ = service.looked_after()
    wait_for_placements_to_know(deployment, child, "sw.jones")
    streams = ("CASEFILE", "CASEFILE_READS", "INTEGRATION_CASEFILE", "KV_KEYS_CASEFILE")
    before = {stream: stream_state(deployment, stream) for stream in streams}
    api = "$JS.API"
    forbidden = [
        "integration.casefile.social-worker.allocated.v1",
        f"casefile.events.{child}",
        f"casefile_reads.events.0.{AccessLog.create_id(str(child))}",
        f"$KV.KEYS_CASEFILE.{child}",
        f"{api}.DIRECT.GET.CASEFILE",  # casefile's domain events: not placements' to read
        f"{api}.STREAM.MSG.GET.CASEFILE",
        f"{api}.CONSUMER.CREATE.CASEFILE.peek",
    ]
    for stream in streams:
        forbidden += [
            f"{api}.STREAM.PURGE.{stream}",
            f"{api}.STREAM.DELETE.{stream}",
            f"{api}.STREAM.UPDATE.{stream}",
            f"{api}.STREAM.MSG.DELETE.{stream}",
        ]
    body = json.dumps({"config": {"name": "x"}}).encode()
    attempt = publish_as(
        deployment, deployment.placements_user, *[(s, body, None) for s in forbidden]
    )
    assert [s for s in forbidden if not attempt.refused(s)] == [], attempt.errors
    # What placements may do with casefile's integration stream: read it.
    allowed = publish_as(
        deployment,
        deployment.placements_user,
        (f"{api}.DIRECT.GET.INTEGRATION_CASEFILE", b'{"seq": 1}', None),
        (f"{api}.STREAM.INFO.INTEGRATION_CASEFILE", b"", None),
    )
    assert allowed.errors == []
    # Casefile itself may not empty or remove its own streams either.
    own = [f"{api}.STREAM.{verb}.{stream}" for stream in streams for verb in ("PURGE", "DELETE")]
    own += ["placements.events.x", "integration.placements.placement.started.v1"]
    attempt = publish_as(deployment, deployment.casefile_user, *[(s, b"{}", None) for s in own])
    assert [s for s in own if not attempt.refused(s)] == [], attempt.errors
    assert {stream: stream_state(deployment, stream) for stream in streams} == before


def _relayed_position(deployment: Deployment) -> dict[str, str]:
    """The source headers of the last message casefile's relay published."""
    reader = StreamReader(
        NatsConnection(
            NatsSettings(
                servers=(deployment.server.url,),
                nkey_seed=str(deployment.accounts.admin.seed_path),
            ),
            name=TEST_CLIENT,
        ),
        owns_connection=True,
    )
    try:
        last = reader.last("INTEGRATION_CASEFILE", "integration.casefile.>")
    finally:
        reader.close()
    assert last is not None and last.header(SOURCE_SEQUENCE) is not None
    return {name: last.headers[name] for name in (SOURCE_SEQUENCE, SOURCE_INDEX)}


def _cloudevent(event: IntegrationEvent) -> tuple[str, bytes, dict[str, str] | None]:
    return event.subject(), to_cloudevent(event, f"forged-{uuid4()}", casefile.SERVICE, None), None


def test_placements_quarantines_what_casefiles_relay_did_not_publish_and_goes_on(
    deployment: Deployment,
) -> None:
    service = deployment.casefile
    counted_before = _counted()  # the counter is the process's: other modules' count too
    child, _ = service.looked_after()
    wait_for_placements_to_know(deployment, child, "sw.jones")
    wait_for(lambda: _in_care(deployment, child), timeout=30)  # all of it relayed
    position = _relayed_position(deployment)
    figures = deployment.council_figures()
    stranger = uuid4()
    start = date(2024, 2, 1)
    forged_allocation = casefile.SocialWorkerAllocated(
        child_id=str(child), effective_date=start, social_worker_id=FORGER, team="north-1"
    )
    forged_child = [
        casefile.ChildRegistered(
            child_id=str(stranger), effective_date=start, date_of_birth=date(2012, 5, 1), uasc=False
        ),
        casefile.PeriodOfCareStarted(
            child_id=str(stranger),
            effective_date=start,
            period_id=str(uuid4()),
            start_date=start,
            legal_status="C2",
            category_of_need="N1",
        ),
        casefile.SocialWorkerAllocated(
            child_id=str(stranger), effective_date=start, social_worker_id=FORGER, team="north-1"
        ),
    ]
    forged_erasure = casefile.ChildRecordErased(child_id=str(child), effective_date=start)
    # Well-formed, but without the relay's source headers: the admin's credentials...
    by_admin = publish_as(
        deployment,
        deployment.accounts.admin,
        _cloudevent(forged_allocation),
        *[_cloudevent(event) for event in forged_child],
        _cloudevent(forged_erasure),
    )
    # ... and casefile's own (a process holding them that is not the relay).
    by_casefile = publish_as(deployment, deployment.casefile_user, _cloudevent(forged_allocation))
    # With the relay's headers (its last position, so the relay carries on from there),
    # but not a message of the contract: not JSON, and an allocation without its fields.
    subject = forged_allocation.subject()
    incomplete = json.dumps(
        {
            "specversion": "1.0",
            "id": f"forged-{uuid4()}",
            "source": "/belonging/casefile",
            "type": forged_allocation.cloudevent_type(),
            "datacontenttype": "application/json",
            "data": {"child_id": str(child)},
        }
    ).encode()
    malformed = publish_as(
        deployment,
        deployment.casefile_user,
        (subject, b"{not json", position),
        (subject, incomplete, position),
    )
    assert by_admin.errors == by_casefile.errors == malformed.errors == []
    quarantined = 8

    def reported() -> str:
        ready = deployment.placements.get("/ready")
        assert ready.status_code == 200, ready.text  # degraded, not failing
        return str(ready.json()["checks"]["integration_quarantine"])

    wait_for(lambda: reported().startswith(f"degraded: {quarantined} "), timeout=30)
    ready = deployment.placements.get("/ready").json()
    assert ready["status"] == "degraded"
    assert "placements_care_periods: 8" in ready["checks"]["integration_quarantine"]

    with psycopg.connect(deployment.placements_database) as conn:
        reasons = [
            row[0]
            for row in conn.execute(
                f"SELECT reason FROM placements_care_periods.{QUARANTINE_TABLE} ORDER BY seq"
            )
        ]
    assert len(reasons) == quarantined
    assert sum("no relay source headers" in r for r in reasons) == 6, reasons
    assert sum(r.startswith("cannot decode") for r in reasons) == 2, reasons
    assert _counted() - counted_before == quarantined

    # Not applied: the forger has no access, the forged child is not in care.
    assert deployment.child_stability(child, FORGER) == 403
    assert deployment.child_stability(stranger, FORGER) == 403
    assert deployment.child_stability(child, "sw.jones") == 200
    assert deployment.council_figures() == figures
    # A forged erasure notice erases nothing, in either service, once both have passed it.
    erasure_seq = _last_seq_on(deployment, forged_erasure.subject())
    for database in (deployment.placements_database, service.database_url):
        wait_for(lambda db=database: _erasures_position(db) >= erasure_seq, timeout=30)
    assert service.get(f"/children/{child}").status_code == 200
    assert deployment.child_stability(child, "sw.jones") == 200

    # What the relay publishes next is applied: the projection did not stop.
    reallocated = service.post(
        f"/children/{child}/social-worker",
        {
            "effective_date": "2024-03-01",
            "social_worker_id": GENUINE,
            "team": "north-1",
            "reason": "MANAGE",
        },
    )
    assert reallocated.status_code == 200, reallocated.text
    wait_for_placements_to_know(deployment, child, GENUINE)
    assert deployment.child_stability(child, FORGER) == 403
    assert reported().startswith(f"degraded: {quarantined} ")


def _last_seq_on(deployment: Deployment, subject: str) -> int:
    """The stream sequence of the last message on `subject` in INTEGRATION_CASEFILE."""
    reader = StreamReader(
        NatsConnection(
            NatsSettings(
                servers=(deployment.server.url,),
                nkey_seed=str(deployment.accounts.admin.seed_path),
            ),
            name=TEST_CLIENT,
        ),
        owns_connection=True,
    )
    try:
        last = reader.last("INTEGRATION_CASEFILE", subject)
    finally:
        reader.close()
    assert last is not None
    return last.seq


def _erasures_position(database: str) -> int:
    with psycopg.connect(database) as conn:
        row = conn.execute(
            "SELECT coalesce(max(position), 0) FROM erasures.projection_position"
        ).fetchone()
    return 0 if row is None else int(row[0])


def _in_care(deployment: Deployment, child: UUID) -> bool:
    with psycopg.connect(deployment.placements_database) as conn:
        row = conn.execute(
            "SELECT count(*) FROM placements_care_periods.periods_of_care WHERE child_id = %s",
            (str(child),),
        ).fetchone()
    return row is not None and row[0] > 0


def _counted() -> int:
    """The `belonging.integration.quarantined` counter's total."""
    data = _METRICS.get_metrics_data()
    total = 0
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                if metric.name == "belonging.integration.quarantined":
                    total += sum(int(point.value) for point in metric.data.data_points)
    return total
