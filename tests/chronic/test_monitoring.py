"""Monitoring plans and logs (SPEC PLN-3): guideline defaults, flags, alarm tasks, scope."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from careloop.audit.models import AuditEvent
from careloop.chronic.models import ConditionTemplate, MonitoringLog, MonitoringPlan, Reading
from careloop.chronic.selectors import control_rate, control_rates
from careloop.chronic.services import monitoring_log_create, monitoring_plan_create
from careloop.followups.models import FollowupTask

NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)
pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_guideline_templates_are_shipped_with_their_sources():
    by = {t.condition: t for t in ConditionTemplate.objects.prefetch_related("indicators")}
    assert set(by) == {"hypertension", "diabetes", "obesity"}
    assert "中国高血压防治指南" in by["hypertension"].source
    assert "中国2型糖尿病防治指南（2020年版）" in by["diabetes"].source
    assert "中国成人超重和肥胖症预防控制指南" in by["obesity"].source
    sbp = by["hypertension"].indicators.get(code="sbp")
    assert (sbp.target_high, sbp.alarm_high) == (139, 180)
    assert by["hypertension"].indicators.get(code="dbp").alarm_high == 110
    glucose = by["diabetes"].indicators.get(code="fasting_glucose")
    assert (glucose.target_low, glucose.target_high, glucose.alarm_low, glucose.alarm_high) == (4.4, 7.0, 3.9, 16.7)


def test_api_plan_takes_defaults_when_targets_are_omitted(world, api):
    r = api(world.nurse).post("/api/v1/monitoring-plans/", {
        "client": world.own.pk, "condition": "hypertension",
        "indicators": [{"code": "sbp", "frequency": "daily", "target_high": 129}, {"code": "dbp"}]}, format="json")
    assert r.status_code == 201, r.json()
    inds = {i["code"]: i for i in r.json()["indicators"]}
    assert inds["sbp"]["target_high"] == 129 and inds["sbp"]["alarm_high"] == 180
    assert inds["dbp"]["target_high"] == 89 and inds["dbp"]["frequency"] == "daily"
    assert AuditEvent.objects.filter(action="chronic.plan_create", client_id=world.own.pk).count() == 1


def test_api_log_flags_and_opens_urgent_task_for_the_team(world, api):
    monitoring_plan_create(client=world.own, condition="hypertension", acting_user=world.nurse)
    r = api(world.nurse).post("/api/v1/monitoring-logs/", {
        "client": world.own.pk, "at": "2026-06-10T07:30:00+08:00", "readings": {"sbp": 150, "dbp": 85},
        "diet": "少盐"}, format="json")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["flags"] == [{"code": "sbp", "value": 150.0, "flag": "high", "critical": False}]
    assert body["tasks"] == []
    r = api(world.nurse).post("/api/v1/monitoring-logs/", {
        "client": world.own.pk, "at": "2026-06-10T08:00:00+08:00", "readings": {"sbp": 182, "dbp": 111}},
        format="json")
    body = r.json()
    assert [f["flag"] for f in body["flags"]] == ["alarm_high", "alarm_high"]
    assert len(body["tasks"]) == 1
    task = FollowupTask.objects.get(pk=body["tasks"][0])
    assert task.client_id == world.own.pk and task.priority == 5000 and task.due_date == dt.date(2026, 6, 10)
    assert task.assignee_id == world.nurse.pk  # the owner chain: the client's health manager
    assert "收缩压 182" in task.reason


def test_critical_reading_goes_to_the_lead(world):
    monitoring_plan_create(client=world.own, condition="diabetes", acting_user=world.nurse)
    result = monitoring_log_create(client=world.own, at=NOW, readings={"fasting_glucose": 2.6}, acting_user=world.nurse)
    assert result.flags[0]["flag"] == "alarm_low" and result.flags[0]["critical"] is True
    task = FollowupTask.objects.get(pk=result.tasks[0])
    assert task.assignee_id == world.lead.pk and task.priority == 10000
    assert AuditEvent.objects.filter(action="chronic.critical_alert").count() == 1


def test_low_glucose_alarm_without_plan_uses_guideline(world):
    result = monitoring_log_create(client=world.own, at=NOW, readings={"fasting_glucose": 3.9}, acting_user=world.nurse)
    assert result.flags[0]["flag"] == "alarm_low" and len(result.tasks) == 1


def test_bad_input_names_the_field_and_writes_nothing(world, api):
    c = api(world.nurse)
    r = c.post("/api/v1/monitoring-logs/", {"client": world.own.pk, "at": "2026-06-10T07:30:00+08:00",
                                            "readings": {"sbp": "high"}}, format="json")
    assert r.status_code == 400 and "readings" in r.json()
    r = c.post("/api/v1/monitoring-logs/", {"client": world.own.pk, "at": "2026-06-10T07:30:00+08:00"}, format="json")
    assert r.status_code == 400 and "readings" in r.json()
    r = c.post("/api/v1/monitoring-logs/", {"client": world.own.pk, "at": "2027-01-01T07:30:00+08:00",
                                            "readings": {"sbp": 120}}, format="json")
    assert r.status_code == 400 and "at" in r.json()
    r = c.post("/api/v1/monitoring-plans/", {"client": world.own.pk, "condition": "gout"}, format="json")
    assert r.status_code == 400 and "condition" in r.json()
    assert MonitoringLog.objects.count() == 0 and MonitoringPlan.objects.count() == 0


@pytest.mark.parametrize("who,code", [("nurse2", 404), ("service", 403), ("nutritionist", 403), ("auditor", 403),
                                      ("outsider", 403)])
def test_denied_writers_change_nothing(world, api, who, code):
    r = api(getattr(world, who)).post("/api/v1/monitoring-logs/", {
        "client": world.own.pk, "at": "2026-06-10T07:30:00+08:00", "readings": {"sbp": 190}}, format="json")
    assert r.status_code == code
    assert MonitoringLog.objects.count() == 0 and FollowupTask.objects.count() == 0


def test_list_is_scoped(world, api):
    monitoring_log_create(client=world.own, at=NOW, readings={"sbp": 120}, acting_user=world.nurse)
    monitoring_log_create(client=world.other_branch, at=NOW, readings={"sbp": 120}, acting_user=world.nurse2)
    assert [x["client"] for x in api(world.nurse).get("/api/v1/monitoring-logs/").json()["results"]] == [world.own.pk]
    assert api(world.nurse2).get(f"/api/v1/monitoring-logs/?client={world.own.pk}").json()["results"] == []


def test_control_rate(world):
    monitoring_plan_create(client=world.own, condition="hypertension", acting_user=world.nurse)
    for day, sbp in enumerate([120, 130, 150, 125]):
        monitoring_log_create(client=world.own, at=NOW - dt.timedelta(days=day + 1), readings={"sbp": sbp},
                              acting_user=world.nurse)
    assert control_rate(client=world.own, indicator="sbp", start=dt.date(2026, 3, 10), end=dt.date(2026, 6, 10)) == 0.75
    assert control_rate(client=world.own, indicator="dbp", start=dt.date(2026, 3, 10), end=dt.date(2026, 6, 10)) is None
    rates = {r.indicator: r for r in control_rates(units=[world.bj], start=dt.date(2026, 3, 10), end=dt.date(2026, 6, 10))}
    assert (rates["sbp"].readings, rates["sbp"].in_target, rates["sbp"].controlled_clients) == (4, 3, 1)
    assert control_rates(units=[world.sh], start=dt.date(2026, 3, 10), end=dt.date(2026, 6, 10)) == []
    assert Reading.objects.filter(in_target=False).count() == 1


def test_reminder_after_missing_logs(world, settings):
    from careloop.chronic.services import monitoring_reminders_send
    from careloop.clients.models import ConsentPurpose  # noqa: F401
    from careloop.messaging.models import Message

    monitoring_plan_create(client=world.own, condition="hypertension", acting_user=world.nurse)
    monitoring_log_create(client=world.own, at=NOW, readings={"sbp": 120}, acting_user=world.nurse)
    assert monitoring_reminders_send(today=dt.date(2026, 6, 11)) == 0
    monitoring_reminders_send(today=dt.date(2026, 6, 13))
    audit = AuditEvent.objects.filter(action="chronic.reminder").count()
    assert audit == 1
    assert Message.objects.filter(client=world.own, purpose="monitoring_reminder").count() + AuditEvent.objects.filter(
        action="message.refused", client_id=world.own.pk).count() == 1
    monitoring_reminders_send(today=dt.date(2026, 6, 13))  # once per period
    assert AuditEvent.objects.filter(action="chronic.reminder").count() == 1


def test_client_page_renders_chart(world, client, password):
    monitoring_plan_create(client=world.own, condition="hypertension", acting_user=world.nurse)
    for day in range(5):
        monitoring_log_create(client=world.own, at=timezone.now() - dt.timedelta(days=day), readings={"sbp": 130 + day * 5},
                              acting_user=world.nurse)
    client.force_login(world.nurse)
    r = client.get(f"/chronic/clients/{world.own.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200
    assert b"<svg" in r.content
    assert client.get("/chronic/", HTTP_ACCEPT_LANGUAGE="zh-hans").status_code == 200
    client.force_login(world.nurse2)
    assert client.get(f"/chronic/clients/{world.own.pk}/").status_code == 404


def test_referral_recorded_and_on_timeline(world, client):
    from careloop.chronic.models import Referral
    from careloop.clients.timeline import timeline_for
    from tests.plans.builders import hospital_with_department

    dept = hospital_with_department("北京协和医院")
    client.force_login(world.nurse)
    r = client.post(f"/chronic/clients/{world.own.pk}/referrals/", {
        "hospital": dept.hospital_id, "department": dept.pk, "expert": "李主任", "clinic_time": "周三上午",
        "reason": "血压控制不佳"})
    assert r.status_code == 302
    ref = Referral.objects.get()
    assert (ref.hospital_id, ref.department_id, ref.clinic_time, ref.created_by_id) == (
        dept.hospital_id, dept.pk, "周三上午", world.nurse.pk)
    assert any("北京协和医院" in e.title for e in timeline_for(world.own, world.nurse, kinds=["plan"]))
    client.force_login(world.nutritionist)
    client.post(f"/chronic/clients/{world.own.pk}/referrals/", {"hospital": dept.hospital_id, "reason": "y"})
    assert Referral.objects.count() == 1


def test_worklist_query_count_does_not_grow(world, client, django_assert_max_num_queries):
    from tests.factories import make_client

    client.force_login(world.lead)
    for i in range(3):
        c = make_client(branch=world.bj, name=f"客户{i}", health_manager=world.nurse)
        monitoring_plan_create(client=c, condition="hypertension", acting_user=world.nurse)
        monitoring_log_create(client=c, at=NOW, readings={"sbp": 150 + i}, acting_user=world.nurse)
    client.get("/chronic/")  # warm the session and caches
    with django_assert_max_num_queries(20) as ctx:
        r = client.get("/chronic/")
    small = len(ctx.captured_queries)
    for i in range(3, 9):
        c = make_client(branch=world.bj, name=f"客户{i}", health_manager=world.nurse)
        monitoring_plan_create(client=c, condition="diabetes", acting_user=world.nurse)
    with django_assert_max_num_queries(small) as ctx:
        r = client.get("/chronic/")
    assert r.status_code == 200 and r.content.decode().count("客户") >= 9


def test_health_plan_out_of_scope_is_404(world, api):
    from careloop.chronic.healthplans import health_plan_create

    plan = health_plan_create(client=world.own, acting_user=world.nurse)
    assert api(world.nurse2).post(f"/api/v1/health-plans/{plan.pk}/adjustments/", {
        "reason": "r", "content": {"diet": "x"}, "expected_effect": "e"}, format="json").status_code == 404
    assert api(world.nurse2).get(f"/api/v1/health-plans/{plan.pk}/").status_code == 404
    from careloop.chronic.models import PlanAdjustment
    assert PlanAdjustment.objects.count() == 0


def test_vip_clients_go_to_their_family_doctor(world, api):
    world.own.is_vip = True
    world.own.save(update_fields=["is_vip"])
    r = api(world.nurse).post("/api/v1/monitoring-plans/", {"client": world.own.pk, "condition": "diabetes"},
                              format="json")
    assert r.status_code == 400 and "client" in r.json()
    assert MonitoringPlan.objects.count() == 0
    r = api(world.doctor).post("/api/v1/monitoring-plans/", {"client": world.own.pk, "condition": "diabetes"},
                               format="json")
    assert r.status_code == 201
