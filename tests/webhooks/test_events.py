"""Each event is fired by its real service, scoped by branch, and carries ids and codes only."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
import time_machine

from careloop.clients.models import Client
from careloop.clients.services import consent_record
from careloop.core import events
from careloop.followups.services.planning import encounter_create
from careloop.followups.services.records import followup_record_submit
from careloop.messaging.models import Channel, Message

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SH)
ALL = ["followup.task_done", "followup.record_signed", "checkup.critical_value", "servicedesk.ticket_opened",
       "crm.appointment_booked"]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def deliveries(event_type: str | None = None) -> list[Message]:
    rows = Message.objects.filter(channel=Channel.WEBHOOK).order_by("id")
    return list(rows.filter(subject=event_type) if event_type else rows)


def no_pii(body: str, *clients: Client) -> None:
    for client in clients:
        for value in (client.name, client.phone, client.id_number, client.address, client.email):
            if value:
                assert value not in body, value


@pytest.fixture
def task(world):
    Client.objects.filter(pk=world.own.pk).update(tier="B")
    consent_record(acting_user=world.nurse, client=world.own, purpose="reminders", granted=True)
    enc = encounter_create(client=world.own, kind="tcm_first_visit", date=dt.date(2026, 11, 2),
                           prescription_days=30, acting_user=world.nurse)
    return enc.tasks.order_by("due_date").first()


def answers_for(task) -> dict:
    """A valid answer to every question of the task's questionnaire."""
    from careloop.followups.services.records import questionnaire_for

    questionnaire = questionnaire_for(task)
    answers: dict = {}
    for q in (questionnaire.questions if questionnaire else []):
        kind = q.get("type")
        answers[q["key"]] = True if kind == "yesno" else (q["choices"][0] if kind == "choice" else "好")
    return answers


def test_the_five_event_types_are_declared(db) -> None:
    assert sorted(t.name for t in events.types()) == sorted(ALL)


def test_record_submit_fires_task_done_and_record_signed(world, task, hook_factory) -> None:
    hook, _ = hook_factory(events=["followup.task_done", "followup.record_signed"])
    record = followup_record_submit(task=task, acting_user=world.nurse, identity_confirmed=True,
                                    answers=answers_for(task))
    done, signed = deliveries()
    assert (done.subject, signed.subject, done.webhook, done.client) == ("followup.task_done",
                                                                         "followup.record_signed", hook, None)
    body = json.loads(done.body)
    assert body == {"id": body["id"], "type": "followup.task_done", "occurred_at": "2026-11-23T10:00:00+08:00",
                    "branch": world.bj_site.pk,
                    "data": {"task": task.pk, "client": world.own.pk, "encounter": task.encounter_id,
                             "record": record.pk, "rule": task.rule_id, "problem": "none",
                             "closed_at": "2026-11-23T10:00:00+08:00"}}
    assert json.loads(signed.body)["data"] == {"record": record.pk, "task": task.pk, "client": world.own.pk,
                                               "problem": "none", "signed_by": world.nurse.pk,
                                               "signed_at": "2026-11-23T10:00:00+08:00"}
    no_pii(done.body + signed.body, world.own)


def test_a_rolled_back_service_leaves_no_delivery(world, task, hook_factory) -> None:
    from django.core.exceptions import ValidationError

    hook_factory(events=["followup.task_done"])
    with pytest.raises(ValidationError):
        followup_record_submit(task=task, acting_user=world.nurse, identity_confirmed=False)
    assert deliveries() == []


