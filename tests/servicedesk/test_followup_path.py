"""FU-14: a complaint heard on a follow-up call becomes a desk ticket through followups' complaint sink."""

from __future__ import annotations

import datetime as dt

from careloop.clients.services import consent_record
from careloop.followups.services.planning import encounter_create
from careloop.followups.services.records import followup_record_submit, questionnaire_for
from careloop.servicedesk.models import Ticket


def _answers(task):
    """A valid answer to every required question of the task's questionnaire."""
    answers = {}
    for q in questionnaire_for(task).questions:
        if q.get("required"):
            kind = q.get("type")
            answers[q["key"]] = True if kind == "yesno" else (q["choices"][0] if kind == "choice" else "好")
    return answers


def test_followup_complaint_lands_on_the_desk(world) -> None:
    consent_record(acting_user=world.nurse, client=world.own, purpose="reminders", granted=True)
    enc = encounter_create(client=world.own, kind="tcm_first_visit", date=dt.date(2026, 11, 2),
                           prescription_days=30, acting_user=world.nurse)
    task = enc.tasks.order_by("due_date").first()
    record = followup_record_submit(task=task, acting_user=world.nurse, identity_confirmed=True,
                                    answers=_answers(task), feedback_kind="suggestion", feedback_text="希望周末也能体检")
    t = Ticket.objects.get()
    assert (t.kind, t.channel, t.body, t.client_id, t.record_id, t.created_by_id, t.status) == (
        "suggestion", "followup", "希望周末也能体检", world.own.pk, record.pk, world.nurse.pk, "open")
    assert [e.action for e in t.events.all()] == ["created"]
