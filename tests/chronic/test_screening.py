"""Screening candidates from the ASM-1 questionnaire (PLN-3, seed 004 第二部分二): flagged clients of the
lead's or expert's scope, enrolled through the monitoring-plan service, audited."""

from __future__ import annotations

import datetime as dt

import pytest

from careloop.assessments.models import QuestionnaireResponse
from careloop.assessments.selectors import HEALTH_QUESTIONNAIRE, active_questionnaire
from careloop.audit.models import AuditEvent
from careloop.chronic.models import MonitoringPlan
from careloop.chronic.screening import screening_candidates
from careloop.chronic.services import monitoring_plan_create
from tests.factories import make_client

pytestmark = [pytest.mark.django_db]


def answer(client, on: dt.date, **answers):
    return QuestionnaireResponse.objects.create(client=client, questionnaire=active_questionnaire(HEALTH_QUESTIONNAIRE),
                                                answers=answers, answered_on=on)


@pytest.fixture
def screened(world):
    answer(world.own, dt.date(2026, 3, 1), on_bp_treatment=True, diabetes=False, family_history_diabetes=True)
    answer(world.other_team, dt.date(2026, 3, 1), on_bp_treatment=False, diabetes=False, smoking="current")
    answer(world.other_branch, dt.date(2026, 3, 1), diabetes=True)  # Shanghai: not the Beijing lead's
    world.vip = make_client(branch=world.bj, name="赵敏", is_vip=True, family_doctor=world.doctor,
                            health_manager=world.nurse)
    answer(world.vip, dt.date(2026, 3, 1), diabetes=True)  # the family doctor's
    world.recovered = make_client(branch=world.bj, name="孙丽", health_manager=world.nurse)
    answer(world.recovered, dt.date(2025, 3, 1), on_bp_treatment=True)
    answer(world.recovered, dt.date(2026, 3, 1), on_bp_treatment=False)  # the latest answers count
    world.monitored = make_client(branch=world.bj, name="周杰", sex="male", health_manager=world.nurse)
    answer(world.monitored, dt.date(2026, 3, 1), on_bp_treatment=True, diabetes=True)
    monitoring_plan_create(client=world.monitored, condition="hypertension", acting_user=world.nurse)
    return world


def test_candidates_are_the_flagged_clients_of_the_scope_without_a_plan_for_the_condition(screened):
    rows = {c.client.name: [(f.condition, f.reasons) for f in c.flags] for c in screening_candidates(screened.lead)}
    assert rows == {
        "王芳": [("hypertension", ("正在服用降压药",)), ("diabetes", ("一级亲属有糖尿病（高危人群）",))],
        "周杰": [("diabetes", ("已诊断糖尿病或正在使用降糖药物/胰岛素",))],
    }



def test_api_lists_for_leads_and_experts_only(screened, api):
    r = api(screened.expert).get("/api/v1/screening-candidates/")
    assert r.status_code == 200
    assert [(x["name"], [f["condition"] for f in x["flags"]]) for x in r.json()] == [
        ("周杰", ["diabetes"]), ("王芳", ["hypertension", "diabetes"])]
    assert AuditEvent.objects.filter(action="chronic.read", detail__what="screening candidates").count() == 1
    for user in (screened.nurse, screened.service, screened.nutritionist, screened.outsider):
        assert api(user).get("/api/v1/screening-candidates/").status_code == 403


def test_enrol_goes_through_the_monitoring_plan_service_and_is_audited(screened, api):
    r = api(screened.lead).post("/api/v1/screening-candidates/enrol/", {"client": screened.own.pk,
                                                                       "condition": "hypertension"}, format="json")
    assert r.status_code == 201, r.json()
    plan = MonitoringPlan.objects.get(client=screened.own, active=True)
    assert (r.json()["id"], plan.condition, sorted(plan.indicators.values_list("code", flat=True))) == (
        plan.pk, "hypertension", ["bmi", "dbp", "heart_rate", "sbp", "weight"])
    event = AuditEvent.objects.get(action="chronic.screening_enrol")
    assert (event.client_id, event.detail["condition"], event.detail["reasons"]) == (
        screened.own.pk, "hypertension", ["正在服用降压药"])
    assert AuditEvent.objects.filter(action="chronic.plan_create", client_id=screened.own.pk).count() == 1
    rows = {c.client.name: [f.condition for f in c.flags] for c in screening_candidates(screened.lead)}
    assert rows["王芳"] == ["diabetes"]


@pytest.mark.parametrize(("user", "client", "condition", "expected"), [
    ("lead", "own", "obesity", 400),           # not flagged by the answers
    ("lead", "own", "cancer", 400),            # no such condition
    ("lead", "recovered", "hypertension", 400),  # flagged only by older answers
    ("lead", "monitored", "hypertension", 400),  # already monitored
    ("lead", "other_branch", "diabetes", 404),  # another branch
    ("nurse", "own", "hypertension", 403),     # not a lead or an expert
])
def test_enrol_refusals_change_nothing(screened, api, user, client, condition, expected):
    before = MonitoringPlan.objects.count()
    r = api(getattr(screened, user)).post("/api/v1/screening-candidates/enrol/", {
        "client": getattr(screened, client).pk, "condition": condition}, format="json")
    assert r.status_code == expected
    if expected == 400:
        assert list(r.json()) == ["condition"]
    assert MonitoringPlan.objects.count() == before
    assert not AuditEvent.objects.filter(action="chronic.screening_enrol").exists()


def test_page_in_chinese_and_enrol_from_it(screened, client):
    client.force_login(screened.lead)
    page = client.get("/chronic/screening/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "慢病筛查对象" in page and "王芳" in page and "纳入高血压管理" in page
    assert "张伟" not in page and "赵敏" not in page and "孙丽" not in page
    r = client.post(f"/chronic/screening/{screened.own.pk}/enrol/", {"condition": "diabetes"})
    assert r.status_code == 302
    assert MonitoringPlan.objects.filter(client=screened.own, condition="diabetes", active=True).count() == 1
    client.force_login(screened.nurse)
    assert client.get("/chronic/screening/").status_code == 403
    assert client.post(f"/chronic/screening/{screened.own.pk}/enrol/", {"condition": "hypertension"}).status_code == 403
    assert not MonitoringPlan.objects.filter(client=screened.own, condition="hypertension").exists()
