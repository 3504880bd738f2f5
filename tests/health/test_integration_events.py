"""What health publishes: minimised, with its audiences, and the NHS number digest (no servers)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from services.health.adapters.integration_events import translate
from services.health.domain import ChildFacts, HealthRecord
from shared.contracts import health as contract
from shared.contracts.nhs_numbers import nhs_number_digest

FACTS = ChildFacts(date(2015, 5, 1), ((date(2024, 1, 8), None),))
KEY = "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE="


def test_assessments_are_published_without_practitioner_or_outcome() -> None:
    child = uuid4()
    record = HealthRecord(child_id=child)
    entry = uuid4()
    record.record_initial_health_assessment(
        entry_id=entry,
        assessment_date=date(2024, 2, 1),
        practitioner_id="dr.okafor",
        outcome="REFERRED",
        facts=FACTS,
    )
    record.record_sdq(
        entry_id=uuid4(), sdq_date=date(2024, 3, 1), score=18, reason=None, facts=FACTS
    )
    record.void_entry(entry_id=entry, reason="KEYING", note="typed the wrong child's date")
    published = [out for e in record.collect_events() for out in translate(e, {})]
    assert [type(p) for p in published] == [
        contract.HealthAssessmentCompleted,
        contract.SdqRecorded,
        contract.HealthEntryVoided,
    ]
    text = "".join(p.model_dump_json() for p in published)
    for private in ("dr.okafor", "REFERRED", "wrong child"):
        assert private not in text
    assert all(p.child_id == str(child) for p in published)
    assert contract.SdqRecorded.audience == contract.HEALTH_DETAIL == {"performance"}
    assert "performance" in contract.HealthAssessmentCompleted.audience


def test_the_nhs_number_digest_is_keyed_and_checks_the_number() -> None:
    digest = nhs_number_digest("943 476 5919", KEY)
    assert digest == nhs_number_digest("9434765919", KEY)
    assert "9434765919" not in digest and len(digest) == 64
    other_key = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI="
    assert nhs_number_digest("9434765919", other_key) != digest
    try:
        nhs_number_digest("9434765918", KEY)
    except ValueError:
        pass
    else:
        raise AssertionError("a wrong check digit is refused")
