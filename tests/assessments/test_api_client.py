"""POST /api/v1/assessments/ {"client": id}: scope, consent, provenance, audit, prescription, issue."""

import datetime as dt

import pytest
import time_machine

from careloop.assessments import services
from careloop.assessments.engine import china_par, normalize_inputs
from careloop.assessments.models import Assessment, AssessmentStatus
from careloop.audit.models import AuditEvent

from .helpers import CHECKUP_VALUES, DAY, FULL_ANSWERS, consent

URL = "/api/v1/assessments/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def prepared(world):
    consent(world.own)
    services.questionnaire_response_record(
        client=world.own, answers=FULL_ANSWERS, acting_user=world.nurse, answered_on=DAY
    )
    services.input_entry_record(
        client=world.own, values=CHECKUP_VALUES, acting_user=world.nurse, measured_on=DAY
    )
    return world


@time_machine.travel(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC))
def test_client_assessment_with_provenance(api, prepared):
    w = prepared
    response = api(w.nurse).post(URL, {"client": w.own.pk}, format="json")
    assert response.status_code == 201
    body = response.json()
    assessment = Assessment.objects.get()
    assert body["assessment"] == assessment.pk
    assert body["provenance"]["age"] == "客户档案（出生日期 1970-05-17）"
    assert body["provenance"]["smoking"] == "问卷 2026-11-20（nurse 录入）"
    assert body["provenance"]["sbp"] == "录入 2026-11-20（nurse）"
    assert body["inputs"]["age"] == 56
    assert body["sources_absent"] == ["checkup"]
    models = {m["code"]: m for m in body["models"]}
    # woman, 56, north, waist 88, TC 5.6, HDL 1.1, untreated SBP 146, current smoker, no diabetes
    expected = china_par.assess(
        normalize_inputs(
            dict(
                sex="female",
                age=56,
                region="north",
                residence="urban",
                waist_cm=88,
                total_cholesterol_mmol=5.6,
                hdl_mmol=1.1,
                sbp=146,
                on_bp_treatment=False,
                smoking="current",
                diabetes=False,
                family_history_ascvd=False,
            )
        )
    )
    assert models["china_par"]["missing"] == []
    assert (models["china_par"]["value"], models["china_par"]["category"]) == (
        expected.value,
        expected.category,
    )
    assert models["cdrs"]["value"] == 15 + 3 + 8 + 7 + 6 + 0  # age 56, BMI 25.7, waist 88 (F), SBP 146, FH
    assert models["cdrs"]["category"] == "high"
    assert models["lung_screening_cn"]["category"] == "high"  # 30 pack-years, current smoker, age 56
    findings = body["sections"]["findings"]
    assert {"smoking:current", "exercise:insufficient", "diet:salt_high", "stress:high", "cdrs:high"} <= set(
        findings
    )
    codes = [item["code"] for item in body["prescription"]]
    assert {"quit_smoking", "exercise", "diet_salt", "bp_treat", "glucose_ifg", "cdrs_high"} <= set(codes)
    event = AuditEvent.objects.filter(action="assessment.run").get()
    assert (event.actor_id, event.client_id, event.object_id) == (w.nurse.pk, w.own.pk, str(assessment.pk))


def test_missing_data_is_named_not_guessed(api, world):
    consent(world.own)
    body = api(world.nurse).post(URL, {"client": world.own.pk}, format="json").json()
    assert body["sources_absent"] == ["questionnaire", "checkup"]
    par = next(m for m in body["models"] if m["code"] == "china_par")
    assert par["value"] is None
    assert par["missing"] == [
        "sbp",
        "on_bp_treatment",
        "total_cholesterol_mmol",
        "hdl_mmol",
        "waist_cm",
        "smoking",
        "diabetes",
        "region",
    ]


