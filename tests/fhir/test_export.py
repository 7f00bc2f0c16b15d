"""INT-2: the client's FHIR Bundle carries every resource kind, each valid FHIR R4 (fhir.resources R4B models)."""

from __future__ import annotations

from collections import Counter

import pytest
from fhir.resources.R4B import get_fhir_model_class

from careloop.audit.models import AuditEvent
from careloop.fhir.models import LoincMapping
from tests.fhir.builders import full_record


def construct_fhir_element(kind, data):
    return get_fhir_model_class(kind).model_validate(data)


def _resources(bundle):
    return [e["resource"] for e in bundle["entry"]]


def test_bundle_has_every_kind_and_each_is_valid_r4(world, api):
    full_record(world)
    response = api(world.nurse).get(f"/api/v1/clients/{world.own.pk}/fhir/")
    assert response.status_code == 200
    bundle = response.json()
    construct_fhir_element("Bundle", bundle)
    kinds = Counter(r["resourceType"] for r in _resources(bundle))
    for kind in ("Patient", "Encounter", "DiagnosticReport", "Observation", "Task", "Questionnaire",
                 "QuestionnaireResponse", "Communication", "CarePlan", "Appointment"):
        assert kinds[kind] >= 1, kind
    assert kinds["Observation"] == 2
    for resource in _resources(bundle):
        construct_fhir_element(resource["resourceType"], resource)  # raises on any invalid element
    assert AuditEvent.objects.filter(action="client.export.fhir", client_id=world.own.pk, actor=world.nurse).count() == 1


def test_observation_codes_carry_loinc_from_the_mapping_table(world, api):
    full_record(world)
    assert LoincMapping.objects.get(item_code="GLU").loinc == "14771-0"  # shipped default
    bundle = api(world.nurse).get(f"/api/v1/clients/{world.own.pk}/fhir/").json()
    obs = {r["code"]["text"]: r for r in _resources(bundle) if r["resourceType"] == "Observation"}
    glu = obs["空腹血糖"]
    assert glu["code"]["coding"][0] == {"system": "http://loinc.org", "code": "14771-0",
                                        "display": "Fasting glucose [Moles/volume] in Serum or Plasma"}
    assert glu["valueQuantity"] == {"value": 7.2, "unit": "mmol/L", "system": "http://unitsofmeasure.org", "code": "mmol/L"}
    assert glu["interpretation"][0]["coding"][0]["code"] == "H"
    assert [c["system"] for c in obs["心电图"]["code"]["coding"]] == ["https://careloop.invalid/fhir/checkup-item"]
    LoincMapping.objects.filter(item_code="GLU").update(loinc="2345-7", display="Glucose [Mass/volume] in Serum or Plasma")
    bundle = api(world.nurse).get(f"/api/v1/clients/{world.own.pk}/fhir/").json()
    codes = [r["code"]["coding"][0]["code"] for r in _resources(bundle) if r["resourceType"] == "Observation"]
    assert "2345-7" in codes


def test_task_carries_its_status_history(world, api):
    full_record(world)
    bundle = api(world.nurse).get(f"/api/v1/clients/{world.own.pk}/fhir/").json()
    task = next(r for r in _resources(bundle) if r["resourceType"] == "Task")
    assert task["status"] == "completed" and task["businessStatus"]["coding"][0]["code"] == "done"
    assert any(n["text"].startswith("attempt: reached") for n in task["note"])


def test_resident_id_masked_and_contact_hidden_without_contact_right(world, api):
    world.own.id_number = "110101197005170026"
    world.own.save()
    full_record(world)
    nurse_patient = _resources(api(world.nurse).get(f"/api/v1/clients/{world.own.pk}/fhir/").json())[0]
    ids = {i["system"]: i for i in nurse_patient["identifier"]}
    masked = ids["https://careloop.invalid/fhir/sid/cn-resident-id-masked"]
    assert masked["type"]["coding"][0]["code"] == "NNCHN"
    assert "110101197005170026" not in str(nurse_patient) and masked["value"] != "110101197005170026"


@pytest.mark.parametrize("persona", ["nurse2", "outsider"])
def test_out_of_scope_or_without_right_is_refused(world, api, persona):
    full_record(world)
    assert api(getattr(world, persona)).get(f"/api/v1/clients/{world.own.pk}/fhir/").status_code in (403, 404)


def test_health_data_left_out_for_roles_without_results_right(world, api):
    from careloop.org.permissions import Cap, user_can

    full_record(world)
    assert not user_can(world.service, Cap.VIEW_RESULTS)
    bundle = api(world.service).get(f"/api/v1/clients/{world.own.pk}/fhir/").json()
    kinds = {r["resourceType"] for r in _resources(bundle)}
    assert not kinds & {"Observation", "DiagnosticReport", "Task", "QuestionnaireResponse"}
    assert all("payload" not in r for r in _resources(bundle) if r["resourceType"] == "Communication")
