"""Retention (reg. 50) and erasure by destroying a record's keys, on the in-memory store."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest
from eventsourcing.cryptography import AESCipher

from services.casefile.application import Casefile
from services.casefile.domain import commands as c
from services.casefile.domain.errors import RetentionNotEnded
from services.casefile.domain.retention import (
    Erasure,
    anniversary,
    died_on,
    retention_ends,
    retention_of,
)
from shared.access_log import record_access
from shared.domain_errors import RuleBroken
from shared.eventstore.keyring import KeyDestroyed
from shared.service_application import CIPHER_TOPIC


def test_a_record_is_kept_until_the_75th_birthday() -> None:
    assert retention_ends(date(1950, 6, 30), None) == date(2025, 6, 30)


def test_a_child_who_died_before_18_is_kept_15_years_from_the_death() -> None:
    assert retention_ends(date(2000, 5, 1), date(2010, 2, 3)) == date(2025, 2, 3)
    # the day before the 18th birthday still counts as "before 18"
    assert retention_ends(date(2000, 5, 1), date(2018, 4, 30)) == date(2033, 4, 30)


def test_a_death_at_18_or_later_leaves_the_75th_birthday() -> None:
    assert retention_ends(date(2000, 5, 1), date(2018, 5, 1)) == date(2075, 5, 1)
    assert retention_ends(date(2000, 5, 1), date(2040, 1, 1)) == date(2075, 5, 1)


def test_a_29_february_anniversary_falls_on_1_march_in_a_common_year() -> None:
    assert anniversary(date(2008, 2, 29), 75) == date(2083, 3, 1)
    assert anniversary(date(2008, 2, 29), 76) == date(2084, 2, 29)


@pytest.fixture
def casefile(monkeypatch: pytest.MonkeyPatch) -> Casefile:
    monkeypatch.delenv("PERSISTENCE_MODULE", raising=False)
    return Casefile(env={"CIPHER_TOPIC": CIPHER_TOPIC, "CIPHER_KEY": AESCipher.create_key(32)})


def _register(casefile: Casefile, born: date, *, died: date | None = None) -> UUID:
    child_id = casefile.register_child(
        c.RegisterChild(
            local_child_id=f"R{uuid4().hex[:10]}",
            date_of_birth=born,
            sex="F",
            ethnicity="WBRI",
            registration_date=born,
        )
    )
    if died is not None:
        period_id = uuid4()
        casefile.execute(
            child_id,
            c.StartPeriodOfCare(
                period_id=period_id,
                start_date=date(died.year - 1, 1, 10),
                legal_status="C2",
                category_of_need="N1",
            ),
        )
        casefile.execute(
            child_id,
            c.EndPeriodOfCare(end_date=died, reason_ceased="E2"),
            path={"period_id": period_id},
        )
    return child_id


def test_an_erasure_before_retention_ends_is_refused_and_changes_nothing(
    casefile: Casefile,
) -> None:
    child_id = _register(casefile, date(2010, 3, 1))
    version = casefile.get_case(child_id).version
    with pytest.raises(RetentionNotEnded) as refused:
        casefile.erase_child(child_id, "records review 2026")
    assert "2085-03-01" in refused.value.message
    assert casefile.get_case(child_id).version == version
    assert casefile.erasure_of(child_id) is None


def test_an_erased_record_cannot_be_read_and_its_erasure_is_kept(casefile: Casefile) -> None:
    child_id = _register(casefile, date(2001, 4, 2), died=date(2009, 8, 1))
    record_access(casefile, str(child_id), "case.read")
    other = _register(casefile, date(2001, 4, 2), died=date(2009, 8, 1))

    erasure = casefile.erase_child(child_id, "DPO ref 2026/17", on=date(2026, 11, 30))

    assert (erasure.child_id, erasure.retention_ended_on) == (child_id, date(2024, 8, 1))
    with pytest.raises(KeyDestroyed):
        casefile.get_case(child_id)
    with pytest.raises(KeyDestroyed):
        casefile.access_logs.reads_of(str(child_id))
    # every event of the record is unreadable, not just the last
    with pytest.raises(KeyDestroyed):
        list(casefile.events.get(child_id))
    # another child's record is untouched
    assert casefile.get_case(other).version >= 3
    # asked again, the same erasure; nothing new recorded
    again = casefile.erase_child(child_id, "another reason")
    assert (again.id, again.version, again.reason) == (erasure.id, 1, "DPO ref 2026/17")


def test_a_record_with_no_keys_of_its_own_cannot_be_erased(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PERSISTENCE_MODULE", raising=False)
    monkeypatch.delenv("CIPHER_KEY", raising=False)
    plain = Casefile()
    child_id = _register(plain, date(1940, 1, 1))
    with pytest.raises(RuleBroken):
        plain.erase_child(child_id, "records review")


def test_a_record_may_be_erased_from_the_day_its_retention_ends(app: Casefile) -> None:
    """Amira's record is kept until her 75th birthday, 1 March 2090: erasable that day."""
    child = app.get_case(
        app.register_child(
            c.RegisterChild(
                local_child_id="AMIRA01",
                date_of_birth=date(2015, 3, 1),
                sex="F",
                ethnicity="BAFR",
                registration_date=date(2024, 1, 2),
            )
        )
    )
    with pytest.raises(RetentionNotEnded) as refused:
        Erasure.of(child, reason="records review", on=date(2090, 2, 28))
    assert refused.value.message == (
        "the record is kept until 2090-03-01 (Care Planning Regulations 2010, reg. 50)"
    )
    assert refused.value.field == "child_id"

    erasure = Erasure.of(child, reason="records review", on=date(2090, 3, 1))
    assert (erasure.child_id, erasure.retention_ended_on) == (child.id, date(2090, 3, 1))
    assert (erasure.erased_on, erasure.reason) == (date(2090, 3, 1), "records review")


def test_each_childs_erasure_is_its_own_record() -> None:
    first, second = uuid4(), uuid4()
    assert Erasure.create_id(first) == Erasure.create_id(first)
    assert Erasure.create_id(first) != Erasure.create_id(second)


def test_only_a_death_ends_the_care_that_shortens_retention(app: Casefile) -> None:
    """A child who went home at 9 (REC E4A) is kept until 75, not 15 years from going home."""
    child_id = _register(app, date(2015, 3, 1))
    period_id = uuid4()
    app.execute(
        child_id,
        c.StartPeriodOfCare(
            period_id=period_id,
            start_date=date(2024, 1, 8),
            legal_status="C2",
            category_of_need="N1",
        ),
    )
    app.execute(
        child_id,
        c.EndPeriodOfCare(end_date=date(2024, 6, 28), reason_ceased="E4A"),
        path={"period_id": period_id},
    )
    child = app.get_case(child_id)
    assert died_on(child) is None
    assert retention_of(child) == date(2090, 3, 1)
