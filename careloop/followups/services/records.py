"""Writes of follow-up records (SPEC FU-8, FU-13): the signed record, addenda, and what a problem starts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.core import events
from careloop.followups import policy
from careloop.followups.complaints import complaint_raise
from careloop.followups.models import (
    FollowupRecord,
    FollowupTask,
    Questionnaire,
    RecordAddendum,
    TaskStatus,
)
from careloop.followups.permissions import can_work_task
from careloop.followups.services.escalations import escalation_raise
from careloop.followups.services.tasks import followup_task_create, require_open
from careloop.org.models import User


def questionnaire_for(task: FollowupTask) -> Questionnaire | None:
    """The template for this place in the series (FU-8); "any" when none is specific."""
    series = task.rule.script if task.rule_id and task.rule else "general"
    candidates = {q.position: q for q in Questionnaire.objects.filter(series=series, active=True)}
    position = task.position
    if position == "only":
        # a single follow-up is also the last of its series
        return candidates.get("only") or candidates.get("last") or candidates.get("any")
    return candidates.get(position) or candidates.get("any")


def _check_answers(questionnaire: Questionnaire | None, answers: dict[str, Any]) -> dict[str, Any]:
    if questionnaire is None:
        return dict(answers)
    errors: dict[str, str] = {}
    known = {q["key"]: q for q in questionnaire.questions}
    for key in answers:
        if key not in known:
            errors[f"answers.{key}"] = _("Not a question of this questionnaire.")
    for key, question in known.items():
        value = answers.get(key)
        if question.get("required") and value in (None, ""):
            errors[f"answers.{key}"] = _("This question needs an answer.")
        elif value not in (None, "") and question.get("type") == "choice" and value not in question.get("choices", []):
            errors[f"answers.{key}"] = _("Choose one of the listed answers.")
        elif value not in (None, "") and question.get("type") == "yesno" and not isinstance(value, bool):
            errors[f"answers.{key}"] = _("Answer yes or no.")
    if errors:
        raise ValidationError(errors)
    return {k: answers[k] for k in known if k in answers}


@transaction.atomic
def followup_record_submit(
    *,
    task: FollowupTask,
    acting_user: User,
    channel: str | None = None,
    performed_at: datetime | None = None,
    identity_confirmed: bool,
    answers: dict[str, Any] | None = None,
    client_words: str = "",
    guidance: str = "",
    next_step: str = "",
    problem: str = "none",
    problem_note: str = "",
    recheck_item: str = "",
    feedback_kind: str = "",
    feedback_text: str = "",
) -> FollowupRecord:
    """Save the signed record of a follow-up and close its task (FU-13), then handle problems (FU-14)."""
    task = FollowupTask.objects.select_for_update(of=("self",)).select_related("client", "rule").get(pk=task.pk)
    if not can_work_task(acting_user, task):
        raise PermissionDenied(_("You may not record this follow-up."))
    require_open(task)
    errors: dict[str, str] = {}
    if not identity_confirmed:
        errors["identity_confirmed"] = _("Confirm the client's identity before recording.")
    if problem not in FollowupRecord.Problem.values:
        errors["problem"] = _("Unknown problem level.")
    elif problem != "none" and not problem_note.strip():
        errors["problem_note"] = _("Describe the problem.")
    if feedback_kind not in ("", "complaint", "suggestion"):
        errors["feedback_kind"] = _("Choose complaint or suggestion.")
    elif feedback_kind and not feedback_text.strip():
        errors["feedback_text"] = _("Write down what the client said.")
    channel = channel or task.channel
    from careloop.clients.models import Channel

    if channel not in Channel.values:
        errors["channel"] = _("Unknown channel.")
    if errors:
        raise ValidationError(errors)
    questionnaire = questionnaire_for(task)
    clean = _check_answers(questionnaire, answers or {})
    now = timezone.now()
    record = FollowupRecord.objects.create(
        task=task, client=task.client, questionnaire=questionnaire, channel=channel,
        performed_at=performed_at or now, performed_by=acting_user, identity_confirmed=True, answers=clean,
        client_words=client_words, guidance=guidance, next_step=next_step[:300], problem=problem,
        problem_note=problem_note, recheck_item=recheck_item[:60], feedback_kind=feedback_kind, feedback_text=feedback_text,
        signed_by=acting_user, signed_at=now,
    )
    task.status, task.closed_at, task.next_attempt_at = TaskStatus.DONE, now, None
    task.save(update_fields=["status", "closed_at", "next_attempt_at", "updated_at"])
    audit_record(actor=acting_user, action="followup_record.submit", obj=record, client=task.client,
                 detail={"task": task.pk, "problem": problem, "feedback": feedback_kind})
    events.emit("followup.task_done", lambda: {
        "task": task.pk, "client": task.client_id, "encounter": task.encounter_id, "record": record.pk,
        "rule": task.rule_id, "problem": problem, "closed_at": timezone.localtime(now).isoformat(timespec="seconds"),
    }, branch_id=task.client.branch_id)
    _emit_signed(record)
    if problem == FollowupRecord.Problem.GENERAL:
        _recheck_reminder(task, record, acting_user)
    elif problem == FollowupRecord.Problem.SERIOUS:
        escalation_raise(task=task, record=record, summary=problem_note, acting_user=acting_user)
    if feedback_kind:
        complaint_raise(client=task.client, kind=feedback_kind, text=feedback_text, record=record,
                        acting_user=acting_user)
    return record


def _recheck_reminder(task: FollowupTask, record: FollowupRecord, acting_user: User) -> None:
    """A general problem: guidance given on the call, and a recheck reminder message + task."""
    days = policy.recheck_days()
    due = timezone.localdate() + timedelta(days=days)
    from careloop.messaging.services import message_enqueue

    message_enqueue(
        client=task.client, purpose="recheck_reminder", channel="sms",
        context={"due_date": due.isoformat(), **({"item": record.recheck_item} if record.recheck_item else {})},
        scheduled_at=None, cause=f"followup_record:{record.pk}", acting_user=acting_user,
    )
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Recheck after a problem found on follow-up")
    followup_task_create(
        client=task.client, encounter_id=task.encounter_id, due_date=due, window_end=due + timedelta(days=7),
        reason=reason, channel=task.channel, priority=task.priority,
        assignee_id=task.assignee_id, team_id=task.team_id, acting_user=acting_user, origin="recheck",
    )


def _emit_signed(record: FollowupRecord) -> None:
    assert record.signed_at is not None
    signed_at = timezone.localtime(record.signed_at).isoformat(timespec="seconds")
    events.emit("followup.record_signed", lambda: {
        "record": record.pk, "task": record.task_id, "client": record.client_id, "problem": record.problem,
        "signed_by": record.signed_by_id, "signed_at": signed_at,
    }, branch_id=record.client.branch_id)


@transaction.atomic
def followup_record_addendum(*, record: FollowupRecord, text: str, acting_user: User) -> RecordAddendum:
    """A signed record is never rewritten; corrections are added below it."""
    if not text.strip():
        raise ValidationError({"text": _("Write the addendum.")})
    if not can_work_task(acting_user, record.task):
        raise PermissionDenied(_("You may not amend this record."))
    addendum = RecordAddendum.objects.create(record=record, text=text.strip(), by=acting_user)
    audit_record(actor=acting_user, action="followup_record.addendum", obj=record, client=record.client,
                 detail={"addendum": addendum.pk})
    return addendum
