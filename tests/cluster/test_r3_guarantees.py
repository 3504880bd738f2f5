"""The event store's own guarantees (tests/shared/test_eventstore_guarantees.py) on R3.

Every test there that runs on the session's server (it takes `nats_url` or
`factory`) is run here as it is, on the three-node cluster: this module's
`nats_url` is the cluster's (see conftest), and the streams those tests make
are R3. The tests there that start a single nats-server of their own are
single-node by construction; their cluster counterparts are
test_r3_faults.py and the fsync check below.
"""

from __future__ import annotations

from typing import Any

import nats
import pytest
import test_eventstore_guarantees as guarantees
from cluster.suites import session_server_tests_of
from eventsourcing.utils import Environment, EnvType

from shared.stack.nats_cluster import NatsCluster

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

factory = guarantees.factory  # the fixture those tests take, resolved against this module


_REUSED_TESTS = session_server_tests_of(guarantees, "nats_url", "factory")
REUSED = sorted(_REUSED_TESTS)
globals().update(_REUSED_TESTS)


class _R3Environment(Environment):
    """The Environment those tests build, with NATS_REPLICAS=3 added."""

    def __init__(self, name: str = "", env: EnvType | None = None) -> None:
        super().__init__(name, {**(env or {}), "NATS_REPLICAS": "3"})


class _NatsTakingACommaList:
    """`nats` as those tests use it, but `nats.connect(nats_url)` takes the
    comma-joined URL of the cluster: nats-py wants several servers as a list."""

    def __getattr__(self, name: str) -> Any:
        return getattr(nats, name)

    @staticmethod
    async def connect(servers: Any = "nats://127.0.0.1:4222", **options: Any) -> Any:
        if isinstance(servers, str) and "," in servers:
            servers = [s.strip() for s in servers.split(",") if s.strip()]
        return await nats.connect(servers, **options)


@pytest.fixture(autouse=True)
def _on_the_cluster(nats_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Their `new_factory` passes its own env (NATS_URL, NATS_TIMEOUT): add R3 to it;
    their raw publishers connect to the cluster's list of servers."""
    monkeypatch.setattr(guarantees, "Environment", _R3Environment, raising=False)
    monkeypatch.setattr(guarantees, "nats", _NatsTakingACommaList(), raising=False)


def test_the_guarantee_tests_are_found() -> None:
    """A rename there must not silently leave this module with nothing to run."""
    assert len(REUSED) >= 5, REUSED


def test_every_cluster_node_fsyncs_before_acknowledging(nats_cluster: NatsCluster) -> None:
    for node in nats_cluster.nodes:
        varz = node.varz()
        assert varz["jetstream"]["config"]["sync_always"] is True, node.name
        meta = node.jsz()["meta_cluster"]
        assert meta["cluster_size"] == len(nats_cluster.nodes) == 3, meta
        assert meta["leader"], meta
