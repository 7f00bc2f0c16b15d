"""INT-1: transaction Bundles in — all or nothing, idempotent by identifier, errors by element path."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from careloop.audit.models import AuditEvent
from careloop.checkups.models import Checkup
from careloop.clients.models import Client
from careloop.clients.services import id_number_index
from careloop.crm.models import Appointment
from careloop.followups.models import Encounter
from tests.checkups.builders import ZHANG_ID, fhir_bundle
from tests.crm.builders import slot

pytestmark = pytest.mark.django_db
URL = "/api/v1/fhir/"


def transaction_bundle(**kwargs):
    bundle = fhir_bundle(**kwargs)
    bundle["type"] = "transaction"
    for entry in bundle["entry"]:
        entry["request"] = {"method": "POST", "url": entry["resource"]["resourceType"]}
    return bundle


def encounter_entry(ref="urn:uuid:patient-1", value="HIS-E-1", kind="outpatient"):
    return {"fullUrl": f"urn:uuid:{value}", "resource": {
        "resourceType": "Encounter", "status": "finished",
        "identifier": [{"system": "urn:oid:1.2.156.999.his.encounter", "value": value}],
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "type": [{"coding": [{"system": "https://careloop.invalid/fhir/encounter-kind", "code": kind}]}],
        "subject": {"reference": ref}, "period": {"start": "2026-11-20"}}}


@time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC), tick=False)
def test_bundle_creates_patient_checkup_and_encounter_once(world, api):
    bundle = transaction_bundle()
    bundle["entry"].append(encounter_entry())
    response = api(world.clerk).post(URL, bundle, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["type"] == "transaction-response"
    assert [e["response"]["status"] for e in body["entry"]] == ["201 Created"] * 4
    client = Client.objects.get(id_number_hash=id_number_index(ZHANG_ID))
    assert Checkup.objects.filter(client=client, exam_no="TJ2026100").count() == 1
    assert Encounter.objects.filter(client=client, kind="outpatient", source="fhir").count() == 1
    assert AuditEvent.objects.filter(action="fhir.import", actor=world.clerk).count() == 1
    again = api(world.clerk).post(URL, bundle, format="json")
    assert again.status_code == 200
    assert {e["response"]["status"] for e in again.json()["entry"]} == {"200 OK"}
    assert Client.objects.filter(id_number_hash=id_number_index(ZHANG_ID)).count() == 1
    assert Checkup.objects.filter(exam_no="TJ2026100").count() == 1
    assert Encounter.objects.filter(source="fhir").count() == 1


def test_errors_name_the_entry_and_element_path_and_nothing_is_written(world, api):
    bundle = transaction_bundle()
    bundle["entry"][1]["resource"]["valueQuantity"]["unit"] = {"not": "a string"}
    bundle["entry"].append(encounter_entry())
    before = (Client.objects.count(), Encounter.objects.count(), AuditEvent.objects.count())
    response = api(world.clerk).post(URL, bundle, format="json")
    assert response.status_code == 400
    assert "entry[1].resource.valueQuantity.unit" in response.json()
    assert (Client.objects.count(), Encounter.objects.count(), AuditEvent.objects.count()) == before


def test_a_bad_entry_late_in_the_bundle_rolls_back_the_earlier_ones(world, api):
    bundle = transaction_bundle()
    bundle["entry"].append(encounter_entry(kind="nonsense"))
    response = api(world.clerk).post(URL, bundle, format="json")
    assert response.status_code == 400
    assert "entry[3].resource.type" in response.json()
    assert not Client.objects.filter(id_number_hash=id_number_index(ZHANG_ID)).exists()


def test_only_transaction_bundles_and_supported_resources(world, api):
    bundle = transaction_bundle()
    bundle["type"] = "collection"
    bundle["entry"].append({"resource": {"resourceType": "MedicationRequest"}})
    errors = api(world.clerk).post(URL, bundle, format="json").json()
    assert set(errors) >= {"type", "entry[3].resource.resourceType"}


def test_duplicates_detected_as_on_entry(world, api):
    # Same name, birth date and phone as an existing client, without a resident ID: refused as on the entry form.
    patient = {"resourceType": "Patient", "name": [{"text": world.own.name}], "gender": "female",
               "birthDate": world.own.birth_date.isoformat(), "telecom": [{"system": "phone", "value": "13812341234"}],
               "identifier": [{"system": "urn:oid:1.2.156.999.his.patient", "value": "P-1"}]}
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [{"fullUrl": "urn:uuid:x", "resource": patient}]}
    response = api(world.clerk).post(URL, bundle, format="json")
    assert response.status_code == 400 and "entry[0].resource" in response.json()
    assert Client.objects.filter(name=world.own.name).count() == 1


def test_resident_id_matches_an_existing_client(world, api):
    Client.objects.filter(pk=world.other_team.pk).update(id_number_hash=id_number_index(ZHANG_ID))
    bundle = transaction_bundle(name="李强")
    response = api(world.clerk).post(URL, bundle, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["entry"][0]["response"] == {"status": "200 OK", "location": f"Patient/{world.other_team.pk}"}


def test_appointment_booked_against_a_published_slot(world, api):
    day = timezone.localdate() + dt.timedelta(days=3)
    the_slot = slot(world.bj_site, day, "09:00")
    entry = {"resource": {"resourceType": "Appointment", "status": "booked",
                          "identifier": [{"system": "urn:oid:1.2.156.999.his.appt", "value": "A-1"}],
                          "serviceType": [{"coding": [{"code": "checkup"}]}], "start": the_slot.start.isoformat(),
                          "participant": [{"actor": {"reference": f"Patient/{world.own.pk}"}, "status": "accepted"}]}}
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [entry]}
    first = api(world.service).post(URL, bundle, format="json")
    assert first.status_code == 200, first.json()
    assert Appointment.objects.filter(client=world.own, slot=the_slot).count() == 1
    assert api(world.service).post(URL, copy.deepcopy(bundle), format="json").json()["entry"][0]["response"]["status"] == "200 OK"
    assert Appointment.objects.filter(client=world.own).count() == 1


def test_refused_without_rights_and_out_of_scope_patients(world, api):
    bundle = transaction_bundle()
    assert api(world.auditor).post(URL, bundle, format="json").status_code == 403
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [encounter_entry(ref=f"Patient/{world.other_branch.pk}")]}
    response = api(world.clerk).post(URL, bundle, format="json")
    assert response.status_code == 400 and "entry[0].resource.subject.reference" in response.json()
    assert not Encounter.objects.filter(client=world.other_branch).exists()
