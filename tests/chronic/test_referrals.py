"""Referral to a partner-hospital expert (PLN-3): the hospital and department are the plans app's partner data,
chosen on the page or by id through the API; anything else is a 400 naming the field and writes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from careloop.audit.models import AuditEvent
from careloop.chronic.models import Referral
from careloop.chronic.services import referral_create
from careloop.plans.models import ClinicSession, Department, PartnerHospital

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def partners(world):
    """One hospital for every branch, one for Beijing only, one for Shanghai only, one inactive."""
    every = PartnerHospital.objects.create(name="北京协和医院", grade="三级甲等")
    cardio = Department.objects.create(hospital=every, name="心内科", specialty="高血压")
    ClinicSession.objects.create(department=cardio, weekday=3, start=dt.time(8), end=dt.time(12), doctor_name="李主任")
    bj_only = PartnerHospital.objects.create(name="北京朝阳医院", branch=world.bj)
    endo = Department.objects.create(hospital=bj_only, name="内分泌科")
    sh_only = PartnerHospital.objects.create(name="上海瑞金医院", branch=world.sh)
    sh_dept = Department.objects.create(hospital=sh_only, name="内分泌科")
    closed = PartnerHospital.objects.create(name="已解约医院", active=False)
    return type("P", (), {"every": every, "cardio": cardio, "bj_only": bj_only, "endo": endo, "sh_only": sh_only,
                          "sh_dept": sh_dept, "closed": closed})


def test_api_refers_to_a_partner_department_and_shows_its_names(world, api, partners):
    r = api(world.nurse).post("/api/v1/referrals/", {
        "client": world.own.pk, "hospital": partners.bj_only.pk, "department": partners.endo.pk,
        "expert": "王主任", "clinic_time": "周五下午", "reason": "空腹血糖反复高于10 mmol/L"}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert {k: body[k] for k in ("client", "hospital", "hospital_name", "department", "department_name", "note")} == {
        "client": world.own.pk, "hospital": partners.bj_only.pk, "hospital_name": "北京朝阳医院",
        "department": partners.endo.pk, "department_name": "内分泌科", "note": ""}
    event = AuditEvent.objects.get(action="chronic.referral_create")
    assert event.detail == {"hospital": partners.bj_only.pk, "hospital_name": "北京朝阳医院",
                            "department": partners.endo.pk, "department_name": "内分泌科"}
    listed = api(world.nurse).get(f"/api/v1/referrals/?client={world.own.pk}").json()["results"]
    assert [(x["hospital_name"], x["department_name"]) for x in listed] == [("北京朝阳医院", "内分泌科")]
    assert api(world.nurse2).get("/api/v1/referrals/").json()["results"] == []  # another branch sees none


@pytest.mark.parametrize(("field", "payload"), [
    ("hospital", {"hospital": "abc"}),
    ("hospital", {"hospital": None}),
    ("department", {"department": "x"}),
    ("reason", {"reason": ""}),
])
def test_api_refuses_malformed_input_naming_the_field(world, api, partners, field, payload):
    body = {"client": world.own.pk, "hospital": partners.every.pk, "department": partners.cardio.pk, "reason": "r",
            **payload}
    r = api(world.nurse).post("/api/v1/referrals/", body, format="json")
    assert r.status_code == 400 and field in r.json(), r.json()
    assert not Referral.objects.exists()


def test_api_refuses_a_hospital_that_is_not_a_partner_of_the_clients_branch(world, api, partners):
    for hospital in (partners.sh_only.pk, partners.closed.pk, 999999):
        r = api(world.nurse).post("/api/v1/referrals/", {"client": world.own.pk, "hospital": hospital,
                                                         "reason": "r"}, format="json")
        assert r.status_code == 400 and list(r.json()) == ["hospital"], r.json()
    r = api(world.nurse).post("/api/v1/referrals/", {"client": world.own.pk, "hospital": partners.every.pk,
                                                     "department": partners.endo.pk, "reason": "r"}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["department"]
    assert r.json()["department"] == ["请选择北京协和医院的科室。"]
    assert not Referral.objects.exists() and not AuditEvent.objects.filter(action="chronic.referral_create").exists()


def test_roles_without_monitoring_rights_are_refused(world, api, partners):
    body = {"client": world.own.pk, "hospital": partners.every.pk, "reason": "r"}
    assert api(world.nutritionist).post("/api/v1/referrals/", body, format="json").status_code == 403
    assert api(world.service).post("/api/v1/referrals/", body, format="json").status_code == 403
    assert api(world.nurse2).post("/api/v1/referrals/", body, format="json").status_code == 404
    with pytest.raises(ValidationError) as caught:
        referral_create(client=world.own, hospital="", reason="", acting_user=world.nurse)
    assert sorted(caught.value.message_dict) == ["hospital", "reason"]
    assert not Referral.objects.exists()


def test_page_offers_the_branchs_partner_departments_with_clinic_times(world, client, partners):
    client.force_login(world.nurse)
    page = client.get(f"/chronic/clients/{world.own.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f'<option value="{partners.every.pk}">北京协和医院（三级甲等）</option>' in page
    assert f'<option value="{partners.cardio.pk}">心内科（星期三 08:00–12:00 李主任）</option>' in page
    assert "北京朝阳医院" in page
    assert "上海瑞金医院" not in page and "已解约医院" not in page
    r = client.post(f"/chronic/clients/{world.own.pk}/referrals/", {"hospital": partners.sh_only.pk, "reason": "r"})
    assert r.status_code == 302 and not Referral.objects.exists()
    client.post(f"/chronic/clients/{world.own.pk}/referrals/", {"hospital": partners.every.pk,
                                                                "department": partners.cardio.pk, "reason": "血压高"})
    page = client.get(f"/chronic/clients/{world.own.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<td>北京协和医院</td><td>心内科</td>" in page
