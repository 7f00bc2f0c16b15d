"""The personal health plan (SPEC PLN-4): versions, adjustment → expert review → next version, notice, task."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from careloop.audit.models import AuditEvent
from careloop.chronic.healthplans import (
    draft_from_prescription,
    health_plan_create,
    medication_reminders_send,
    plan_adjustment_request,
    plan_adjustment_review,
)
from careloop.chronic.models import HealthPlan, MedicationReminderSent, PlanAdjustment
from careloop.followups.models import FollowupTask
from careloop.followups.preparation import current_plan

NOW = dt.datetime(2026, 6, 10, 1, 50, tzinfo=dt.UTC)  # 09:50 in Beijing
pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_draft_sorts_prescription_into_sections():
    draft = draft_from_prescription([{"category": "diet", "text": "减少食盐"}, {"category": "exercise", "text": "快走"},
                                     {"category": "glucose", "text": "监测血糖"}])
    assert (draft["diet"], draft["exercise"], draft["goals"]) == ("减少食盐", "快走", "监测血糖")


def _plan(world):
    return health_plan_create(client=world.own, acting_user=world.nurse, fields={
        "goals": "血压控制在140/90以下", "medication_reminders": [{"medicine": "氨氯地平片", "dosage": "5mg",
                                                                  "times": ["10:00"]}]})


def test_api_adjustment_review_flow(world, api):
    plan = _plan(world)
    r = api(world.nurse).post(f"/api/v1/health-plans/{plan.pk}/adjustments/", {
        "reason": "近3个月血压控制不佳", "content": {"goals": "血压控制在130/80以下"}, "expected_effect": "3个月内血压达标"},
        format="json")
    assert r.status_code == 201 and r.json()["status"] == "pending"
    adj_id = r.json()["id"]
    assert api(world.nurse).post(f"/api/v1/plan-adjustments/{adj_id}/review/", {
        "decision": "approve", "opinion": "同意"}, format="json").status_code == 403
    r = api(world.expert).post(f"/api/v1/plan-adjustments/{adj_id}/review/", {"decision": "approve", "opinion": "同意调整"},
                               format="json")
    assert r.status_code == 200, r.json()
    adj = PlanAdjustment.objects.get(pk=adj_id)
    nxt = HealthPlan.objects.get(client=world.own, status="current")
    assert (nxt.version, nxt.goals, adj.next_plan_id) == (2, "血压控制在130/80以下", nxt.pk)
    assert nxt.medication_reminders == plan.medication_reminders
    assert HealthPlan.objects.get(pk=plan.pk).status == "replaced"
    task = FollowupTask.objects.get(pk=adj.task_id)
    assert task.due_date == dt.date(2026, 6, 24)
    assert AuditEvent.objects.filter(action="chronic.adjustment_approve").count() == 1
    assert AuditEvent.objects.filter(action="message.refused").count() + (1 if adj.message_id else 0) == 1
    listed = api(world.nurse).get(f"/api/v1/health-plans/?client={world.own.pk}").json()["results"]
    assert [p["version"] for p in listed] == [2, 1]


def test_requester_never_reviews_and_rejection_says_why(world):
    plan = _plan(world)
    adj = plan_adjustment_request(plan=plan, reason="r", content={"diet": "低盐"}, expected_effect="e",
                                  acting_user=world.doctor)
    from django.core.exceptions import PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        plan_adjustment_review(adjustment=adj, decision="approve", opinion="ok", acting_user=world.doctor)
    with pytest.raises(ValidationError) as info:
        plan_adjustment_review(adjustment=adj, decision="reject", opinion="", acting_user=world.expert)
    assert "opinion" in info.value.message_dict
    assert PlanAdjustment.objects.get(pk=adj.pk).status == "pending"
    plan_adjustment_review(adjustment=adj, decision="reject", opinion="证据不足", acting_user=world.expert)
    adj.refresh_from_db()
    assert (adj.status, adj.opinion, adj.next_plan_id) == ("rejected", "证据不足", None)
    assert HealthPlan.objects.filter(client=world.own).count() == 1


def test_bad_adjustment_names_fields(world, api):
    plan = _plan(world)
    r = api(world.nurse).post(f"/api/v1/health-plans/{plan.pk}/adjustments/", {
        "reason": "x", "content": {"medication_reminders": [{"medicine": "药", "times": ["25:00"]}]},
        "expected_effect": "y"}, format="json")
    assert r.status_code == 400 and "medication_reminders[0].times" in r.json()
    assert PlanAdjustment.objects.count() == 0


def test_medication_reminders_at_times_and_stop_when_replaced(world):
    plan = _plan(world)
    medication_reminders_send(now=NOW)
    medication_reminders_send(now=NOW)  # idempotent
    assert MedicationReminderSent.objects.filter(plan=plan).count() == 1
    adj = plan_adjustment_request(plan=plan, reason="r", content={"medication_reminders": []}, expected_effect="e",
                                  acting_user=world.nurse)
    plan_adjustment_review(adjustment=adj, decision="approve", opinion="同意", acting_user=world.expert)
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        medication_reminders_send()
    assert MedicationReminderSent.objects.count() == 1


def test_preparation_view_shows_current_plan(world):
    assert current_plan(world.own) is None
    _plan(world)
    section = current_plan(world.own)
    assert section is not None and "血压控制在140/90以下" in section.lines


def test_pages_and_letter(world, client):
    plan = _plan(world)
    adj = plan_adjustment_request(plan=plan, reason="血压控制不佳", content={"goals": "血压<130/80"},
                                  expected_effect="达标", acting_user=world.nurse)
    client.force_login(world.expert)
    assert client.get("/chronic/adjustments/").status_code == 200
    r = client.post(f"/chronic/adjustments/{adj.pk}/review/", {"decision": "approve", "opinion": "同意"})
    assert r.status_code == 302
    r = client.get(f"/chronic/clients/{world.own.pk}/health-plan/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200 and "血压&lt;130/80" in r.content.decode()
    r = client.get(f"/chronic/adjustments/{adj.pk}/letter.pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    client.force_login(world.nurse)
    assert client.get("/chronic/adjustments/").status_code == 403
