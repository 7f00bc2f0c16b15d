import io
import json
import threading
from datetime import date

import pytest
from django.core.management import call_command

from careloop.messaging import wakeup
from careloop.messaging.models import Message, Status
from careloop.messaging.providers import provider_for
from careloop.messaging.providers.base import Outgoing
from careloop.messaging.providers.console import ConsoleProvider, FileProvider
from careloop.messaging.providers.letter import LetterBatchProvider, letter_batch
from careloop.messaging.services import message_enqueue
from tests.messaging.helpers import consent

pytestmark = pytest.mark.django_db


def test_worker_once_sends_due_messages_through_the_configured_provider(world, settings, tmp_path):
    outbox = tmp_path / "sms.jsonl"
    settings.MESSAGING_PROVIDERS = {"sms": {"backend": "file", "path": str(outbox)}}
    settings.MESSAGING_QUIET_HOURS = "off"
    consent(world.own)
    message = message_enqueue(client=world.own, purpose="report_ready", acting_user=None).message
    call_command("worker", "--once", stdout=io.StringIO())
    message.refresh_from_db()
    assert (message.status, message.provider, message.provider_id) == (Status.SENT, "file", f"file-{message.pk}")
    [line] = outbox.read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    # the development outbox never keeps a full phone number (issue 10, finding 8)
    assert (record["id"], record["to"], record["body"]) == (str(message.pk), "138****1234", message.body)


def test_commit_hook_wakes_a_dispatcher_running_in_this_process(world, django_capture_on_commit_callbacks):
    consent(world.own)
    event = threading.Event()
    wakeup.register(event)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            message_enqueue(client=world.own, purpose="report_ready", acting_user=None)
        assert event.is_set()
    finally:
        wakeup.register(None)
    assert Message.objects.count() == 1


def test_default_providers_are_files_under_the_data_dir(settings):
    settings.MESSAGING_PROVIDERS = {}  # the declared default (CARELOOP_MESSAGING_PROVIDERS unset)
    assert provider_for("sms").name == "file"
    assert provider_for("letter").name == "letter"


def test_console_provider_prints(capsys):
    ConsoleProvider().send(Outgoing(out_id="3", channel="sms", to="13800138000", body="您好"))
    assert capsys.readouterr().out == "[sms] to=138****8000 id=3\n您好\n"


def test_file_provider_appends_json_lines(tmp_path):
    provider = FileProvider(path=tmp_path / "out.jsonl")
    provider.send(Outgoing(out_id="1", channel="email", to="a@b.cn", body="一"))
    provider.send(Outgoing(out_id="2", channel="email", to="a@b.cn", body="二"))
    assert [json.loads(x)["body"] for x in (tmp_path / "out.jsonl").read_text().splitlines()] == ["一", "二"]


def test_letters_are_filed_into_the_days_print_batch(tmp_path, settings):
    import time_machine

    with time_machine.travel("2026-11-23 10:00 +0800", tick=False):
        provider = LetterBatchProvider(directory=tmp_path)
        for n in (12, 3):
            provider.send(Outgoing(out_id=str(n), channel="letter", to="北京市朝阳区…", subject="复查提醒",
                                   body=f"第{n}封", extra={"name": "王芳"}))
    batch = letter_batch(tmp_path, date(2026, 11, 23))
    assert [(x["id"], x["body"], x["name"]) for x in batch] == [("3", "第3封", "王芳"), ("12", "第12封", "王芳")]
    assert letter_batch(tmp_path, date(2026, 11, 24)) == []


def test_web_side_wake_up_travels_as_a_huey_task(world, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MESSAGING_PROVIDERS = {"sms": {"backend": "file", "path": str(tmp_path / "sms.jsonl")}}
    settings.MESSAGING_QUIET_HOURS = "off"
    settings.MESSAGING_WAKE = "huey"  # Huey is immediate under tests: the task runs the dispatcher inline
    consent(world.own)
    with django_capture_on_commit_callbacks(execute=True):
        message = message_enqueue(client=world.own, purpose="report_ready", acting_user=None).message
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len((tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()) == 1
