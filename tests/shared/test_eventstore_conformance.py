"""The library's own recorder and application test cases, on a real nats-server.

Each case gets a fresh stream (a new application name), so notification ids
start at 1 as the suites expect. No test method is skipped or overridden.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from uuid import uuid4

import pytest
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    ProcessRecorder,
    TrackingRecorder,
)
from eventsourcing.tests.application import ExampleApplicationTestCase
from eventsourcing.tests.persistence import (
    AggregateRecorderTestCase,
    ApplicationRecorderTestCase,
    InfrastructureFactoryTestCase,
    NonInterleavingNotificationIDsBaseCase,
    ProcessRecorderTestCase,
    TrackingRecorderTestCase,
)
from eventsourcing.utils import Environment

from shared.eventstore import (
    NatsAggregateRecorder,
    NatsApplicationRecorder,
    NatsFactory,
    NatsProcessRecorder,
    NatsTrackingRecorder,
)

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True, scope="module")
def _nats(nats_url: str) -> Iterator[None]:
    yield


class FreshStream:
    """Gives each test its own stream and closes what it opened."""

    factories: list[NatsFactory]

    def setUp(self) -> None:
        self.factories = []
        super().setUp()  # type: ignore[misc]

    def tearDown(self) -> None:
        super().tearDown()  # type: ignore[misc]
        for factory in self.factories:
            factory.close()

    def new_factory(self) -> NatsFactory:
        factory = NatsFactory(Environment(name=f"t{uuid4().hex[:12]}", env=dict(os.environ)))
        self.factories.append(factory)
        return factory


class TestNatsAggregateRecorder(FreshStream, AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        return self.new_factory().aggregate_recorder()


class TestNatsSnapshotRecorder(FreshStream, AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        return self.new_factory().aggregate_recorder("snapshots")


class TestNatsApplicationRecorder(FreshStream, ApplicationRecorderTestCase[ApplicationRecorder]):
    def create_recorder(self) -> ApplicationRecorder:
        return self.new_factory().application_recorder()

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestNatsTrackingRecorder(FreshStream, TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:
        return self.new_factory().tracking_recorder()


class TestNatsProcessRecorder(FreshStream, ProcessRecorderTestCase):
    def create_recorder(self) -> ProcessRecorder:
        return self.new_factory().process_recorder()


class TestNonInterleavingNotificationIDs(FreshStream, NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> ApplicationRecorder:
        return self.new_factory().application_recorder()


class TrackingRecorderSubclass(NatsTrackingRecorder):
    pass


class TestNatsInfrastructureFactory(InfrastructureFactoryTestCase[NatsFactory]):
    def setUp(self) -> None:
        self.env = Environment(
            "TestCase",
            {
                InfrastructureFactory.PERSISTENCE_MODULE: "shared.eventstore",
                "NATS_URL": os.environ["NATS_URL"],
            },
        )
        super().setUp()

    def expected_factory_class(self) -> type[NatsFactory]:
        return NatsFactory

    def expected_aggregate_recorder_class(self) -> type[AggregateRecorder]:
        return NatsAggregateRecorder

    def expected_application_recorder_class(self) -> type[ApplicationRecorder]:
        return NatsApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[TrackingRecorder]:
        return NatsTrackingRecorder

    def tracking_recorder_subclass(self) -> type[TrackingRecorder]:
        return TrackingRecorderSubclass

    def expected_process_recorder_class(self) -> type[ProcessRecorder]:
        return NatsProcessRecorder


class TestExampleApplicationOnNats(ExampleApplicationTestCase):
    expected_factory_topic = "shared.eventstore.factory:NatsFactory"

    def setUp(self) -> None:
        super().setUp()
        unique = uuid4().hex[:10]
        os.environ["PERSISTENCE_MODULE"] = "shared.eventstore"
        os.environ["BANKACCOUNTS_NATS_STREAM"] = f"BANK{unique.upper()}"
        os.environ["BANKACCOUNTS_NATS_SUBJECT_PREFIX"] = f"bank{unique}"

    def tearDown(self) -> None:
        for name in (
            "PERSISTENCE_MODULE",
            "BANKACCOUNTS_NATS_STREAM",
            "BANKACCOUNTS_NATS_SUBJECT_PREFIX",
        ):
            os.environ.pop(name, None)
        super().tearDown()


del AggregateRecorderTestCase
del ApplicationRecorderTestCase
del TrackingRecorderTestCase
del ProcessRecorderTestCase
del NonInterleavingNotificationIDsBaseCase
del InfrastructureFactoryTestCase
del ExampleApplicationTestCase