def test_branch_scope_sends_only_events_of_clients_in_the_subtree(world, hook_factory) -> None:
    from careloop.servicedesk.services import ticket_create

    bj_hook, _ = hook_factory(events=["servicedesk.ticket_opened"], branch=world.bj)
    sh_hook, _ = hook_factory(events=["servicedesk.ticket_opened"], branch=world.sh)
    hq_hook, _ = hook_factory(events=["servicedesk.ticket_opened"], branch=world.hq)
    hook_factory(events=["crm.appointment_booked"], branch=world.bj)  # wants another type
    hook_factory(events=["servicedesk.ticket_opened"], branch=world.bj, active=False)  # inactive
    ticket = ticket_create(kind="complaint", channel="phone", subject="投诉王芳", body="13812341234 等太久",
                           client=world.own, acting_user=world.service)  # world.own is in 北京朝阳 (below 北京)
    assert sorted(m.webhook_id for m in deliveries()) == sorted([bj_hook.pk, hq_hook.pk])
    other = ticket_create(kind="consultation", channel="phone", subject="咨询", body="问题",
                          client=world.other_branch, acting_user=world.service)
    assert sorted(m.webhook_id for m in deliveries() if json.loads(m.body)["data"]["ticket"] == other.pk) == sorted(
        [sh_hook.pk, hq_hook.pk])
    first = next(m for m in deliveries() if json.loads(m.body)["data"]["ticket"] == ticket.pk)
    assert json.loads(first.body)["data"] == {"ticket": ticket.pk, "kind": "complaint", "channel": "phone",
                                              "urgent": False, "client": world.own.pk, "record": None,
                                              "due_at": None}
    assert "投诉" not in first.body and "13812341234" not in first.body
    no_pii("".join(m.body for m in deliveries()), world.own, world.other_branch)


def test_critical_value_from_a_results_import(world, hook_factory, tmp_path) -> None:
    from careloop.checkups.models import CriticalAlert
    from careloop.checkups.services import results_import, results_import_start
    from tests.checkups.builders import LI_ID, ZHANG_ID, result_row, write_csv
    from tests.factories import make_client

    zhang = make_client(branch=world.bj, name="张伟", sex="male", birth_date=dt.date(1970, 3, 8), id_number=ZHANG_ID,
                        tier="A", health_manager=world.nurse)
    hook_factory(events=["checkup.critical_value"])
    path = write_csv(tmp_path / "r.csv", [
        result_row(),
        result_row(code="SBP", item_name="收缩压", value="185", unit="mmHg", reference="90-139", flag="H"),
        result_row(exam_no="TJ2026002", id_number=LI_ID, name="李娜", sex="女", code="GLU", value="7.4", flag="H"),
    ])
    batch = results_import_start(upload=path, branch=None, acting_user=world.clerk, enqueue=False)
    results_import(batch=batch, acting_user=world.clerk)
    alert = CriticalAlert.objects.get()
    [delivery] = deliveries()
    body = json.loads(delivery.body)
    assert (body["type"], body["branch"]) == ("checkup.critical_value", world.bj.pk)
    assert body["data"] == {"alert": alert.pk, "checkup": alert.checkup_id, "client": zhang.pk,
                            "item": alert.item_id, "item_code": "SBP", "task": alert.task_id,
                            "raised_at": "2026-11-23T10:00:00+08:00"}
    assert "185" not in delivery.body and ZHANG_ID not in delivery.body
    no_pii(delivery.body, zhang)


def test_appointment_booked_and_rescheduled(world, hook_factory) -> None:
    from careloop.crm.services import appointment_book, appointment_reschedule
    from tests.crm.builders import consent, slot

    hook_factory(events=["crm.appointment_booked"])
    consent(world.own)
    first, second = slot(world.bj_site, dt.date(2026, 11, 25)), slot(world.bj_site, dt.date(2026, 11, 26), "14:00")
    booked = appointment_book(client=world.own, slot=first, acting_user=world.service)
    moved = appointment_reschedule(appointment=booked, slot=second, acting_user=world.service)
    a, b = deliveries()
    assert json.loads(a.body)["data"] == {"appointment": booked.pk, "client": world.own.pk, "slot": first.pk,
                                          "site": world.bj_site.pk, "service": "checkup",
                                          "start": "2026-11-25T09:00:00+08:00", "rescheduled_from": None}
    assert json.loads(b.body)["data"]["rescheduled_from"] == booked.pk
    assert json.loads(b.body)["data"]["appointment"] == moved.pk
    no_pii(a.body + b.body, world.own)


def test_no_subscription_means_the_payload_is_never_built(world) -> None:
    built: list = []
    events.declare("test.nothing", "nothing")
    try:
        events.emit("test.nothing", lambda: built.append(1) or {}, branch_id=world.bj.pk)
    finally:
        events._types.pop("test.nothing")
    assert built == [] and deliveries() == []