def test_without_health_data_consent_nothing_is_assessed(api, world):
    response = api(world.nurse).post(URL, {"client": world.own.pk}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["client"]
    assert Assessment.objects.count() == 0
    assert not AuditEvent.objects.filter(action="assessment.run").exists()


@pytest.mark.parametrize(
    ("who", "code"), [("service", 403), ("nurse2", 404), ("manager", 403), ("outsider", 403)]
)
def test_denied_roles_change_nothing(api, prepared, who, code):
    response = api(getattr(prepared, who)).post(URL, {"client": prepared.own.pk}, format="json")
    assert response.status_code == code
    assert Assessment.objects.count() == 0


def test_consent_requirement_can_be_switched_off(api, world, settings):
    settings.CARELOOP_ASSESSMENT_REQUIRES_CONSENT = False
    assert api(world.nurse).post(URL, {"client": world.own.pk}, format="json").status_code == 201


def test_withdrawn_consent_is_honoured(api, world):
    consent(world.own)
    consent(world.own, granted=False)
    assert api(world.nurse).post(URL, {"client": world.own.pk}, format="json").status_code == 400
    assert Assessment.objects.count() == 0


def test_bad_client_id(api, world):
    assert api(world.nurse).post(URL, {"client": "abc"}, format="json").status_code == 400
    assert api(world.nurse).post(URL, {"client": 10**20}, format="json").status_code == 400
    huge = api(world.nurse).post("/api/v1/assessments/batches/", {"clients": [10**20]}, format="json")
    assert huge.status_code == 400 and list(huge.json()) == ["clients"]
    assert api(world.nurse).post(URL, {"client": 999999}, format="json").status_code == 404


def test_expert_edits_then_issues_and_the_report_is_frozen(api, prepared):
    w = prepared
    pk = api(w.nurse).post(URL, {"client": w.own.pk}, format="json").json()["assessment"]
    items = [{"text": "每天快走30分钟。", "category": "exercise"}]
    # the nurse may not edit or issue
    assert api(w.nurse).post(f"{URL}{pk}/prescription/", {"items": items}, format="json").status_code == 403
    assert api(w.nurse).post(f"{URL}{pk}/issue/", format="json").status_code == 403
    assert Assessment.objects.get().status == AssessmentStatus.DRAFT
    edited = api(w.expert).post(f"{URL}{pk}/prescription/", {"items": items}, format="json")
    assert edited.status_code == 200
    assert edited.json()["prescription"] == [
        {"code": "expert", "category": "exercise", "text": "每天快走30分钟。", "because": []}
    ]
    issued = api(w.expert).post(f"{URL}{pk}/issue/", format="json").json()
    assert issued["status"] == "issued" and issued["issued_by"] == "expert"
    assessment = Assessment.objects.get()
    assert services.assessment_signature_valid(assessment)
    assessment.prescription = [{"code": "x", "category": "x", "text": "tampered", "because": []}]
    assert not services.assessment_signature_valid(assessment)
    again = api(w.expert).post(f"{URL}{pk}/prescription/", {"items": items}, format="json")
    assert again.status_code == 400 and list(again.json()) == ["status"]
    actions = list(
        AuditEvent.objects.filter(client_id=w.own.pk, action__startswith="assessment.")
        .order_by("append_id")
        .values_list("action", flat=True)
    )
    assert actions[-3:] == ["assessment.run", "assessment.prescription", "assessment.issue"]


def test_empty_advice_is_refused(api, prepared):
    pk = api(prepared.nurse).post(URL, {"client": prepared.own.pk}, format="json").json()["assessment"]
    response = api(prepared.expert).post(
        f"{URL}{pk}/prescription/", {"items": [{"text": " "}]}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["items.0.text"]


def test_pdf_and_detail(api, prepared):
    pk = api(prepared.nurse).post(URL, {"client": prepared.own.pk}, format="json").json()["assessment"]
    response = api(prepared.expert).get(f"{URL}{pk}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert api(prepared.nurse2).get(f"{URL}{pk}/").status_code == 404
    assert api(prepared.expert).get(f"{URL}{pk}/").json()["id"] == pk


def test_list_is_scoped_and_its_queries_pinned(api, prepared, django_assert_max_num_queries):
    for _ in range(3):
        services.assessment_run_for_client(client=prepared.own, acting_user=prepared.nurse)
    client = api(prepared.nurse)
    with django_assert_max_num_queries(8):
        body = client.get(URL).json()
    assert body["count"] == 3
    assert api(prepared.nurse2).get(URL).json()["count"] == 0
    assert api(prepared.nurse).get(URL, {"client": prepared.own.pk}).json()["count"] == 3
