"""Writes of follow-up tasks: the one task constructor, reassignment, misses, call attempts (FU-10, FU-12, FU-15).

``followup_task_create`` is the only way a single task comes to exist (status changes, recheck
reminders, escalation tracking, report chases, critical alerts, the checkups app included): it
gives the task an owner through the owner chain (careloop.followups.owners) and writes its audit
row. The planner creates its tasks in bulk with the same owner chain (``owners_for``); their audit
row is the encounter's, which counts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record, audit_record_many
from careloop.followups import policy
from careloop.followups.ladder import Attempt, decide, within_carrier_limit
from careloop.followups.models import OPEN_STATUSES, CallAttempt, FollowupTask, TaskStatus
from careloop.followups.owners import OwnerChain
from careloop.followups.permissions import can_reassign, can_work_task
from careloop.org.models import User
from careloop.org.selectors import person_from_pool, team_pool


def require_open(task: FollowupTask) -> None:
    if not task.is_open:
        raise ValidationError({"status": _("This follow-up is already closed (%(status)s).") % {
            "status": task.get_status_display()}})


def owners_for(tasks: list[FollowupTask], *, owners: OwnerChain | None = None) -> None:
    """Give every task without an owner one through the owner chain (in place, nothing saved)."""
    owners = owners or OwnerChain()
    managers = {getattr(t.client, "health_manager_id", None) for t in tasks}
    owners.preload_managers({m for m in managers if m})
    for task in tasks:
        task.assignee_id, task.team_id = owners.complete(task.client, task.due_date, task.assignee_id, task.team_id)


@transaction.atomic
def followup_task_create(
    *,
    client: Any,
    due_date: date,
    reason: str,
    acting_user: User | None,
    encounter_id: int | None = None,
    window_end: date | None = None,
    channel: str = "phone",
    priority: int = 0,
    sequence: int = 1,
    total: int = 1,
    assignee_id: int | None = None,
    team_id: int | None = None,
    owners: OwnerChain | None = None,
    origin: str = "",
) -> FollowupTask:
    """One ad-hoc follow-up with an owner from the moment it exists, and its audit row.

    A given assignee (a lead for a critical value, the nurse who made the call for a recheck) is
    kept; otherwise the owner chain decides. ``origin`` names what made it ("recheck", "chase"…).
    """
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the follow-up is needed.")})
    task = FollowupTask(
        client=client, encounter_id=encounter_id, rule=None, due_date=due_date, window_end=window_end,
        reason=reason.strip()[:300], channel=channel, priority=priority, sequence=sequence, total=total,
        assignee_id=assignee_id, team_id=team_id,
    )
    owners_for([task], owners=owners)
    task.save()
    audit_record(actor=acting_user, action="followup_task.create", obj=task, client=client,
                 detail={"origin": origin, "due": due_date.isoformat(), "assignee": task.assignee_id,
                         "team": task.team_id})
    return task


@transaction.atomic
def followup_tasks_create_many(*, tasks: list[FollowupTask], acting_user: User | None, origin: str) -> list[FollowupTask]:
    """Many ad-hoc follow-ups at once (a batch of tier moves): each exactly as ``followup_task_create`` would
    make it — an owner from the owner chain (one chain for the batch), and one audit row per task — with one
    insert for the tasks and one for the audit rows. ``tasks`` are unsaved, without a rule."""
    if any(not (t.reason or "").strip() for t in tasks):
        raise ValidationError({"reason": _("Say why the follow-up is needed.")})
    if not tasks:
        return []
    for task in tasks:
        task.reason = task.reason.strip()[:300]
    owners_for(tasks)
    FollowupTask.objects.bulk_create(tasks, batch_size=500)
    audit_record_many(actor=acting_user, entries=[
        {"action": "followup_task.create", "obj": t, "client": t.client,
         "detail": {"origin": origin, "due": t.due_date.isoformat(), "assignee": t.assignee_id, "team": t.team_id}}
        for t in tasks])
    return tasks


def tasks_cancel(tasks: list[FollowupTask], *, reason: str) -> int:
    """Cancel open tasks with the reason shown on them (inside the caller's transaction and audit row)."""
    now = timezone.now()
    for task in tasks:
        task.status, task.closed_at, task.close_reason = TaskStatus.CANCELLED, now, reason[:200]
        task.next_attempt_at, task.updated_at = None, now
    if tasks:
        FollowupTask.objects.bulk_update(tasks, ["status", "closed_at", "close_reason", "next_attempt_at", "updated_at"])
    return len(tasks)


@transaction.atomic
def followup_task_reassign(*, task: FollowupTask, assignee: Any, acting_user: User) -> FollowupTask:
    """A lead hands a task to a member of the team (or back to the queue with assignee=None)."""
    if not can_reassign(acting_user, task):
        raise PermissionDenied(_("Only the team lead may reassign this follow-up."))
    if assignee is not None:  # a member of the task's team, as the drop-down offers (org.selectors)
        assignee = person_from_pool(team_pool(task.team_id), assignee, field="assignee")
    task = FollowupTask.objects.select_for_update().get(pk=task.pk)
    require_open(task)
    before = task.assignee_id
    task.assignee = assignee
    task.save(update_fields=["assignee", "updated_at"])
    audit_record(
        actor=acting_user, action="followup_task.reassign", obj=task, client=task.client,
        detail={"from": before, "to": getattr(assignee, "pk", None)},
    )
    return task


def _lost_to_followup_check(task: FollowupTask, acting_user: User | None) -> bool:
    """FU-15: after N failed tasks in a row the client is marked lost to follow-up (through clients)."""
    from careloop.clients.models import ClientStatus
    from careloop.clients.services import client_change_status

    limit = policy.lost_after_failed_tasks()
    recent = list(
        FollowupTask.objects.filter(client_id=task.client_id, status__in=[TaskStatus.DONE, TaskStatus.MISSED])
        .order_by("-closed_at", "-id")
        .values_list("status", flat=True)[:limit]
    )
    if len(recent) < limit or any(s != TaskStatus.MISSED for s in recent):
        return False
    client = task.client
    if client.status != ClientStatus.ACTIVE:
        return False
    with translation.override(settings.LANGUAGE_CODE):  # stored text: the system language
        reason = _("%(n)s follow-ups in a row failed") % {"n": limit}
    client_change_status(acting_user=acting_user, client=client, status=ClientStatus.LOST, reason=reason,
                         automatic=True)
    return True


def _task_miss(task: FollowupTask, reason: str, acting_user: User | None) -> FollowupTask:
    task = FollowupTask.objects.select_for_update().get(pk=task.pk)
    require_open(task)
    task.status, task.closed_at, task.close_reason = TaskStatus.MISSED, timezone.now(), reason[:200]
    task.next_attempt_at = None
    task.save(update_fields=["status", "closed_at", "close_reason", "next_attempt_at", "updated_at"])
    audit_record(actor=acting_user, action="followup_task.miss", obj=task, client=task.client,
                 detail={"reason": reason})
    _lost_to_followup_check(task, acting_user)
    return task


@transaction.atomic
def followup_task_miss(*, task: FollowupTask, reason: str, acting_user: User) -> FollowupTask:
    """Close a task as failed (wrong number, …); counts toward lost to follow-up. Only who may work it."""
    if not can_work_task(acting_user, task):
        raise PermissionDenied(_("You may not work this follow-up."))
    return _task_miss(task, reason, acting_user)


def followup_tasks_expire(*, today: date | None = None, acting_user: User | None = None) -> int:
    """The daily job: open tasks whose window (or due date, when none) has passed are missed."""
    today = today or timezone.localdate()
    grace = timedelta(days=policy.group_call_days())
    stale = FollowupTask.objects.filter(status__in=OPEN_STATUSES, window_end__lt=today).values_list("pk", flat=True)
    stale_no_window = FollowupTask.objects.filter(
        status__in=OPEN_STATUSES, window_end__isnull=True, due_date__lt=today - grace
    ).values_list("pk", flat=True)
    count = 0
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("window passed")
    for pk in [*stale, *stale_no_window]:
        with transaction.atomic():
            task = FollowupTask.objects.select_for_update().get(pk=pk)
            if not task.is_open:  # closed meanwhile: the client became lost by an earlier miss of this run
                continue
            _task_miss(task, reason, acting_user)
        count += 1
    return count


@dataclass
class AttemptResult:
    attempt: CallAttempt
    task: FollowupTask
    next_attempt_at: datetime | None
    message_ids: list[int] = field(default_factory=list)
    refused_reason: str = ""


def _notice_context(task: FollowupTask, proposed: datetime) -> dict[str, Any]:
    """Variables of the followup_notice template: the purpose of the call and the time proposed."""
    local = timezone.localtime(proposed)
    with translation.override(settings.LANGUAGE_CODE):  # the client reads Chinese, whoever clicks
        kind = str(task.encounter.get_kind_display()) if task.encounter_id and task.encounter else ""
        reason = _("follow up on your %(kind)s") % {"kind": kind} if kind else _("ask how you have been recently")
    return {"reason": reason, "proposed_time": local.strftime("%m-%d %H:%M")}


@transaction.atomic
def attempt_record(
    *, task: FollowupTask, outcome: str, at: datetime | None = None, note: str = "", acting_user: User
) -> AttemptResult:
    """Keep one call attempt and apply the FU-12 ladder: next try time, and the SMS when it is due."""
    if outcome not in CallAttempt.Outcome.values:
        raise ValidationError({"outcome": _("Unknown outcome “%(outcome)s”.") % {"outcome": outcome}})
    at = at if at is not None else timezone.now()
    if timezone.is_naive(at):
        raise ValidationError({"at": _("Give the time with its UTC offset.")})
    task = FollowupTask.objects.select_for_update(of=("self",)).select_related("client").get(pk=task.pk)
    if not can_work_task(acting_user, task):
        raise PermissionDenied(_("You may not work this follow-up."))
    require_open(task)
    pol = policy.ladder_policy()
    if pol.max_calls_per_day is not None:
        prior = CallAttempt.objects.filter(client_id=task.client_id)
    else:
        prior = CallAttempt.objects.filter(task_id=task.pk)
    history = [Attempt(o, a) for o, a in prior.order_by("at", "id").values_list("outcome", "at")]
    if pol.max_calls_per_day is not None:
        # the no-answer/unreachable streaks count this task's calls only
        own = [Attempt(o, a) for o, a in task.attempts.order_by("at", "id").values_list("outcome", "at")]
    else:
        own = history
    own = [*own, Attempt(outcome, at)]
    decision = decide(own, pol)
    decision_time: datetime | None
    if pol.max_calls_per_day is not None and decision.next_attempt_at is not None:
        decision_time = within_carrier_limit(decision.next_attempt_at, [*history, Attempt(outcome, at)], pol)
    else:
        decision_time = decision.next_attempt_at
    attempt = CallAttempt.objects.create(
        task=task, client=task.client, outcome=outcome, at=at, by=acting_user, note=note[:300],
        next_attempt_at=decision_time, notice_sent=decision.send_notice,
    )
    message_ids: list[int] = []
    refused = ""
    if decision.send_notice and decision_time is not None:
        from careloop.messaging.services import message_enqueue

        result = message_enqueue(
            client=task.client, purpose="followup_notice", channel="sms",
            context=_notice_context(task, decision_time), scheduled_at=None,
            cause=f"followup_task:{task.pk}", acting_user=acting_user,
        )
        if result.message is not None:
            message_ids.append(result.message.pk)
        if result.refused:
            refused = str(result.reason)
        attempt.message_ids = message_ids
        attempt.save(update_fields=["message_ids"])
    task.attempt_count += 1
    task.next_attempt_at = decision_time
    fields = ["attempt_count", "next_attempt_at", "updated_at"]
    if task.status == TaskStatus.PENDING:
        task.status = TaskStatus.IN_PROGRESS
        fields.append("status")
    task.save(update_fields=fields)
    audit_record(
        actor=acting_user, action="followup_task.attempt", obj=task, client=task.client,
        detail={"outcome": outcome, "at": at.isoformat(),
                "next_attempt_at": decision_time.isoformat() if decision_time else None,
                "messages": message_ids, "refused": refused},
    )
    if decision.close == "wrong_number":
        with translation.override(settings.LANGUAGE_CODE):
            reason = _("wrong number")
        task = _task_miss(task, reason, acting_user)
    return AttemptResult(attempt, task, decision_time, message_ids, refused)
