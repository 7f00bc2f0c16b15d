from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from careloop.audit.models import AuditEvent
from careloop.messaging.models import Message, MessageTemplate, Status
from careloop.messaging.services import EnqueueResult, message_enqueue
from tests.messaging.helpers import consent

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


@time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SH), tick=False)
def test_enqueue_renders_the_active_template_and_writes_an_audited_row(world):
    consent(world.own)
    result = message_enqueue(client=world.own, purpose="report_ready", context={"pickup_place": "二楼服务台"},
                             cause="checkup:7", acting_user=world.clerk)
    assert isinstance(result, EnqueueResult)
    assert (result.refused, result.reason) == (None, "")
    message = Message.objects.get()
    assert result.message == message
    assert message.body == ("【健康管理中心】王芳女士您好，您的体检报告已出，请于近日到二楼服务台领取，"
                            "也可来电要求邮寄或电子版。")
    assert (message.status, message.channel, message.purpose, message.consent_purpose) == (
        Status.QUEUED, "sms", "report_ready", "reminders")
    template = MessageTemplate.objects.get(purpose="report_ready", channel="sms", is_active=True)
    assert (message.template, message.template_version, message.segments) == (template, 1, 1)
    assert message.scheduled_at == datetime(2026, 11, 23, 10, 0, tzinfo=SH)
    assert message.cause == "checkup:7"
    event = AuditEvent.objects.get(action="message.enqueue")
    assert (event.client_id, event.result) == (world.own.pk, "ok")


def test_without_consent_nothing_is_queued_and_the_caller_learns_why(world):
    consent(world.own, granted=False)
    with translation.override("en"):
        result = message_enqueue(client=world.own, purpose="recheck_reminder", acting_user=world.nurse)
    assert (result.message, result.refused) == (None, "no_consent")
    assert result.reason == "The client has not given consent for: Service reminders and notices."
    assert Message.objects.count() == 0
    assert AuditEvent.objects.filter(action="message.refused", result="refused").count() == 1


def test_marketing_needs_marketing_consent(world):
    consent(world.own, "reminders")
    assert message_enqueue(client=world.own, purpose="health_tips", acting_user=None).refused == "no_consent"
    consent(world.own, "marketing")
    assert message_enqueue(client=world.own, purpose="health_tips", acting_user=None).refused is None


def test_missing_address_is_refused_as_no_contact(world):
    consent(world.own)
    result = message_enqueue(client=world.own, purpose="report_ready", channel="email", acting_user=None)
    assert (result.message, result.refused) == (None, "no_contact")


def test_opted_out_and_deceased_clients_get_nothing(world):
    consent(world.own)
    world.own.status = "opted_out"
    world.own.save(update_fields=["status"])
    assert message_enqueue(client=world.own, purpose="report_ready", acting_user=None).refused == "opted_out"
    world.own.status = "deceased"
    world.own.save(update_fields=["status"])
    assert message_enqueue(client=world.own, purpose="report_ready", acting_user=None).refused == "client_inactive"
    assert Message.objects.count() == 0


def test_unknown_purpose_channel_and_missing_variable_raise_naming_the_field(world):
    consent(world.own)
    with pytest.raises(ValidationError) as bad:
        message_enqueue(client=world.own, purpose="spam", channel="fax", acting_user=None)
    assert set(bad.value.message_dict) == {"purpose", "channel"}
    with pytest.raises(ValidationError) as missing:
        message_enqueue(client=world.own, purpose="satisfaction_survey", acting_user=None)
    assert set(missing.value.message_dict) == {"context"}
    assert "link" in missing.value.message_dict["context"][0]
    assert Message.objects.count() == 0


@time_machine.travel(datetime(2026, 11, 23, 22, 30, tzinfo=SH), tick=False)
def test_quiet_hours_postpone_sms_but_not_email(world):
    consent(world.own)
    world.own.email = "wf@example.cn"
    world.own.save(update_fields=["email"])
    sms = message_enqueue(client=world.own, purpose="report_ready", acting_user=None).message
    email = message_enqueue(client=world.own, purpose="report_ready", channel="email", acting_user=None).message
    assert sms.scheduled_at == datetime(2026, 11, 24, 8, 0, tzinfo=SH)
    assert sms.requested_at == datetime(2026, 11, 23, 22, 30, tzinfo=SH)
    assert email.scheduled_at == datetime(2026, 11, 23, 22, 30, tzinfo=SH)


@time_machine.travel(datetime(2026, 11, 23, 9, 0, tzinfo=SH), tick=False)
def test_daily_cap_postpones_the_fourth_message_to_tomorrow_morning(world, settings):
    settings.MESSAGING_DAILY_CAP = 3
    consent(world.own)
    planned = [message_enqueue(client=world.own, purpose="recheck_reminder", acting_user=None).message.scheduled_at
               for _ in range(5)]
    today, tomorrow = datetime(2026, 11, 23, 9, 0, tzinfo=SH), datetime(2026, 11, 24, 8, 0, tzinfo=SH)
    assert planned == [today, today, today, tomorrow, tomorrow]
    assert Message.objects.filter(status=Status.QUEUED).count() == 5


@time_machine.travel(datetime(2026, 11, 23, 10, 0, tzinfo=SH), tick=False)
def test_a_later_scheduled_time_is_kept(world):
    consent(world.own)
    later = datetime(2026, 12, 1, 15, 0, tzinfo=SH)
    message = message_enqueue(client=world.own, purpose="appointment_reminder", scheduled_at=later,
                              context={"appointment_time": "12月1日 15:30"}, acting_user=None).message
    assert message.scheduled_at == later
    assert message.next_attempt_at == later


def test_naive_scheduled_time_is_refused(world):
    consent(world.own)
    with pytest.raises(ValidationError) as bad:
        message_enqueue(client=world.own, purpose="report_ready", scheduled_at=datetime(2026, 12, 1, 9, 0),
                        acting_user=None)
    assert set(bad.value.message_dict) == {"scheduled_at"}


def test_enqueue_rolls_back_with_the_callers_transaction(world):
    from django.db import transaction

    consent(world.own)
    with pytest.raises(RuntimeError), transaction.atomic():
        message_enqueue(client=world.own, purpose="report_ready", acting_user=None)
        raise RuntimeError("the causing change failed")
    assert Message.objects.count() == 0


def test_shipped_defaults_cover_every_purpose_and_channel(db):
    pairs = set(MessageTemplate.objects.filter(is_active=True).values_list("purpose", "channel"))
    from careloop.messaging.models import PEOPLE_CHANNELS, PEOPLE_PURPOSES

    # Webhook deliveries carry JSON, not a template: templates are for the channels that reach people.
    assert pairs == {(p.value, c.value) for p in PEOPLE_PURPOSES for c in PEOPLE_CHANNELS}
