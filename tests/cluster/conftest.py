"""A real three-node JetStream cluster for the R3 tests (issue #17).

One cluster for the session serves the library's suites and our guarantee
tests; each fault test starts a cluster of its own, so a node it killed or
hung cannot decide the next test's outcome. Nodes' logs stay under pytest's
temporary directory (`pytest-of-<user>/pytest-current/`) for reading after a
failure.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from shared.stack.nats_cluster import NatsCluster

# The suites and the toy application live beside the single-server tests.
_SHARED_TESTS = str(Path(__file__).resolve().parents[1] / "shared")
if _SHARED_TESTS not in sys.path:
    sys.path.append(_SHARED_TESTS)

REPLICAS = 3


@contextmanager
def cluster_environment(cluster: NatsCluster, **more: str) -> Iterator[None]:
    """`NATS_URL` (every node) and `NATS_REPLICAS=3` in os.environ, as they were after."""
    wanted = {"NATS_URL": cluster.urls, "NATS_REPLICAS": str(REPLICAS), **more}
    saved = {key: os.environ.get(key) for key in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def start_cluster(base: Path, **options: Any) -> NatsCluster:
    cluster = NatsCluster(base, **options)
    cluster.start()
    return cluster


def close_cluster(cluster: NatsCluster) -> None:
    # Clients some test left open would log every reconnect attempt after
    # the servers go; the test is over.
    logging.getLogger("nats").setLevel(logging.CRITICAL)
    cluster.close()


@pytest.fixture(scope="session")
def nats_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsCluster]:
    cluster = start_cluster(tmp_path_factory.mktemp("nats-cluster"))
    try:
        yield cluster
    finally:
        close_cluster(cluster)


@pytest.fixture
def make_cluster(tmp_path: Path) -> Iterator[Callable[..., NatsCluster]]:
    """Starts clusters of the test's own (NatsCluster's options), closed after it:
    a fault test must not leave a killed or hung node to the next test."""
    made: list[NatsCluster] = []

    def make(**options: Any) -> NatsCluster:
        cluster = start_cluster(tmp_path / f"cluster{len(made)}", **options)
        made.append(cluster)
        return cluster

    try:
        yield make
    finally:
        for cluster in made:
            close_cluster(cluster)


@pytest.fixture
def nats_url(nats_cluster: NatsCluster) -> Iterator[str]:
    """Overrides the root conftest's single server, test by test, so tests
    elsewhere in the same session keep theirs. Afterwards, every stream the
    test made must be R3: a test that quietly ran on R1 measured nothing."""
    before = set(nats_cluster.replicas_of_streams())
    with cluster_environment(nats_cluster):
        yield nats_cluster.urls
    made = {
        name: replicas
        for name, replicas in nats_cluster.replicas_of_streams().items()
        if name not in before
    }
    assert all(r == REPLICAS for r in made.values()), f"streams not R{REPLICAS}: {made}"
