"""The API operations added so every screen action has an API counterpart (issue 19 item 4)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from careloop.checkups.models import Checkup, CriticalAlert
from careloop.checkups.services import results_import, results_import_start
from careloop.followups.models import Escalation, FollowupRecord, FollowupRule, FollowupTask, RecordAddendum
from tests.checkups.builders import LI_ID, ZHANG_ID, result_row, write_csv
from tests.factories import make_client


def test_escalation_steps_and_addendum_through_the_api(world, api):
    now = timezone.now()
    task = FollowupTask.objects.create(client=world.own, due_date=now.date(), status="done", closed_at=now,
                                       assignee=world.nurse, team=world.team_a)
    record = FollowupRecord.objects.create(task=task, client=world.own, channel="phone", performed_at=now,
                                           performed_by=world.nurse, signed_by=world.nurse, signed_at=now,
                                           problem="serious", problem_note="胸闷")
    esc = Escalation.objects.create(client=world.own, task=task, record=record, summary="胸闷", raised_by=world.nurse,
                                    lead=world.lead)
    refused = api(world.nurse).post(f"/api/v1/escalations/{esc.pk}/refer/", {"expert": world.expert.pk}, format="json")
    assert refused.status_code == 403
    esc.refresh_from_db()
    assert esc.status == "open"
    assert api(world.lead).post(f"/api/v1/escalations/{esc.pk}/refer/", {"expert": world.expert.pk},
                                format="json").json()["status"] == "consulting"
    bad = api(world.expert).post(f"/api/v1/escalations/{esc.pk}/advise/", {"advice": " "}, format="json")
    assert bad.status_code == 400 and "advice" in bad.json()
    assert api(world.expert).post(f"/api/v1/escalations/{esc.pk}/advise/", {"advice": "心内科就诊"},
                                  format="json").json()["status"] == "advised"
    assert api(world.nurse).post(f"/api/v1/escalations/{esc.pk}/told/", format="json").json()["status"] == "client_told"
    assert api(world.nurse2).post(f"/api/v1/escalations/{esc.pk}/told/", format="json").status_code == 404
    assert api(world.nurse).post(f"/api/v1/escalations/{esc.pk}/nonsense/", format="json").status_code in (400, 404)
    added = api(world.nurse).post(f"/api/v1/followup-tasks/{task.pk}/addendum/", {"text": "补充：已预约心内科"}, format="json")
    assert added.status_code == 201
    assert RecordAddendum.objects.get(pk=added.json()["id"]).text == "补充：已预约心内科"


def test_rule_save_and_apply_through_the_api(world, api):
    rule = FollowupRule.objects.order_by("code").first()
    assert api(world.nurse).put(f"/api/v1/followup-rules/{rule.pk}/", {"name": "x"}, format="json").status_code == 403
    changed = api(world.admin).put(f"/api/v1/followup-rules/{rule.pk}/", {"name": "改名后的规则"}, format="json")
    assert changed.status_code == 200, changed.json()
    rule.refresh_from_db()
    assert rule.name == "改名后的规则"
    applied = api(world.admin).post(f"/api/v1/followup-rules/{rule.pk}/apply/", format="json")
    assert applied.status_code == 200 and set(applied.json()) >= {"encounters", "created", "updated", "cancelled"}
    bad = api(world.admin).post("/api/v1/followup-rules/", rule.as_data() | {"name": "重复"}, format="json")
    assert bad.status_code == 400 and "code" in bad.json()


@pytest.fixture
def imported(world, tmp_path):
    zhang = make_client(branch=world.bj, name="张伟", sex="male", birth_date=dt.date(1970, 3, 8), id_number=ZHANG_ID,
                        health_manager=world.nurse, tier="A")
    path = write_csv(tmp_path / "r.csv", [result_row(code="HGB", item_name="血红蛋白", value="55", unit="g/L", reference="130-175"),
                                          result_row(exam_no="X2", id_number=LI_ID, name="李娜", sex="女")])
    results_import(batch=results_import_start(upload=path, branch=None, acting_user=world.clerk, enqueue=False),
                   acting_user=world.clerk)
    return Checkup.objects.get(client=zhang)


def test_alert_delivery_and_interpretation_through_the_api(world, api, imported):
    alert = CriticalAlert.objects.get()
    assert api(world.nurse2).post(f"/api/v1/critical-alerts/{alert.pk}/acknowledge/").status_code == 404
    assert api(world.lead).post(f"/api/v1/critical-alerts/{alert.pk}/acknowledge/").status_code == 200
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.lead
    url = f"/api/v1/report-deliveries/{imported.delivery.pk}/record/"
    bad = api(world.nurse).post(url, {"status": "delivered", "method": "post", "tracking_no": ""}, format="json")
    assert bad.status_code == 400 and "tracking_no" in bad.json()
    imported.delivery.refresh_from_db()
    assert imported.delivery.status == "pending"
    ok = api(world.nurse).post(url, {"status": "delivered", "method": "post", "tracking_no": "SF100200300"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "delivered"
    interpretation = imported.interpretations.get()
    iurl = f"/api/v1/interpretations/{interpretation.pk}/done/"
    assert api(world.nurse2).post(iurl, {"method": "phone"}, format="json").status_code == 404
    assert api(world.nurse).post(iurl, {"method": "face_to_face", "notes": "已解读"}, format="json").json()["status"] == "done"
