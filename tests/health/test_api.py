"""The health API on real NATS and PostgreSQL: the shared API rules, the reads, the
access log, and FHIR bundles (valid, malformed, unknown child, duplicate, partly valid)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest
from api_rules import ApiRules, ServiceUnderTest, WriteCase
from placements.harness import wait_for

from health.harness import Service, new_nhs_number
from services.health.adapters.fhir import CODES, NHS_NUMBER_SYSTEM, SDQ_QUESTIONNAIRE

pytestmark = pytest.mark.integration

NURSE = ("nurse.ali", "lac_nurse")
SW = "sw.adeyemi"


class TestHealthApiRules(ApiRules):
    """The shared API rules, on the endpoint that records a dental check."""

    @pytest.fixture
    def under_test(self, service: Service) -> ServiceUnderTest:
        def fresh() -> WriteCase:
            child = service.child_in_care(social_worker=SW)
            return WriteCase(
                path=f"/children/{child}/health/dental-checks",
                body={"check_date": "2024-03-01"},
                other_body={"check_date": "2024-04-01"},
                date_field="check_date",
                version=lambda: service.version(child),
            )

        return ServiceUnderTest(
            client=service.client,
            mint=service.issuer.mint,
            writer=NURSE,
            reader_only=(SW, "social_worker"),
            # A health practitioner who is not the child's lead health professional.
            unrelated=("gp.somebody", "health"),
            fresh=fresh,
        )


def post(service: Service, child: UUID, path: str, body: dict[str, Any]) -> Any:
    return service.client.post(
        f"/v1/children/{child}/health/{path}", json=body, headers=service.write_headers(NURSE[0])
    )


def fields(response: Any) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [e["field"] for e in response.json().get("errors", [])]


# --------------------------------------------------------------------- commands


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("sdqs", {"sdq_date": "2024-03-01", "score": 41}, "body.score"),
        ("sdqs", {"sdq_date": "2024-03-01", "score": 10, "reason": "SDQ2"}, "body.score"),
        ("sdqs", {"sdq_date": "2024-03-01", "reason": "SDQ1"}, "body.reason"),
        ("dental-checks", {"check_date": "2015-04-30"}, "body.check_date"),
        (
            "review-assessments",
            {"assessment_date": "2024-03-01", "practitioner_id": "dr.okafor"},
            "body.assessment_date",
        ),
        ("development-checks", {"check_date": "2024-03-01"}, "body.check_date"),
        ("plan/reviews", {"reviewed_date": "2024-03-01"}, "body.reviewed_date"),
    ],
)
def test_a_broken_rule_is_422_naming_the_field_and_records_nothing(
    service: Service, path: str, body: dict[str, Any], field: str
) -> None:
    child = service.child_in_care()
    response = post(service, child, path, body)
    assert response.status_code == 422, response.text
    assert field in fields(response)
    assert service.version(child) == 0


def test_a_child_casefile_never_registered_is_refused(service: Service) -> None:
    response = post(service, uuid4(), "dental-checks", {"check_date": "2024-03-01"})
    assert response.status_code in (403, 422, 503), response.text  # not related, or not known


def test_the_record_status_and_a_correction(service: Service) -> None:
    child = service.child_in_care(social_worker=SW)
    iha = post(
        service,
        child,
        "initial-assessments",
        {"assessment_date": "2024-02-01", "practitioner_id": "dr.okafor", "outcome": "NO_NEEDS"},
    )
    assert iha.status_code == 201, iha.text
    sdq = post(service, child, "sdqs", {"sdq_date": "2024-03-01", "score": 18})
    assert sdq.status_code == 201, sdq.text
    reader = service.headers(SW, "social_worker")
    status = service.client.get(
        f"/v1/children/{child}/health/status?as_of=2024-03-02", headers=reader
    )
    assert status.status_code == 200, status.text
    found = status.json()
    assert found["initial_health_assessment"]["state"] == "in_time"
    assert (found["sdq_score"], found["sdq_band"]) == (18, "concern")

    void = service.client.post(
        f"/v1/children/{child}/health/entries/{sdq.json()['id']}/void",
        json={"reason": "KEYING"},
        headers=service.write_headers(NURSE[0]),
    )
    assert void.status_code == 200, void.text
    after = service.client.get(
        f"/v1/children/{child}/health/status?as_of=2024-03-02", headers=reader
    ).json()
    assert after["sdq_score"] is None
    record = service.client.get(f"/v1/children/{child}/health", headers=reader).json()
    assert [(e["kind"], e["voided"]) for e in record["entries"]] == [
        ("initial_health_assessment", False),
        ("sdq", True),
    ]
    # Every read was recorded in the child's access log.
    logs = service.runtime.application.access_logs
    assert len(logs.reads_of(str(child))) >= 3


def test_a_performance_analyst_reads_the_status_not_the_record(service: Service) -> None:
    child = service.child_in_care()
    analyst = service.headers("perf.kim", "performance")
    assert service.client.get(f"/v1/children/{child}/health", headers=analyst).status_code == 403
    status = service.client.get(f"/v1/children/{child}/health/status", headers=analyst)
    assert status.status_code == 200, status.text


def test_the_scorecard_gives_counts(service: Service) -> None:
    response = service.client.get(
        "/v1/health/scorecard?as_of=2024-03-01", headers=service.headers("aud.green", "auditor")
    )
    assert response.status_code == 200, response.text
    assert {"numerator", "denominator"} <= set(response.json()["iha_in_time"])


# --------------------------------------------------------------------- FHIR in


def patient_ref(nhs: str) -> dict[str, Any]:
    return {"identifier": {"system": NHS_NUMBER_SYSTEM, "value": nhs}}


def encounter(nhs: str, code: str, day: str, rid: str, version: str = "1") -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": rid,
        "meta": {"versionId": version},
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "type": [{"coding": [{"system": CODES, "code": code}]}],
        "subject": patient_ref(nhs),
        "period": {"start": day},
        "participant": [{"individual": {"reference": "Practitioner/dr.okafor"}}],
    }


def sdq_observation(nhs: str, score: int, day: str, rid: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "meta": {"versionId": "1"},
        "status": "final",
        "code": {"coding": [{"system": CODES, "code": "SDQ-TOTAL"}]},
        "subject": patient_ref(nhs),
        "effectiveDateTime": day,
        "valueInteger": score,
    }


def sdq_response(day: str, score: int, rid: str) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "id": rid,
        "questionnaire": SDQ_QUESTIONNAIRE,
        "status": "completed",
        "subject": {"reference": "urn:uuid:patient-1"},
        "authored": day,
        "item": [{"linkId": "total-difficulties", "answer": [{"valueInteger": score}]}],
    }


def bundle(*resources: dict[str, Any], kind: str = "transaction") -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": kind,
        "entry": [{"fullUrl": f"urn:uuid:{uuid4()}", "resource": r} for r in resources],
    }


def send(service: Service, body: Any, who: tuple[str, str] = ("nhs.feed", "service")) -> Any:
    return service.client.post(
        "/v1/fhir", json=body, headers=service.headers(*who, **{"Idempotency-Key": str(uuid4())})
    )


def issues(response: Any) -> list[tuple[str, str]]:
    assert response.headers["content-type"].startswith("application/fhir+json"), response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    return [(i["severity"], i["code"]) for i in outcome["issue"]]


def test_a_valid_bundle_records_every_entry(service: Service) -> None:
    nhs = new_nhs_number()
    child = service.child_in_care(nhs_number=nhs)
    patient = {
        "resourceType": "Patient",
        "identifier": [{"system": NHS_NUMBER_SYSTEM, "value": nhs}],
    }
    body = bundle(
        encounter(nhs, "IHA", "2024-02-01", f"iha-{child}"),
        sdq_observation(nhs, 12, "2024-03-01", f"sdq-{child}"),
        kind="collection",
    )
    body["entry"].append({"fullUrl": "urn:uuid:patient-1", "resource": patient})
    body["entry"].append({"resource": sdq_response("2024-03-05", 14, f"qr-{child}")})
    response = send(service, body)
    assert response.status_code == 200, response.text
    assert issues(response) == [("information", "informational")] * 3
    kinds = [e.kind.value for e in service.runtime.application.load(child).standing()]
    assert kinds == ["initial_health_assessment", "sdq", "sdq"]


def test_a_malformed_bundle_is_400_and_records_nothing(service: Service) -> None:
    nhs = new_nhs_number()
    child = service.child_in_care(nhs_number=nhs)
    for body in (
        {"resourceType": "Patient"},
        {"resourceType": "Bundle", "type": "transaction", "entry": "lots"},
        {"resourceType": "Bundle", "type": "searchset"},
        {"resourceType": "Bundle", "type": "collection", "timestamp": "yesterday"},
    ):
        response = send(service, body)
        assert response.status_code == 400, response.text
        assert issues(response)[0] == ("error", "structure")
    assert service.version(child) == 0


def test_an_unknown_child_records_nothing(service: Service) -> None:
    stranger = new_nhs_number()
    response = send(service, bundle(encounter(stranger, "DENTAL", "2024-02-01", "dental-x")))
    assert response.status_code == 422, response.text
    assert issues(response) == [("error", "not-found")]


def test_a_repeated_resource_records_nothing_new_and_a_new_version_supersedes(
    service: Service,
) -> None:
    nhs = new_nhs_number()
    child = service.child_in_care(nhs_number=nhs)
    first = send(service, bundle(encounter(nhs, "DENTAL", "2024-02-01", f"d-{child}")))
    assert first.status_code == 200, first.text
    version = service.version(child)
    again = send(service, bundle(encounter(nhs, "DENTAL", "2024-02-01", f"d-{child}")))
    assert again.status_code == 200, again.text
    assert issues(again) == [("information", "duplicate")]
    assert service.version(child) == version
    newer = send(service, bundle(encounter(nhs, "DENTAL", "2024-02-03", f"d-{child}", "2")))
    assert issues(newer) == [("information", "informational")]
    entries = service.runtime.application.load(child).entries
    assert [(e.day, e.voided) for e in entries] == [
        (date(2024, 2, 1), True),
        (date(2024, 2, 3), False),
    ]


def test_a_partly_valid_bundle_records_the_valid_entries_and_explains_the_rest(
    service: Service,
) -> None:
    nhs = new_nhs_number()
    child = service.child_in_care(nhs_number=nhs)
    body = bundle(
        encounter(nhs, "DENTAL", "2024-02-01", f"ok-{child}"),
        encounter(nhs, "RHA", "2024-02-02", f"rha-{child}"),  # no IHA yet: a broken rule
        sdq_observation(nhs, 55, "2024-03-01", f"bad-{child}"),  # out of range
        {"resourceType": "Observation", "status": "final"},  # not valid FHIR (no code)
        {"resourceType": "Immunization", "id": "x"},  # not taken here
        encounter("1234567890", "DENTAL", "2024-02-01", f"nhs-{child}"),  # bad check digit
    )
    response = send(service, body)
    assert response.status_code == 200, response.text
    found = issues(response)
    assert found[0] == ("information", "informational")
    assert [severity for severity, _ in found[1:]] == ["error"] * 5
    assert found[1][1] == "business-rule"
    kinds = [e.kind.value for e in service.runtime.application.load(child).standing()]
    assert kinds == ["dental_check"]


def test_fhir_needs_a_health_role_and_an_idempotency_key(service: Service) -> None:
    body = bundle()
    assert send(service, body, (SW, "social_worker")).status_code == 403
    response = service.client.post(
        "/v1/fhir", json=body, headers=service.headers("nhs.feed", "service")
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_health_practitioner_records_only_for_children_they_lead(service: Service) -> None:
    nhs = new_nhs_number()
    child = service.child_in_care(nhs_number=nhs)
    gp = ("gp.mensah", "health")
    refused = send(service, bundle(encounter(nhs, "DENTAL", "2024-02-01", f"g-{child}")), gp)
    assert issues(refused) == [("error", "forbidden")]
    named = post(
        service,
        child,
        "lead-professional",
        {"effective_date": "2024-01-10", "professional_id": gp[0]},
    )
    assert named.status_code == 201, named.text
    wait_for(
        lambda: service.runtime.reads.lead_health_professional(child) == gp[0],
        what="the lead professional in the read model",
    )
    accepted = send(service, bundle(encounter(nhs, "DENTAL", "2024-02-01", f"g-{child}")), gp)
    assert issues(accepted) == [("information", "informational")]
