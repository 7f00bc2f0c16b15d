"""Issue 9 item 2: a reminder rule sends a message through the outbox instead of making a call task.

FU-6-B (tier B, monthly health reminder) is a message rule: each occurrence is a planned message that the
hourly job hands to the outbox on its due date, where consent, subscriptions and quiet hours apply. The
series semantics of tasks hold: one series per client, replaced by a newer encounter's, following the
tier, cancelled with the reason by a status change or a withdrawal of health-data consent.

Time is frozen: today is Monday 2026-11-02, 09:00 in Beijing.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from careloop.audit.models import AuditEvent
from careloop.clients.models import ClientStatus, ConsentPurpose
from careloop.clients.services import client_change_status, client_set_tier, consent_record
from careloop.followups.models import FollowupRule, FollowupTask, PlannedMessage
from careloop.followups.services.planning import encounter_create
from careloop.followups.services.reminders import planned_messages_send_due
from careloop.followups.services.rules import rule_save
from careloop.messaging.models import Message, MessageTemplate

BEIJING = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 2)
NOW = dt.datetime(2026, 11, 2, 1, tzinfo=dt.UTC)  # 09:00 in Beijing
MONTHLY = [dt.date(2026, 12, 2), dt.date(2027, 1, 2), dt.date(2027, 2, 2), dt.date(2027, 3, 2), dt.date(2027, 4, 2),
           dt.date(2027, 5, 2), dt.date(2027, 6, 2), dt.date(2027, 7, 2), dt.date(2027, 8, 2), dt.date(2027, 9, 2),
           dt.date(2027, 10, 2), dt.date(2027, 11, 2)]


@pytest.fixture(autouse=True)
def frozen(settings):
    settings.CARELOOP_FU_HISTORY_GRACE_DAYS = 14
    settings.CARELOOP_FU_MESSAGE_HOUR = 9
    settings.MESSAGING_QUIET_HOURS = "21:00-08:00"
    settings.MESSAGING_DAILY_CAP = 3
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def tier_b(world):
    world.own.tier = "B"
    world.own.save(update_fields=["tier"])
    return world.own


def planned(client, status=PlannedMessage.Status.PLANNED) -> list[tuple[str, dt.date]]:
    return [(p.rule.code, p.due_date) for p in PlannedMessage.objects.filter(client=client, status=status)
            .select_related("rule").order_by("due_date")]


def at_beijing(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=BEIJING)


def test_the_shipped_reminder_rule_is_a_message_rule(db):
    rule = FollowupRule.objects.get(code="FU-6-B")
    assert (rule.action, rule.message_purpose, rule.channel, rule.client_series) == (
        "message", "health_reminder", "sms", "upkeep")


def test_a_reminder_rule_plans_messages_once_per_client_and_makes_no_task(world, tier_b) -> None:
    checkup = encounter_create(client=tier_b, kind="checkup", date=TODAY, health_status="normal",
                               acting_user=world.nurse)
    purchase = encounter_create(client=tier_b, kind="purchase", date=TODAY, acting_user=world.nurse)
    assert not FollowupTask.objects.filter(client=tier_b, rule__code="FU-6-B").exists()
    assert planned(tier_b) == [("FU-6-B", d) for d in MONTHLY]  # one a month, not two
    rows = PlannedMessage.objects.filter(client=tier_b, status="planned")
    assert {(r.encounter_id, r.purpose, r.channel) for r in rows} == {(purchase.pk, "health_reminder", "sms")}
    replaced = PlannedMessage.objects.filter(encounter=checkup)
    assert {(r.status, r.note) for r in replaced} == {("cancelled", "已由 2026-11-02 的购买服务随访系列取代")}
    assert not Message.objects.filter(client=tier_b).exists()  # nothing goes out before its day
    event = AuditEvent.objects.get(action="encounter.create", object_id=str(purchase.pk))
    assert (event.detail["messages_planned"], event.detail["messages_cancelled"]) == (12, 12)


def test_on_its_day_the_message_goes_to_the_outbox_with_the_template_and_time(world, tier_b) -> None:
    consent_record(acting_user=world.nurse, client=tier_b, purpose=ConsentPurpose.REMINDERS, granted=True)
    encounter_create(client=tier_b, kind="checkup", date=TODAY, health_status="normal", acting_user=world.nurse)
    assert planned_messages_send_due() == {"queued": 0, "refused": 0, "skipped": 0}  # nothing due today
    with time_machine.travel(at_beijing(dt.date(2026, 12, 2), 0, 5), tick=False):
        assert planned_messages_send_due() == {"queued": 1, "refused": 0, "skipped": 0}
        assert planned_messages_send_due() == {"queued": 0, "refused": 0, "skipped": 0}  # once
    row = PlannedMessage.objects.get(client=tier_b, due_date=dt.date(2026, 12, 2))
    message = Message.objects.get(client=tier_b)
    template = MessageTemplate.objects.get(purpose="health_reminder", channel="sms", is_active=True)
    assert (row.status, row.message_id) == ("queued", message.pk)
    assert (message.purpose, message.channel, message.template_id, message.consent_purpose, message.status) == (
        "health_reminder", "sms", template.pk, "reminders", "queued")
    assert message.scheduled_at == at_beijing(dt.date(2026, 12, 2), 9)
    assert message.cause == "followup_rule:FU-6-B"
    assert message.body.startswith("【健康管理中心】")
    assert "每月健康提醒" in message.body
    assert not FollowupTask.objects.filter(client=tier_b, rule__code="FU-6-B").exists()
    assert len(planned(tier_b)) == 11


def test_no_consent_no_message_and_the_refusal_is_kept(world, tier_b) -> None:
    encounter_create(client=tier_b, kind="checkup", date=TODAY, health_status="normal", acting_user=world.nurse)
    with time_machine.travel(at_beijing(dt.date(2026, 12, 2), 0, 5), tick=False):
        assert planned_messages_send_due() == {"queued": 0, "refused": 1, "skipped": 0}
    assert not Message.objects.filter(client=tier_b).exists()
    row = PlannedMessage.objects.get(client=tier_b, due_date=dt.date(2026, 12, 2))
    assert (row.status, row.message_id) == ("refused", None)
    assert row.note == "客户未同意：服务提醒与通知。"
    refused = AuditEvent.objects.get(action="message.refused")
    assert refused.detail["code"] == "no_consent"


def test_quiet_hours_move_a_late_hand_over_to_the_morning(world, tier_b) -> None:
    consent_record(acting_user=world.nurse, client=tier_b, purpose=ConsentPurpose.REMINDERS, granted=True)
    encounter_create(client=tier_b, kind="checkup", date=TODAY, health_status="normal", acting_user=world.nurse)
    with time_machine.travel(at_beijing(dt.date(2026, 12, 2), 22, 30), tick=False):  # the worker was down all day
        assert planned_messages_send_due()["queued"] == 1
    message = Message.objects.get(client=tier_b)
    assert message.requested_at == at_beijing(dt.date(2026, 12, 2), 22, 30)
    assert message.scheduled_at == at_beijing(dt.date(2026, 12, 3), 8)


def test_an_occurrence_past_its_window_is_skipped_not_sent_late(world, tier_b) -> None:
    consent_record(acting_user=world.nurse, client=tier_b, purpose=ConsentPurpose.REMINDERS, granted=True)
    encounter_create(client=tier_b, kind="checkup", date=TODAY, health_status="normal", acting_user=world.nurse)
    with time_machine.travel(at_beijing(dt.date(2026, 12, 10), 9), tick=False):  # window ended on 12-09
        assert planned_messages_send_due() == {"queued": 0, "refused": 0, "skipped": 1}
    assert not Message.objects.filter(client=tier_b).exists()


@pytest.mark.parametrize("status", [ClientStatus.DECEASED, ClientStatus.OPTED_OUT, ClientStatus.LOST])
def test_a_status_change_cancels_planned_and_queued_messages_with_the_reason(world, tier_b, status) -> None:
    consent_record(acting_user=world.nurse, client=tier_b, purpose=ConsentPurpose.REMINDERS, granted=True)
    encounter_create(client=tier_b, kind="checkup", date=TODAY, health_status="normal", acting_user=world.nurse)
    with time_machine.travel(at_beijing(dt.date(2026, 12, 2), 0, 5), tick=False):
        planned_messages_send_due()
        client_change_status(acting_user=world.lead, client=tier_b, status=status, reason="家属告知")
    why = f"客户状态变更为{ClientStatus(status).label}: 家属告知"
    rows = PlannedMessage.objects.filter(client=tier_b)
    assert sorted((r.status, r.note) for r in rows) == [("cancelled", why)] * 11 + [("queued", "")]
    message = Message.objects.get(client=tier_b)
    assert (message.status, message.cancel_reason) == ("cancelled", why)
    event = AuditEvent.objects.get(action="followups.client_changed")
    assert event.detail["planned_messages_cancelled"] == 11


def test_the_reminder_follows_the_tier(world, tier_b) -> None:
    encounter_create(client=tier_b, kind="checkup", date=TODAY, health_status="normal", acting_user=world.nurse)
    client_set_tier(acting_user=world.lead, client=tier_b, tier="A", reason="升级为A类")
    assert planned(tier_b) == []
    assert {r.note for r in PlannedMessage.objects.filter(client=tier_b)} == {"已重新安排"}
    assert sorted(t.rule.code for t in FollowupTask.objects.filter(
        client=tier_b, status="pending", rule__client_series="upkeep").select_related("rule")) == ["FU-6-A"] * 4
    client_set_tier(acting_user=world.lead, client=tier_b, tier="B", reason="降为B类")
    assert planned(tier_b) == [("FU-6-B", d) for d in MONTHLY]
    assert not FollowupTask.objects.filter(client=tier_b, status="pending", rule__client_series="upkeep").exists()


def test_withdrawing_health_data_consent_cancels_planned_messages_and_giving_it_replans(world, tier_b) -> None:
    consent_record(acting_user=world.nurse, client=tier_b, purpose=ConsentPurpose.HEALTH_DATA, granted=True)
    encounter_create(client=tier_b, kind="checkup", date=TODAY, health_status="normal", acting_user=world.nurse)
    consent_record(acting_user=world.nurse, client=tier_b, purpose=ConsentPurpose.HEALTH_DATA, granted=False)
    assert planned(tier_b) == []
    assert {r.note for r in PlannedMessage.objects.filter(client=tier_b)} == {"客户已撤回健康信息处理同意：随访暂停"}
    consent_record(acting_user=world.nurse, client=tier_b, purpose=ConsentPurpose.HEALTH_DATA, granted=True)
    assert planned(tier_b) == [("FU-6-B", d) for d in MONTHLY]


def test_a_message_rule_names_its_template_and_a_message_channel(world) -> None:
    rule = FollowupRule.objects.get(code="FU-6-B")
    base = rule.as_data()
    with pytest.raises(ValidationError) as no_template:
        rule_save(rule=rule, data={**base, "message_purpose": ""}, acting_user=world.admin)
    assert set(no_template.value.message_dict) == {"message_purpose"}
    with pytest.raises(ValidationError) as by_phone:
        rule_save(rule=rule, data={**base, "channel": "phone"}, acting_user=world.admin)
    assert set(by_phone.value.message_dict) == {"channel"}
    with pytest.raises(ValidationError) as unknown:
        rule_save(rule=rule, data={**base, "action": "fax"}, acting_user=world.admin)
    assert set(unknown.value.message_dict) == {"action"}
    rule.refresh_from_db()
    assert (rule.version, rule.action, rule.message_purpose) == (1, "message", "health_reminder")


def test_the_api_saves_a_message_rule_with_the_same_structure(world) -> None:
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.admin)
    data = {"code": "FU-X-msg", "name": "出院后第2天健康提醒", "kinds": ["discharge"], "channel": "sms",
            "steps": [{"anchor": "encounter", "offset": 2, "unit": "day", "window_days": 1}],
            "action": "message", "message_purpose": "health_reminder"}
    bad = api.post("/api/v1/followup-rules/", {**data, "message_purpose": ""}, format="json")
    assert bad.status_code == 400 and set(bad.json()) >= {"message_purpose"}
    assert not FollowupRule.objects.filter(code="FU-X-msg").exists()
    created = api.post("/api/v1/followup-rules/", data, format="json")
    assert created.status_code == 201, created.json()
    rule = FollowupRule.objects.get(code="FU-X-msg")
    assert (rule.action, rule.message_purpose) == ("message", "health_reminder")
    encounter_create(client=world.own, kind="discharge", date=TODAY, acting_user=world.nurse)
    assert planned(world.own) == [("FU-X-msg", dt.date(2026, 11, 4))]
    assert not FollowupTask.objects.filter(client=world.own, rule=rule).exists()


def test_followups_check_counts_overlapping_planned_message_series(world, tier_b) -> None:
    """Issue 9 measures: two planned series of FU-6-B for one client are an overlap (tasks and messages apart)."""
    import io

    from django.core.management import call_command

    from careloop.followups.selectors import followups_health

    checkup = encounter_create(client=tier_b, kind="checkup", date=TODAY, health_status="normal",
                               acting_user=world.nurse)
    report = followups_health(today=TODAY)
    assert (report["overlapping_clients"], report["overlapping_task_clients"],
            report["overlapping_message_clients"]) == (0, 0, 0)
    rule = FollowupRule.objects.get(code="FU-6-B")
    second = encounter_create(client=tier_b, kind="purchase", date=TODAY, acting_user=world.nurse)
    # a second live series beside the first (the planner never leaves one: written here by hand)
    PlannedMessage.objects.filter(encounter=checkup).update(status="planned", note="")
    cancelled_other = world.other_branch  # a cancelled series of another client does not count
    PlannedMessage.objects.create(client=cancelled_other, encounter=None, rule=rule, purpose="health_reminder",
                                  channel="sms", due_date=TODAY, status="cancelled")
    PlannedMessage.objects.create(client=cancelled_other, encounter=second, rule=rule, purpose="health_reminder",
                                  channel="sms", due_date=TODAY, status="cancelled")
    report = followups_health(today=TODAY)
    assert (report["overlapping_clients"], report["overlapping_task_clients"],
            report["overlapping_message_clients"]) == (1, 0, 1)
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("followups_check", "--today", "2026-11-02", stdout=out)
    assert exit_.value.code == 1
    assert "clients with overlapping series of the same rule: 1 (tasks 0, planned messages 1)" in out.getvalue()
    # one series from an encounter and one from the client's status (no encounter) overlap as well
    PlannedMessage.objects.filter(encounter=checkup).delete()
    assert followups_health(today=TODAY)["overlapping_message_clients"] == 0
    PlannedMessage.objects.create(client=tier_b, encounter=None, rule=rule, purpose="health_reminder",
                                  channel="sms", due_date=TODAY + dt.timedelta(days=40))
    assert followups_health(today=TODAY)["overlapping_message_clients"] == 1


def test_planned_messages_on_the_client_timeline_with_status_and_reason(world, tier_b) -> None:
    """Planned, sent, skipped and cancelled occurrences stand beside the follow-ups, in Chinese, with the reason."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from careloop.clients.timeline import timeline_for
    from careloop.followups.selectors import timeline_entries

    consent_record(acting_user=world.nurse, client=tier_b, purpose=ConsentPurpose.REMINDERS, granted=True)
    encounter_create(client=tier_b, kind="checkup", date=TODAY, health_status="normal", acting_user=world.nurse)
    with CaptureQueriesContext(connection) as few:
        timeline_entries(tier_b, world.nurse)
    encounter_create(client=tier_b, kind="purchase", date=TODAY, acting_user=world.nurse)  # replaces the series
    with time_machine.travel(at_beijing(dt.date(2026, 12, 10), 9), tick=False):
        assert planned_messages_send_due() == {"queued": 0, "refused": 0, "skipped": 1}
    with time_machine.travel(at_beijing(dt.date(2027, 1, 2), 9), tick=False):
        assert planned_messages_send_due() == {"queued": 1, "refused": 0, "skipped": 0}
    with CaptureQueriesContext(connection) as many:
        timeline_entries(tier_b, world.nurse)
    assert len(many) == len(few)  # 24 rows more, not one query more
    with translation.override("zh-hans"):
        entries = [e for e in timeline_for(tier_b, world.nurse, kinds=["followup"]) if e.title.startswith("规则消息")]
        assert [e for e in timeline_for(tier_b, world.service) if e.title.startswith("规则消息")] == []
    titles: dict[str, int] = {}
    for e in entries:
        titles[e.title] = titles.get(e.title, 0) + 1
    assert titles == {"规则消息 · 健康提醒 · 已计划，未发送": 10, "规则消息 · 健康提醒 · 已交发件箱": 1,
                      "规则消息 · 健康提醒 · 已跳过：已过时间窗": 1, "规则消息 · 健康提醒 · 已取消": 12}
    first = [e for e in entries if e.at == at_beijing(dt.date(2026, 12, 2), 9)]
    assert sorted((e.title, e.detail) for e in first) == [
        ("规则消息 · 健康提醒 · 已取消", "B类客户:每月健康提醒（FU-6-B） · 短信 · 第 1/12 次 · 每月提醒 · 原因：已由 2026-11-02 的购买服务随访系列取代"),
        ("规则消息 · 健康提醒 · 已跳过：已过时间窗", "B类客户:每月健康提醒（FU-6-B） · 短信 · 第 1/12 次 · 每月提醒"),
    ]
