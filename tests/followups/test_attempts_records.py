"""Attempts (FU-12) through the service, records (FU-13), problems (FU-14), lost to follow-up (FU-15)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from careloop.clients.models import Client
from careloop.clients.services import consent_record
from careloop.followups.models import (
    CallAttempt,
    Escalation,
    FollowupRecord,
    FollowupTask,
    RecordAddendum,
)
from careloop.followups.services.escalations import (
    escalation_advise,
    escalation_client_told,
    escalation_refer,
)
from careloop.followups.services.planning import encounter_create
from careloop.followups.services.records import (
    followup_record_addendum,
    followup_record_submit,
    questionnaire_for,
)
from careloop.followups.services.tasks import attempt_record, followup_task_miss, followup_task_reassign
from careloop.messaging.models import Message

SH = ZoneInfo("Asia/Shanghai")
D = dt.date(2026, 11, 2)


@pytest.fixture
def task(world) -> FollowupTask:
    Client.objects.filter(pk=world.own.pk).update(tier="B")
    world.own.tier = "B"
    consent_record(acting_user=world.nurse, client=world.own, purpose="reminders", granted=True)
    enc = encounter_create(client=world.own, kind="tcm_first_visit", date=D, prescription_days=30,
                           acting_user=world.nurse)
    return enc.tasks.order_by("due_date").first()


def at(hour: int, minute: int = 0, day: int = 23) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SH)


def test_third_unanswered_call_queues_the_notice_sms(world, task) -> None:
    r1 = attempt_record(task=task, outcome="no_answer", at=at(9), acting_user=world.nurse)
    r2 = attempt_record(task=task, outcome="no_answer", at=at(10), acting_user=world.nurse)
    assert (r1.next_attempt_at, r1.message_ids, r2.next_attempt_at) == (at(10), [], at(11))
    assert Message.objects.count() == 0
    r3 = attempt_record(task=task, outcome="busy", at=at(11), acting_user=world.nurse)
    assert r3.next_attempt_at == at(11, day=24)
    message = Message.objects.get()
    assert r3.message_ids == [message.pk]
    assert (message.purpose, message.channel, message.client_id) == ("followup_notice", "sms", world.own.pk)
    assert "11-24 11:00" in message.body and "中医初诊" in message.body
    task.refresh_from_db()
    assert (task.status, task.attempt_count, task.next_attempt_at) == ("in_progress", 3, at(11, day=24))
    assert list(CallAttempt.objects.filter(task=task).values_list("outcome", "notice_sent")) == [
        ("no_answer", False), ("no_answer", False), ("busy", True)
    ]


def test_sixth_unreachable_sends_the_same_notice(world, task) -> None:
    results = [attempt_record(task=task, outcome="unreachable", at=at(9, 10 * i), acting_user=world.nurse)
               for i in range(6)]
    assert [r.next_attempt_at for r in results[:5]] == [at(9, 10), at(9, 20), at(9, 30), at(9, 40), at(9, 50)]
    assert [bool(r.message_ids) for r in results] == [False] * 5 + [True]
    assert Message.objects.filter(purpose="followup_notice").count() == 1


def test_refused_notice_is_reported_not_hidden(world, task) -> None:
    consent_record(acting_user=world.nurse, client=world.own, purpose="reminders", granted=False)
    for hour in (9, 10):
        attempt_record(task=task, outcome="no_answer", at=at(hour), acting_user=world.nurse)
    result = attempt_record(task=task, outcome="no_answer", at=at(11), acting_user=world.nurse)
    assert (result.message_ids, result.next_attempt_at) == ([], at(11, day=24))
    assert result.refused_reason
    assert Message.objects.count() == 0


def test_wrong_number_closes_the_task_as_missed(world, task) -> None:
    attempt_record(task=task, outcome="wrong_number", at=at(9), acting_user=world.nurse)
    task.refresh_from_db()
    assert (task.status, task.next_attempt_at) == ("missed", None)


def test_bad_outcome_and_naive_time_are_refused(world, task) -> None:
    with pytest.raises(ValidationError) as caught:
        attempt_record(task=task, outcome="hung_up", at=at(9), acting_user=world.nurse)
    assert list(caught.value.message_dict) == ["outcome"]
    with pytest.raises(ValidationError) as caught:
        attempt_record(task=task, outcome="no_answer", at=dt.datetime(2026, 11, 23, 9), acting_user=world.nurse)
    assert list(caught.value.message_dict) == ["at"]
    assert CallAttempt.objects.count() == 0


def first_answers() -> dict:
    return {"medication_time": True, "medication_method": True, "adverse_reaction": "无",
            "plan_started": "已开始", "plan_explained": True}


def test_first_questionnaire_never_asks_are_you_better(world, task) -> None:
    questionnaire = questionnaire_for(task)
    assert questionnaire.code == "tcm_first-first"
    texts = " ".join(q["text"] for q in questionnaire.questions)
    for forbidden in ("好些", "效果怎么样", "好转"):
        assert forbidden not in texts
    last = FollowupTask.objects.filter(encounter=task.encounter).order_by("-due_date").first()
    assert questionnaire_for(last).code == "tcm_first-last"


def test_record_closes_the_task_and_is_signed(world, task) -> None:
    record = followup_record_submit(task=task, acting_user=world.nurse, identity_confirmed=True,
                                    answers=first_answers(), guidance="饭后温服", next_step="第15天再访")
    task.refresh_from_db()
    assert (task.status, record.signed_by_id, record.questionnaire.code) == ("done", world.nurse.pk, "tcm_first-first")
    assert record.answers == first_answers()
    with pytest.raises(ValidationError):
        followup_record_submit(task=task, acting_user=world.nurse, identity_confirmed=True, answers=first_answers())
    followup_record_addendum(record=record, text="客户补充：服药后胃部略有不适", acting_user=world.nurse)
    record.refresh_from_db()
    assert record.guidance == "饭后温服"
    assert list(RecordAddendum.objects.values_list("text", flat=True)) == ["客户补充：服药后胃部略有不适"]


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"identity_confirmed": False, "answers": first_answers()}, {"identity_confirmed"}),
        ({"identity_confirmed": True, "answers": {}}, {"answers.medication_time", "answers.medication_method",
                                                      "answers.adverse_reaction", "answers.plan_started",
                                                      "answers.plan_explained"}),
        ({"identity_confirmed": True, "answers": {**first_answers(), "plan_started": "也许"}},
         {"answers.plan_started"}),
        ({"identity_confirmed": True, "answers": {**first_answers(), "better_yet": "好些了"}}, {"answers.better_yet"}),
        ({"identity_confirmed": True, "answers": first_answers(), "problem": "serious"}, {"problem_note"}),
    ],
)
def test_bad_record_names_fields_and_writes_nothing(world, task, kwargs, fields) -> None:
    with pytest.raises(ValidationError) as caught:
        followup_record_submit(task=task, acting_user=world.nurse, **kwargs)
    assert set(caught.value.message_dict) == fields
    task.refresh_from_db()
    assert (task.status, FollowupRecord.objects.count()) == ("pending", 0)


def test_general_problem_sends_recheck_reminder_and_plans_a_recheck(world, task) -> None:
    followup_record_submit(task=task, acting_user=world.nurse, identity_confirmed=True, answers=first_answers(),
                           problem="general", problem_note="血压偏高", recheck_item="血压", guidance="低盐饮食")
    message = Message.objects.get()
    assert message.purpose == "recheck_reminder" and "血压" in message.body
    recheck = FollowupTask.objects.get(rule__isnull=True)
    assert (recheck.assignee_id, recheck.status) == (world.nurse.pk, "pending")


def test_serious_problem_goes_lead_expert_client_tracking(world, task) -> None:
    followup_record_submit(task=task, acting_user=world.nurse, identity_confirmed=True, answers=first_answers(),
                           problem="serious", problem_note="胸闷气短加重")
    esc = Escalation.objects.get()
    assert (esc.status, esc.lead_id) == ("open", world.lead.pk)
    with pytest.raises(PermissionDenied):
        escalation_refer(escalation=esc, expert=world.expert, acting_user=world.nurse)
    escalation_refer(escalation=esc, expert=world.expert, acting_user=world.lead)
    with pytest.raises(PermissionDenied):
        escalation_advise(escalation=esc, advice="x", acting_user=world.lead)
    escalation_advise(escalation=esc, advice="建议心内科就诊，完善心电图", acting_user=world.expert)
    tracking = escalation_client_told(escalation=esc, acting_user=world.nurse)
    esc.refresh_from_db()
    assert esc.status == "client_told"
    assert [(t.sequence, t.total, t.assignee_id) for t in tracking] == [(1, 2, world.nurse.pk), (2, 2, world.nurse.pk)]


def test_complaint_opens_a_service_ticket(world, task) -> None:
    record = followup_record_submit(task=task, acting_user=world.nurse, identity_confirmed=True,
                                    answers=first_answers(), feedback_kind="complaint", feedback_text="等候时间太长")
    from careloop.servicedesk.models import Ticket  # the desk registers itself as the complaint sink

    ticket = Ticket.objects.get()
    assert (ticket.kind, ticket.body, ticket.record_id, ticket.status) == ("complaint", "等候时间太长", record.pk, "open")


def test_lost_to_followup_after_three_failed_tasks(world, task) -> None:
    tasks = list(FollowupTask.objects.filter(client=world.own).order_by("due_date"))
    for t in tasks[:2]:
        followup_task_miss(task=t, reason="未接通", acting_user=world.nurse)
    world.own.refresh_from_db()
    assert world.own.status == "active"
    followup_task_miss(task=tasks[2], reason="未接通", acting_user=world.nurse)
    world.own.refresh_from_db()
    assert world.own.status == "lost"
    assert world.own.status_changes.get().new == "lost"


def test_only_the_lead_reassigns(world, task) -> None:
    with pytest.raises(PermissionDenied):
        followup_task_reassign(task=task, assignee=world.nurse_b, acting_user=world.nurse)
    task.refresh_from_db()
    assert task.assignee_id == world.nurse.pk
    followup_task_reassign(task=task, assignee=world.lead, acting_user=world.lead)
    task.refresh_from_db()
    assert task.assignee_id == world.lead.pk


def test_nightly_expiry_marks_passed_windows_missed(world, task) -> None:
    from careloop.followups.services.tasks import followup_tasks_expire

    # TCM tasks have no window: missed three days after the due date (the grouping horizon).
    assert followup_tasks_expire(today=dt.date(2026, 11, 8)) == 0
    assert followup_tasks_expire(today=dt.date(2026, 11, 9)) == 1
    task.refresh_from_db()
    assert (task.status, task.close_reason) == ("missed", "已过随访期限")


def test_escalation_page_flow(world, task) -> None:
    from django.test import Client as WebClient

    followup_record_submit(task=task, acting_user=world.nurse, identity_confirmed=True, answers=first_answers(),
                           problem="serious", problem_note="胸闷")
    esc = Escalation.objects.get()
    lead, expert, nurse = WebClient(), WebClient(), WebClient()
    lead.force_login(world.lead)
    expert.force_login(world.expert)
    nurse.force_login(world.nurse)
    assert "胸闷" in lead.get("/followups/escalations/").content.decode()
    nurse.post("/followups/escalations/", {"id": esc.pk, "action": "refer", "expert": world.expert.pk})
    esc.refresh_from_db()
    assert esc.status == "open"  # a nurse cannot refer
    lead.post("/followups/escalations/", {"id": esc.pk, "action": "refer", "expert": world.expert.pk})
    expert.post("/followups/escalations/", {"id": esc.pk, "action": "advise", "advice": "心内科就诊"})
    nurse.post("/followups/escalations/", {"id": esc.pk, "action": "told"})
    esc.refresh_from_db()
    assert (esc.status, esc.advice, esc.expert_id) == ("client_told", "心内科就诊", world.expert.pk)
    assert WebClient().get("/followups/escalations/").status_code == 302


def test_carrier_limit_counts_all_calls_to_the_callee(world, task, settings) -> None:
    settings.CARELOOP_FU_CARRIER_MAX_CALLS_PER_DAY = 2
    other = FollowupTask.objects.filter(client=world.own).exclude(pk=task.pk).first()
    attempt_record(task=other, outcome="no_answer", at=at(9), acting_user=world.nurse)
    result = attempt_record(task=task, outcome="no_answer", at=at(9, 5), acting_user=world.nurse)
    assert result.next_attempt_at == at(8, day=24)  # two calls to this client today already
    settings.CARELOOP_FU_CARRIER_MAX_CALLS_PER_DAY = None
    result = attempt_record(task=task, outcome="no_answer", at=at(10), acting_user=world.nurse)
    assert result.next_attempt_at == at(11)
