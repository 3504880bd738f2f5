"""The UPN reaches education only as casefile's keyed digest (unit, no servers)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from services.casefile.adapters.integration_events import _pupil_number
from shared.contracts import casefile
from shared.contracts.pupil_numbers import upn_digest
from shared.identifiers import upn_check_letter

KEY = "q2Jc1Vv5m0Vd8oVqZ6R2c9pN3Q1W7b4YkqzJt8M0a2E="
UPN = upn_check_letter("938123450001") + "938123450001"


class ChildRegistered:  # named as casefile's domain event
    def __init__(self, upn: str | None) -> None:
        self.originator_id = uuid4()
        self.effective_date = date(2024, 1, 10)
        self.upn = upn


class ChildDetailsCorrected(ChildRegistered):
    def __init__(self, upn: str | None, fields: list[str]) -> None:
        super().__init__(upn)
        self.corrected_fields = fields


def test_the_digest_is_keyed_stable_and_checks_the_upn() -> None:
    assert upn_digest(UPN, KEY) == upn_digest(f" {UPN.lower()} ", KEY)
    other = "ZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY="
    assert upn_digest(UPN, KEY) != upn_digest(UPN, other)
    assert UPN not in upn_digest(UPN, KEY)
    wrong = ("A" if UPN[0] != "A" else "B") + UPN[1:]
    with pytest.raises(ValueError, match="check letter"):
        upn_digest(wrong, KEY)


def test_casefile_publishes_the_digest_for_education_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTEGRATION_KEY", KEY)
    [published] = _pupil_number(ChildRegistered(UPN))
    assert isinstance(published, casefile.ChildPupilNumberRecorded)
    assert published.upn_digest == upn_digest(UPN)  # under the process's integration key
    assert published.audience == frozenset({"education"})
    assert _pupil_number(ChildRegistered(None)) == []
    assert _pupil_number(ChildDetailsCorrected(UPN, ["date_of_birth"])) == []
    [cleared] = _pupil_number(ChildDetailsCorrected(None, ["upn"]))
    assert isinstance(cleared, casefile.ChildPupilNumberRecorded) and cleared.upn_digest is None
