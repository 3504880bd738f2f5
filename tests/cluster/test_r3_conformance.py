"""The library's recorder and application suites on a three-node cluster, R3.

The same cases as tests/shared/test_eventstore_conformance.py, subclassed
unchanged: only the environment differs (`NATS_URL` naming every node,
`NATS_REPLICAS=3`, set by the `nats_url` fixture and restored after each test).
"""

from __future__ import annotations

import os

import pytest
import test_eventstore_conformance as suites
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.tests.persistence import InfrastructureFactoryTestCase
from eventsourcing.utils import Environment

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


@pytest.fixture(autouse=True)
def _on_the_cluster(nats_url: str) -> None:
    """Every test here: os.environ names the cluster and R3 (see conftest)."""


class TestR3AggregateRecorder(suites.TestNatsAggregateRecorder):
    pass


class TestR3SnapshotRecorder(suites.TestNatsSnapshotRecorder):
    pass


class TestR3ApplicationRecorder(suites.TestNatsApplicationRecorder):
    pass


class TestR3TrackingRecorder(suites.TestNatsTrackingRecorder):
    pass


class TestR3ProcessRecorder(suites.TestNatsProcessRecorder):
    pass


class TestR3NonInterleavingNotificationIDs(suites.TestNonInterleavingNotificationIDs):
    pass


class TestR3InfrastructureFactory(suites.TestNatsInfrastructureFactory):
    def setUp(self) -> None:
        # The single-server case passes NATS_URL alone; here R3 as well.
        self.env = Environment(
            "TestCase",
            {
                InfrastructureFactory.PERSISTENCE_MODULE: "shared.eventstore",
                "NATS_URL": os.environ["NATS_URL"],
                "NATS_REPLICAS": os.environ["NATS_REPLICAS"],
            },
        )
        InfrastructureFactoryTestCase.setUp(self)


class TestR3ExampleApplication(suites.TestExampleApplicationOnNats):
    pass
