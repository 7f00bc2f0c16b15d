"""Pages: the worklist (FU-10, query count pinned), the task screen (FU-11/13), encounters, rules."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client as WebClient

from careloop.clients.models import Client
from careloop.followups.models import Encounter, FollowupRecord, FollowupRule, FollowupTask
from careloop.followups.services.planning import encounter_create
from tests.factories import make_client

# one audit row: one INSERT (no lock, no read: the sealer chains it after commit)
AUDIT_ROW_QUERIES = 1

TODAY = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def web(user) -> WebClient:
    client = WebClient()
    client.force_login(user)
    return client


@pytest.fixture
def due_tasks(world):
    """Six clients of the nurse with follow-ups due or overdue today."""
    clients = [make_client(branch=world.bj, health_manager=world.nurse, tier=t) for t in "ABCABC"]
    with time_machine.travel(TODAY, tick=False):
        for i, client in enumerate(clients):
            encounter_create(client=client, kind="tcm_first_visit", date=dt.date(2026, 11, 20 - i),
                             prescription_days=30, acting_user=world.nurse)
    return clients


# session, user, roles, teams (2), count, page, its clients, companions, rule and team filters, session save (3)
def test_worklist_lists_due_and_overdue_by_priority(world, due_tasks, django_assert_num_queries) -> None:
    browser = web(world.nurse)
    with time_machine.travel(TODAY, tick=False):
        browser.get("/followups/")  # warm the session and caches
        with django_assert_num_queries(14 + AUDIT_ROW_QUERIES):
            response = browser.get("/followups/")
    assert response.status_code == 200
    calls = response.context["calls"]
    assert [c.client.tier for c in calls] == ["A", "A", "B", "B", "C", "C"]
    # Tier C clients also got the FU-6 satisfaction call (due day 1): one call covers both purposes.
    assert [len(c.also) for c in calls] == [0, 0, 0, 0, 1, 1]
    first = calls[0]
    assert first.task.due_date <= dt.date(2026, 11, 23)
    assert "中医初诊" in response.content.decode()
    # the channel column shows the label of the page's language (looked up once per page), never the code
    assert first.channel_label == "电话" and "<td>电话</td>" in response.content.decode()


def test_worklist_query_count_does_not_grow_with_rows(world, due_tasks, django_assert_num_queries) -> None:
    extra = [make_client(branch=world.bj, health_manager=world.nurse, tier="B") for _ in range(6)]
    with time_machine.travel(TODAY, tick=False):
        for client in extra:
            encounter_create(client=client, kind="tcm_first_visit", date=dt.date(2026, 11, 19),
                             prescription_days=30, acting_user=world.nurse)
        browser = web(world.nurse)
        browser.get("/followups/")
        with django_assert_num_queries(14 + AUDIT_ROW_QUERIES):
            response = browser.get("/followups/?channel=phone")
    assert len(response.context["calls"]) == 12


def test_worklist_htmx_fragment_and_filters(world, due_tasks) -> None:
    with time_machine.travel(TODAY, tick=False):
        response = web(world.nurse).get("/followups/?rule=FU-6-C", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert [c.task.rule.code for c in response.context["calls"]] == ["FU-6-C", "FU-6-C"]


def test_lead_sees_team_queue_others_do_not(world, due_tasks) -> None:
    with time_machine.travel(TODAY, tick=False):
        lead_calls = web(world.lead).get("/followups/?scope=team").context["calls"]
        assert len(lead_calls) == 6
        assert web(world.nurse_b).get("/followups/?scope=team").context["calls"] == []
        assert web(world.service).get("/followups/").status_code == 403


def test_task_screen_and_record_form(world, due_tasks) -> None:
    task = FollowupTask.objects.filter(client=due_tasks[0], rule__code="FU-2-1m").order_by("due_date").first()
    browser = web(world.nurse)
    page = browser.get(f"/followups/tasks/{task.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "服药时间是否正确" in body and "好些" not in body
    bad = browser.post(f"/followups/tasks/{task.pk}/record/", {"q_medication_time": "yes"})
    assert bad.status_code == 400
    assert FollowupRecord.objects.count() == 0
    good = browser.post(f"/followups/tasks/{task.pk}/record/", {
        "identity_confirmed": "on", "q_medication_time": "yes", "q_medication_method": "yes",
        "q_adverse_reaction": "无", "q_plan_started": "已开始", "q_plan_explained": "yes", "guidance": "按时服药",
    })
    assert good.status_code == 302
    task.refresh_from_db()
    assert task.status == "done"
    assert FollowupRecord.objects.get().answers["plan_started"] == "已开始"
    assert web(world.nurse2).get(f"/followups/tasks/{task.pk}/").status_code == 404


def test_encounter_pages(world) -> None:
    Client.objects.filter(pk=world.own.pk).update(tier="B")
    browser = web(world.nurse)
    response = browser.post(f"/followups/clients/{world.own.pk}/encounters/new/",
                            {"kind": "tcm_return_visit", "date": "2026-11-02", "prescription_days": "14"})
    assert response.status_code == 302
    enc = Encounter.objects.get()
    assert list(enc.tasks.values_list("due_date", flat=True)) == [dt.date(2026, 11, 11)]
    response = browser.post(f"/followups/encounters/{enc.pk}/", {"date": "2026-11-02", "prescription_days": "60"})
    assert response.status_code == 302
    assert sorted(enc.tasks.filter(status="pending").values_list("due_date", flat=True)) == [
        dt.date(2026, 11, 9), dt.date(2026, 12, 2), dt.date(2026, 12, 29)]
    bad = browser.post(f"/followups/clients/{world.own.pk}/encounters/new/", {"kind": "tcm_first_visit", "date": "x"})
    assert bad.status_code == 400 and Encounter.objects.count() == 1


def test_rules_screen_preview_save_and_apply(world) -> None:
    Client.objects.filter(pk=world.own.pk).update(tier="B")
    enc = encounter_create(client=world.own, kind="tcm_return_visit", date=dt.date(2026, 11, 2),
                           prescription_days=14, acting_user=world.nurse)
    rule = FollowupRule.objects.get(code="FU-3-2w")
    admin = web(world.admin)
    assert web(world.nurse).get("/followups/rules/").status_code == 403
    listing = admin.get("/followups/rules/")
    assert listing.status_code == 200 and "FU-3-2w" in listing.content.decode()
    page = admin.get(f"/followups/rules/{rule.pk}/")
    assert page.context["formset"].initial == [{"anchor": "encounter", "offset": 9, "unit": "day", "if_after_end": -3,
                                                "last": True, "label": "day 9"}]
    assert '"if_after_end": -3' in page.context["rule_json"]  # the advanced, read-only view
    form = {
        "name": rule.name, "active": "on", "kinds": ["tcm_return_visit"], "min_days": "1", "max_days": "14",
        "steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "1",
        "steps-0-anchor": "encounter", "steps-0-offset": "10", "steps-0-unit": "day", "steps-0-last": "on",
        "steps-0-if_after_end": "-3", "steps-0-label": "day 10",
        "repeat_unit": "month", "cycle_unit": "month",
        "makes": "task", "channel": "phone", "priority": "20", "script": "tcm_return",
        "sample_kind": "tcm_return_visit", "sample_date": "2026-11-02", "sample_days": "14",
    }
    preview = admin.post(f"/followups/rules/{rule.pk}/", {**form, "action": "preview"}, HTTP_HX_REQUEST="true")
    assert [i.due_date for i in preview.context["preview"]] == [dt.date(2026, 11, 12)]
    rule.refresh_from_db()
    assert rule.version == 1  # a preview saves nothing
    added = admin.post(f"/followups/rules/{rule.pk}/", {**form, "action": "add_step"})
    assert (added.status_code, added.context["formset"].total_form_count()) == (200, 2)
    bad = admin.post(f"/followups/rules/{rule.pk}/", {**form, "steps-0-unit": "fortnight", "action": "save"})
    assert bad.status_code == 400
    assert bad.context["error_list"] == ["第 1 步 · 单位：选择一个有效的选项。 fortnight 不在可用的选项中。"]
    no_purpose = admin.post(f"/followups/rules/{rule.pk}/", {**form, "makes": "message", "channel": "sms",
                                                              "action": "save"})
    assert no_purpose.status_code == 400
    assert no_purpose.context["form"].errors["message_purpose"] == ["消息类规则须选择要发送的消息模板。"]
    rule.refresh_from_db()
    assert rule.version == 1
    saved = admin.post(f"/followups/rules/{rule.pk}/", {**form, "action": "save"})
    assert saved.status_code == 302
    rule.refresh_from_db()
    assert (rule.version, rule.steps[0]["offset"]) == (2, 10)
    assert list(enc.tasks.values_list("due_date", flat=True)) == [dt.date(2026, 11, 11)]  # not applied yet
    diff = admin.get(f"/followups/rules/{rule.pk}/apply/")
    assert [(d.encounter.pk, [t.due_date for t in d.cancel], [t.due_date for t in d.create])
            for d in diff.context["diffs"]] == [(enc.pk, [dt.date(2026, 11, 11)], [dt.date(2026, 11, 12)])]
    admin.post(f"/followups/rules/{rule.pk}/apply/")
    assert list(enc.tasks.order_by("due_date").values_list("due_date", "status")) == [
        (dt.date(2026, 11, 11), "cancelled"), (dt.date(2026, 11, 12), "pending")]
