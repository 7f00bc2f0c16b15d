import pytest

from careloop.audit.models import AuditEvent
from careloop.messaging.models import Message, MessageTemplate, Status
from careloop.messaging.services import message_enqueue, template_preview
from tests.messaging.helpers import consent

pytestmark = pytest.mark.django_db


def test_operations_screen_shows_health_and_dead_letters(world, client):
    consent(world.own)
    message = message_enqueue(client=world.own, purpose="report_ready", acting_user=None).message
    Message.objects.filter(pk=message.pk).update(status=Status.DEAD, last_error="INVALID_MOBILE")
    client.force_login(world.admin)
    page = client.get("/messages/")
    assert page.status_code == 200
    text = page.content.decode()
    assert '<p id="dead">1</p>' in text
    assert "INVALID_MOBILE" in text
    fragment = client.get("/messages/", HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode()


def test_operations_screen_denied_to_a_nurse(world, client):
    client.force_login(world.nurse)
    assert client.get("/messages/").status_code == 403


def test_dead_letter_resend_from_the_screen_needs_a_reason(world, client):
    consent(world.own)
    message = message_enqueue(client=world.own, purpose="report_ready", acting_user=None).message
    Message.objects.filter(pk=message.pk).update(status=Status.DEAD)
    client.force_login(world.admin)
    client.post(f"/messages/{message.pk}/resend/", {"reason": ""})
    message.refresh_from_db()
    assert message.status == Status.DEAD
    client.post(f"/messages/{message.pk}/resend/", {"reason": "号码已更正"})
    message.refresh_from_db()
    assert message.status == Status.QUEUED
    assert AuditEvent.objects.filter(action="message.resend").count() == 1


def test_template_preview_counts_sms_parts():
    template = MessageTemplate(purpose="report_ready", channel="sms", body="{{ name }}{{ title }}您好" + "。" * 70,
                               sms_signature="【康乐】", variables=[])
    preview = template_preview(template=template)
    assert preview["body"].startswith("【康乐】张三先生您好")
    assert (preview["units"], preview["segments"], preview["encoding"]) == (4 + 6 + 70, 2, "ucs2")


def test_template_edit_publishes_a_new_version(world, client):
    old = MessageTemplate.objects.get(purpose="recheck_reminder", channel="sms", is_active=True)
    client.force_login(world.admin)
    bad = client.post(f"/messages/templates/{old.pk}/", {"body": "{{ name }}请复查{{ unknown_var }}",
                                                          "sms_signature": "【康乐】", "subject": "", "note": ""})
    assert bad.status_code == 200
    assert "unknown_var" in bad.content.decode()
    assert MessageTemplate.objects.filter(purpose="recheck_reminder", channel="sms").count() == 1
    client.post(f"/messages/templates/{old.pk}/", {"body": "{{ name }}您好，请复查{{ item|相关项目 }}。",
                                                   "sms_signature": "【康乐】", "subject": "", "note": "更短"})
    current = MessageTemplate.objects.get(purpose="recheck_reminder", channel="sms", is_active=True)
    old.refresh_from_db()
    assert (current.version, old.is_active, current.note) == (2, False, "更短")
    consent(world.own)
    message = message_enqueue(client=world.own, purpose="recheck_reminder", acting_user=None).message
    assert (message.body, message.template_version) == ("【康乐】王芳您好，请复查相关项目。", 2)


def test_template_screens_denied_without_manage_rules(world, client):
    template = MessageTemplate.objects.first()
    client.force_login(world.nurse)
    assert client.get("/messages/templates/").status_code == 403
    assert client.post(f"/messages/templates/{template.pk}/", {"body": "x"}).status_code == 403
    assert MessageTemplate.objects.count() == 56  # 14 purposes × 4 channels


def test_message_history_on_the_client_timeline(world):
    from careloop.clients.timeline import timeline_for
    from careloop.messaging.selectors import messages_for_client

    consent(world.own)
    message = message_enqueue(client=world.own, purpose="report_ready", acting_user=None).message
    assert list(messages_for_client(world.own)) == [message]
    entries = [e for e in timeline_for(world.own, world.nurse) if e.kind == "message"]
    assert len(entries) == 1
    assert entries[0].detail == message.body[:120]


def test_dead_letter_list_query_count_does_not_grow_with_rows(world, client, settings):
    settings.MESSAGING_DAILY_CAP = 0
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    consent(world.own)
    consent(world.other_team)
    client.force_login(world.admin)

    def dead(n, who):
        for _ in range(n):
            m = message_enqueue(client=who, purpose="report_ready", acting_user=None).message
            Message.objects.filter(pk=m.pk).update(status=Status.DEAD)

    dead(1, world.own)
    with CaptureQueriesContext(connection) as one:
        client.get("/messages/", HTTP_HX_REQUEST="true")
    dead(2, world.other_team)
    with CaptureQueriesContext(connection) as three:
        client.get("/messages/", HTTP_HX_REQUEST="true")
    assert len(three) == len(one)
