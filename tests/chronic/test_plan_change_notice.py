"""The written notice of an approved plan change goes out as service communication (purpose plan_change_notice,
reminders consent), not as a health tip (marketing consent): a client who refused marketing still gets it."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from careloop.audit.models import AuditEvent
from careloop.chronic.healthplans import health_plan_create, plan_adjustment_request, plan_adjustment_review
from careloop.clients.models import Consent
from careloop.clients.services import consent_record
from careloop.messaging import policy
from careloop.messaging.models import Message, MessageTemplate
from careloop.messaging.services import RESULT_BEARING_PURPOSES, subscription_set

NOW = dt.datetime(2026, 6, 10, 1, 50, tzinfo=dt.UTC)  # 09:50 in Beijing
pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _consent(client, purpose, granted):
    Consent.objects.create(client=client, purpose=purpose, granted=granted, given_at=NOW - dt.timedelta(days=30))


def _approve(world):
    plan = health_plan_create(client=world.own, acting_user=world.nurse, fields={"goals": "血压控制在140/90以下"})
    adj = plan_adjustment_request(plan=plan, reason="近3个月血压控制不佳", content={"goals": "血压控制在130/80以下",
                                  "diet": "每日食盐不超过5克"}, expected_effect="3个月内血压达标", acting_user=world.nurse)
    return plan_adjustment_review(adjustment=adj, decision="approve", opinion="同意调整", acting_user=world.expert)


@pytest.fixture
def reachable(world):
    world.own.address = "北京市朝阳区建国路1号"
    world.own.save()
    _consent(world.own, "health_data", True)
    return world


def test_the_purpose_is_a_service_message_needing_reminders_consent():
    assert policy.CONSENT_FOR_PURPOSE["plan_change_notice"] == "reminders"
    assert "plan_change_notice" not in policy.SUBSCRIBABLE_PURPOSES
    assert "plan_change_notice" not in policy.MARKETING_PURPOSES
    # it tells of health information: withdrawing health-data consent cancels it while pending
    assert "plan_change_notice" in RESULT_BEARING_PURPOSES
    shipped = MessageTemplate.objects.filter(purpose="plan_change_notice", is_active=True)
    assert sorted(shipped.values_list("channel", flat=True)) == ["email", "letter", "sms", "wechat"]


def test_a_client_who_refused_marketing_still_gets_the_notice(reachable):
    world = reachable
    _consent(world.own, "reminders", True)
    _consent(world.own, "marketing", False)
    subscription_set(client=world.own, purpose="health_tips", active=False, acting_user=world.admin)
    adj = _approve(world)
    message = Message.objects.get(pk=adj.message_id)
    assert (message.purpose, message.consent_purpose, message.channel, message.status) == (
        "plan_change_notice", "reminders", "letter", "queued")
    assert message.subject == "个人健康管理方案调整通知"
    assert "您的个人健康管理方案已更新为第2版" in message.body
    assert "调整内容：目标、饮食" in message.body
    assert message.cause == f"chronic.adjustment:{adj.pk}"
    assert not Message.objects.filter(purpose="health_tips").exists()


def test_without_reminders_consent_the_notice_is_refused_and_the_approval_stands(reachable):
    world = reachable
    _consent(world.own, "marketing", True)  # marketing consent does not stand in for service messages
    adj = _approve(world)
    assert (adj.status, adj.message_id) == ("approved", None)
    assert not Message.objects.exists()
    refused = AuditEvent.objects.get(action="message.refused")
    assert (refused.detail["purpose"], refused.detail["code"]) == ("plan_change_notice", "no_consent")
    approve = AuditEvent.objects.get(action="chronic.adjustment_approve")
    assert approve.detail["refused"] == "no_consent"


def test_withdrawing_health_data_consent_cancels_the_pending_notice(reachable):
    world = reachable
    _consent(world.own, "reminders", True)
    adj = _approve(world)
    consent_record(acting_user=world.admin, client=world.own, purpose="health_data", granted=False)
    message = Message.objects.get(pk=adj.message_id)
    assert message.status == "cancelled"
