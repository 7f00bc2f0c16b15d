"""FU-11 preparation view: abnormal items through the checkups registry, the plan placeholder, one-click call."""

from __future__ import annotations

import datetime as dt

from django.test import Client as WebClient

from careloop.audit.models import AuditEvent
from careloop.checkups.models import Checkup, ResultItem
from careloop.followups.models import FollowupTask
from careloop.followups.services.planning import encounter_create


def web(user) -> WebClient:
    client = WebClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def _task(world) -> FollowupTask:
    encounter_create(client=world.own, kind="discharge", date=dt.date(2026, 11, 2), acting_user=world.nurse)
    return FollowupTask.objects.filter(client=world.own, rule__code="FU-5").order_by("due_date").first()


def test_preparation_shows_the_latest_abnormal_items_and_no_plan_yet(world) -> None:
    old = Checkup.objects.create(client=world.own, exam_no="T-1", date=dt.date(2025, 10, 1))
    ResultItem.objects.create(checkup=old, code="GLU", name="空腹血糖", value_text="7.9", unit="mmol/L",
                              flag="H", severity="major")
    latest = Checkup.objects.create(client=world.own, exam_no="T-2", date=dt.date(2026, 10, 12))
    ResultItem.objects.create(checkup=latest, code="SBP", name="收缩压", value_text="152", unit="mmHg",
                              reference_range="90-139", flag="H", severity="minor")
    ResultItem.objects.create(checkup=latest, code="HB", name="血红蛋白", value_text="135", unit="g/L")
    body = web(world.nurse).get(f"/followups/tasks/{_task(world).pk}/").content.decode()
    assert "2026-10-12 体检" in body
    assert "收缩压 152 mmHg ↑" in body
    assert "空腹血糖" not in body and "血红蛋白" not in body  # an older checkup; a normal item
    assert "暂无" in body and "无记录" not in body


def test_one_click_call_reveals_the_number_audited_as_a_follow_up_call(world) -> None:
    task = _task(world)
    browser = web(world.nurse)
    response = browser.post(f"/followups/tasks/{task.pk}/call/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'href="tel:13812341234"' in response.content.decode()
    event = AuditEvent.objects.filter(action="client.reveal").latest("append_id")
    assert event.detail == {"field": "phone", "reason": "followup_call"}
    assert event.actor_id == world.nurse.pk
    # who may not work the task gets no number and no reveal row
    count = AuditEvent.objects.filter(action="client.reveal").count()
    assert web(world.expert).post(f"/followups/tasks/{task.pk}/call/").status_code == 403
    assert web(world.nurse2).post(f"/followups/tasks/{task.pk}/call/").status_code == 404
    assert AuditEvent.objects.filter(action="client.reveal").count() == count


def test_a_signed_record_shows_questions_and_yes_no_in_words(world) -> None:
    task = _task(world)
    browser = web(world.nurse)
    bad = browser.post(f"/followups/tasks/{task.pk}/record/", {"identity_confirmed": "on"})
    assert bad.status_code == 400
    text = bad.content.decode()
    assert "answers." not in text
    good = browser.post(f"/followups/tasks/{task.pk}/record/", {
        "identity_confirmed": "on", **{f"q_{k}": v for k, v in _answers(task).items()}, "guidance": "按时复诊"})
    assert good.status_code == 302, good.content.decode()[:2000]
    page = browser.get(f"/followups/tasks/{task.pk}/").content.decode()
    assert " True" not in page and " False" not in page
    assert "是" in page


def _answers(task: FollowupTask) -> dict[str, str]:
    from careloop.followups.services.records import questionnaire_for

    answers = {}
    for q in questionnaire_for(task).questions:
        if q["type"] == "yesno":
            answers[q["key"]] = "yes"
        elif q["type"] == "choice":
            answers[q["key"]] = q["choices"][0]
        else:
            answers[q["key"]] = "好"
    return answers


def test_the_leads_team_list_has_an_assignee_column_and_reassigns_in_place(world) -> None:
    import time_machine

    from careloop.followups.templatetags.followups_tags import timing

    queued = make_queue_task(world)
    with time_machine.travel(dt.datetime(2026, 11, 3, 1, tzinfo=dt.UTC), tick=False):
        lead = web(world.lead)
        page = lead.get("/followups/?scope=team").content.decode()
        assert "负责人" in page and '<span class="tag bad">待分配</span>' in page and "改派" in page
        response = lead.post(f"/followups/tasks/{queued.pk}/reassign/",
                             {"assignee": world.nurse.pk, "next": "/followups/?scope=team"})
        assert response.status_code == 302 and response["Location"] == "/followups/?scope=team"
        queued.refresh_from_db()
        assert queued.assignee_id == world.nurse.pk
        assert '<span class="tag bad">待分配</span>' not in lead.get("/followups/?scope=team").content.decode()
        # a nurse of the team sees the column but no reassign control
        assert ">改派</button>" not in web(world.nurse).get("/followups/?scope=team").content.decode()
    from django.utils import translation

    with translation.override("zh-hans"):
        assert timing("day 3, end − 3") == "第3天，处方结束前3天"
        assert timing("monthly") == "每月"


def make_queue_task(world) -> FollowupTask:
    from careloop.followups.services.tasks import followup_task_create
    from tests.factories import make_client

    client = make_client(branch=world.bj, tier="B", name="赵敏")
    return followup_task_create(client=client, due_date=dt.date(2026, 11, 3), reason="报告催领", acting_user=world.admin,
                                team_id=world.team_a.pk)


def test_every_shipped_rule_previews_its_dates(world) -> None:
    from careloop.followups.models import FollowupRule

    admin = web(world.admin)
    empty = []
    for rule in FollowupRule.objects.order_by("code"):
        response = admin.get(f"/followups/rules/{rule.pk}/")
        assert response.status_code == 200
        if not response.context["preview"]:
            empty.append(rule.code)
    assert empty == []
