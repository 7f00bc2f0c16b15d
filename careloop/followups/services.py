"""Writes of careloop.followups: encounters and their schedules, attempts, records, escalations.

Every function is atomic, takes the acting user as a keyword and writes its audit row in the same
transaction; messages are queued through careloop.messaging (its outbox row is the truth).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.followups import policy
from careloop.followups.ladder import Attempt, decide, into_calling_hours, within_carrier_limit
from careloop.followups.models import (
    OPEN_STATUSES,
    TCM_KINDS,
    CallAttempt,
    Encounter,
    EncounterKind,
    Escalation,
    FollowupRecord,
    FollowupRule,
    FollowupTask,
    HealthStatus,
    Questionnaire,
    RecordAddendum,
    ServiceTicket,
    TaskStatus,
)
from careloop.followups.schedule import EncounterFacts, PlannedFollowup, RuleSpec, plan_schedule
from careloop.workdays.calendar import is_working_day

# --- validation ----------------------------------------------------------------------------------


def _validate_encounter(
    *, kind: str, on: date | None, prescription_days: int | None, health_status: str
) -> None:
    errors: dict[str, str] = {}
    if kind not in EncounterKind.values:
        errors["kind"] = _("Unknown encounter kind “%(kind)s”.") % {"kind": kind}
    if on is None:
        errors["date"] = _("This field is required.")
    if kind in TCM_KINDS:
        if prescription_days is None:
            errors["prescription_days"] = _("A TCM visit needs the prescription length in days.")
        elif not 1 <= prescription_days <= 365:
            errors["prescription_days"] = _("Prescription length must be 1–365 days.")
    elif prescription_days is not None and not 1 <= prescription_days <= 365:
        errors["prescription_days"] = _("Prescription length must be 1–365 days.")
    if health_status and health_status not in HealthStatus.values:
        errors["health_status"] = _("Unknown health status “%(status)s”.") % {"status": health_status}
    if errors:
        raise ValidationError(errors)


# --- planning ------------------------------------------------------------------------------------


def active_rules() -> list[tuple[FollowupRule, RuleSpec]]:
    return [(rule, rule.spec()) for rule in FollowupRule.objects.filter(active=True).order_by("code")]


def encounter_facts(encounter: Encounter, *, is_first: bool | None = None) -> EncounterFacts:
    client = encounter.client
    if is_first is None:
        is_first = not (
            Encounter.objects.filter(client_id=encounter.client_id, status=Encounter.Status.ACTIVE)
            .exclude(pk=encounter.pk)
            .filter(date__lte=encounter.date)
            .exists()
        )
    return EncounterFacts(
        kind=encounter.kind,
        date=encounter.date,
        prescription_days=encounter.prescription_days,
        health_status=encounter.health_status or "",
        tier=getattr(client, "tier", "") or "",
        report_delivered_on=encounter.report_delivered_on,
        is_first=is_first,
    )


def task_priority(*, rule_priority: int, tier: str, health_status: str) -> int:
    """Priority from tier and severity; days overdue order the worklist after it (older first)."""
    return rule_priority + policy.TIER_WEIGHT.get(tier or "", 0) + policy.SEVERITY_WEIGHT.get(health_status or "", 0)


def plan_for(encounter: Encounter, rules: Iterable[tuple[FollowupRule, RuleSpec]] | None = None,
             *, is_first: bool | None = None) -> list[tuple[FollowupRule, PlannedFollowup]]:
    facts = encounter_facts(encounter, is_first=is_first)
    planned: list[tuple[FollowupRule, PlannedFollowup]] = []
    for rule, spec in rules if rules is not None else active_rules():
        for item in plan_schedule(spec, facts, is_working_day=is_working_day):
            planned.append((rule, item))
    return planned


class _Assigner:
    """Health manager first; else the client's follow-up team, spread within each member's daily capacity."""

    def __init__(self) -> None:
        self._load: dict[tuple[int, date], int] = {}
        self._teams: dict[int, Any] = {}

    def team_for(self, client: Any) -> Any:
        from careloop.org.models import Team

        branch_id = client.branch_id
        if branch_id not in self._teams:
            branch = client.branch
            units = [branch.pk] + [int(p) for p in str(getattr(branch, "path", "") or "").strip("/").split("/") if p.isdigit()]
            team = (
                Team.objects.filter(kind="followup", org_unit_id__in=units)
                .order_by("-org_unit__path" if hasattr(branch, "path") else "pk")
                .first()
            )
            self._teams[branch_id] = team
        return self._teams[branch_id]

    def pick(self, client: Any, due: date) -> tuple[Any, Any]:
        manager_id = getattr(client, "health_manager_id", None)
        team = self.team_for(client)
        if manager_id:
            return manager_id, team
        if team is None:
            return None, None
        members = list(team.memberships.values_list("user_id", flat=True)) if hasattr(team, "memberships") else []
        if not members:
            return None, team
        missing = [m for m in members if (m, due) not in self._load]
        if missing:
            counts = dict(
                FollowupTask.objects.filter(assignee_id__in=missing, due_date=due, status__in=OPEN_STATUSES)
                .values_list("assignee_id")
                .annotate(n=Count("id"))
                .values_list("assignee_id", "n")
            )
            for m in missing:
                self._load[(m, due)] = counts.get(m, 0)
        from careloop.org.models import User

        capacity = dict(User.objects.filter(pk__in=members).values_list("pk", "daily_capacity"))
        best = min(members, key=lambda m: (self._load[(m, due)], m))
        if self._load[(best, due)] >= capacity.get(best, policy.default_daily_capacity()):
            return None, team  # everyone is full: the team queue, for the lead to hand out
        self._load[(best, due)] += 1
        return best, team


def _replan(encounter: Encounter, *, acting_user: Any, is_first: bool | None = None,
            rules: list[tuple[FollowupRule, RuleSpec]] | None = None, assigner: _Assigner | None = None) -> dict[str, int]:
    """Make the encounter's pending tasks match its plan; done, missed and in-progress tasks stay as they are."""
    planned = plan_for(encounter, rules, is_first=is_first) if encounter.status == Encounter.Status.ACTIVE else []
    existing = list(encounter.tasks.all()) if encounter.pk and not encounter._state.adding else []
    kept_pending: dict[tuple[int | None, date], FollowupTask] = {}
    closed_keys: set[tuple[int | None, date]] = set()
    for task in existing:
        key = (task.rule_id, task.due_date)
        if task.status == TaskStatus.PENDING:
            kept_pending[key] = task
        elif task.status != TaskStatus.CANCELLED:
            closed_keys.add(key)
    client = encounter.client
    tier = getattr(client, "tier", "") or ""
    assigner = assigner or _Assigner()
    to_create: list[FollowupTask] = []
    to_update: list[FollowupTask] = []
    wanted: set[tuple[int | None, date]] = set()
    for rule, item in planned:
        key = (rule.pk, item.due_date)
        wanted.add(key)
        if key in closed_keys:
            continue
        labels = ", ".join(item.labels)
        priority = task_priority(rule_priority=rule.priority, tier=tier, health_status=encounter.health_status)
        task = kept_pending.get(key)
        if task is not None:
            changed = (task.sequence, task.total, task.window_end, task.labels, task.priority) != (
                item.sequence, item.total, item.window_end, labels, priority)
            if changed:
                task.sequence, task.total, task.window_end = item.sequence, item.total, item.window_end
                task.labels, task.priority = labels, priority
                to_update.append(task)
            continue
        assignee_id, team = assigner.pick(client, item.due_date)
        to_create.append(
            FollowupTask(
                client=client, encounter=encounter, rule=rule, sequence=item.sequence, total=item.total,
                labels=labels, due_date=item.due_date, window_end=item.window_end, channel=rule.channel,
                priority=priority, assignee_id=assignee_id, team=team,
            )
        )
    cancelled = [t for k, t in kept_pending.items() if k not in wanted]
    now = timezone.now()
    for task in cancelled:
        task.status, task.closed_at, task.close_reason = TaskStatus.CANCELLED, now, _("re-planned")
    if cancelled:
        FollowupTask.objects.bulk_update(cancelled, ["status", "closed_at", "close_reason", "updated_at"])
    if to_update:
        FollowupTask.objects.bulk_update(to_update, ["sequence", "total", "window_end", "labels", "priority"])
    if to_create:
        FollowupTask.objects.bulk_create(to_create, batch_size=500)
    return {"created": len(to_create), "updated": len(to_update), "cancelled": len(cancelled)}


# --- encounters ----------------------------------------------------------------------------------


@transaction.atomic
def encounter_create(
    *,
    client: Any,
    kind: str,
    date: date,
    prescription_days: int | None = None,
    health_status: str | None = None,
    source: str = "",
    acting_user: Any,
    report_delivered_on: date | None = None,
) -> Encounter:
    """Record an encounter and schedule its follow-ups in the same transaction."""
    health_status = health_status or ""
    _validate_encounter(kind=kind, on=date, prescription_days=prescription_days, health_status=health_status)
    encounter = Encounter.objects.create(
        client=client, kind=kind, date=date, prescription_days=prescription_days, health_status=health_status,
        report_delivered_on=report_delivered_on, source=source, created_by=acting_user,
    )
    counts = _replan(encounter, acting_user=acting_user)
    audit_record(
        actor=acting_user, action="encounter.create", obj=encounter, client=client,
        detail={"kind": kind, "date": date.isoformat(), "prescription_days": prescription_days,
                "health_status": health_status, "source": source, **counts},
    )
    return encounter


ENCOUNTER_CHANGEABLE = ("kind", "date", "prescription_days", "health_status", "report_delivered_on", "source")


@transaction.atomic
def encounter_update(*, encounter: Encounter, acting_user: Any, **changes: Any) -> Encounter:
    """Change an encounter and re-plan its pending tasks (done ones are never touched).

    A change of a checkup's health status (SPEC FU-1 "a sudden change") also adds a follow-up due today.
    """
    unknown = sorted(set(changes) - set(ENCOUNTER_CHANGEABLE))
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})
    if encounter.status == Encounter.Status.CANCELLED:
        raise ValidationError({"status": _("A cancelled encounter cannot be changed.")})
    encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
    before = {name: getattr(encounter, name) for name in changes}
    for name, value in changes.items():
        if name == "health_status":
            value = value or ""
        setattr(encounter, name, value)
    _validate_encounter(
        kind=encounter.kind, on=encounter.date, prescription_days=encounter.prescription_days,
        health_status=encounter.health_status,
    )
    changed = [name for name in changes if before[name] != getattr(encounter, name)]
    if not changed:
        return encounter
    encounter.save(update_fields=[*changed, "updated_at"])
    counts = _replan(encounter, acting_user=acting_user)
    if "health_status" in changed and encounter.kind == EncounterKind.CHECKUP and before["health_status"]:
        _status_change_task(encounter, before["health_status"])
        counts["created"] += 1
    audit_record(
        actor=acting_user, action="encounter.update", obj=encounter, client=encounter.client,
        detail={"changes": {n: [str(before[n]), str(getattr(encounter, n))] for n in changed}, **counts},
    )
    return encounter


def _status_change_task(encounter: Encounter, old_status: str) -> FollowupTask:
    today = timezone.localdate()
    client = encounter.client
    assignee_id, team = _Assigner().pick(client, today)
    return FollowupTask.objects.create(
        client=client, encounter=encounter, rule=None, due_date=today, window_end=today,
        reason=_("Health status changed from %(old)s to %(new)s: follow up now")
        % {"old": HealthStatus(old_status).label, "new": encounter.get_health_status_display()},
        priority=task_priority(rule_priority=50, tier=getattr(client, "tier", ""), health_status=encounter.health_status),
        assignee_id=assignee_id, team=team,
    )


@transaction.atomic
def encounter_cancel(*, encounter: Encounter, reason: str, acting_user: Any) -> Encounter:
    """Cancel an encounter (entered by mistake, the client died…): its pending tasks are cancelled."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the encounter is cancelled.")})
    encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
    if encounter.status == Encounter.Status.CANCELLED:
        return encounter
    encounter.status, encounter.cancel_reason = Encounter.Status.CANCELLED, reason.strip()[:200]
    encounter.save(update_fields=["status", "cancel_reason", "updated_at"])
    counts = _replan(encounter, acting_user=acting_user)
    audit_record(
        actor=acting_user, action="encounter.cancel", obj=encounter, client=encounter.client,
        detail={"reason": encounter.cancel_reason, **counts},
    )
    return encounter


# --- tasks ---------------------------------------------------------------------------------------


def _require_open(task: FollowupTask) -> None:
    if not task.is_open:
        raise ValidationError({"status": _("This follow-up is already closed (%(status)s).") % {
            "status": task.get_status_display()}})


@transaction.atomic
def followup_task_reassign(*, task: FollowupTask, assignee: Any, acting_user: Any) -> FollowupTask:
    """A lead hands a task to a member of the team (or back to the queue with assignee=None)."""
    from careloop.followups.permissions import can_reassign

    if not can_reassign(acting_user, task):
        raise PermissionDenied(_("Only the team lead may reassign this follow-up."))
    task = FollowupTask.objects.select_for_update().get(pk=task.pk)
    _require_open(task)
    before = task.assignee_id
    task.assignee = assignee
    task.save(update_fields=["assignee", "updated_at"])
    audit_record(
        actor=acting_user, action="followup_task.reassign", obj=task, client=task.client,
        detail={"from": before, "to": getattr(assignee, "pk", None)},
    )
    return task


def _lost_to_followup_check(task: FollowupTask, acting_user: Any) -> bool:
    """FU-15: after N failed tasks in a row the client is marked lost to follow-up."""
    limit = policy.lost_after_failed_tasks()
    recent = list(
        FollowupTask.objects.filter(client_id=task.client_id, status__in=[TaskStatus.DONE, TaskStatus.MISSED])
        .order_by("-closed_at", "-id")
        .values_list("status", flat=True)[:limit]
    )
    if len(recent) < limit or any(s != TaskStatus.MISSED for s in recent):
        return False
    client = task.client
    lost = "lost"
    if getattr(client, "status", None) == lost:
        return False
    client.status = lost
    client.save(update_fields=["status"])
    audit_record(actor=acting_user, action="client.lost_to_followup", obj=client, client=client,
                 detail={"failed_tasks": limit})
    return True


@transaction.atomic
def followup_task_miss(*, task: FollowupTask, reason: str, acting_user: Any) -> FollowupTask:
    """Close a task as failed (window passed, wrong number…); counts toward lost to follow-up."""
    task = FollowupTask.objects.select_for_update().get(pk=task.pk)
    _require_open(task)
    task.status, task.closed_at, task.close_reason = TaskStatus.MISSED, timezone.now(), reason[:200]
    task.next_attempt_at = None
    task.save(update_fields=["status", "closed_at", "close_reason", "next_attempt_at", "updated_at"])
    audit_record(actor=acting_user, action="followup_task.miss", obj=task, client=task.client,
                 detail={"reason": reason})
    _lost_to_followup_check(task, acting_user)
    return task


def followup_tasks_expire(*, today: date | None = None, acting_user: Any = None) -> int:
    """Mark open tasks whose window (or due date, when none) has passed with no attempt pending as missed."""
    today = today or timezone.localdate()
    grace = timedelta(days=policy.group_call_days())
    stale = FollowupTask.objects.filter(status__in=OPEN_STATUSES, window_end__lt=today).values_list("pk", flat=True)
    stale_no_window = FollowupTask.objects.filter(
        status__in=OPEN_STATUSES, window_end__isnull=True, due_date__lt=today - grace
    ).values_list("pk", flat=True)
    count = 0
    for pk in [*stale, *stale_no_window]:
        task = FollowupTask.objects.get(pk=pk)
        followup_task_miss(task=task, reason=_("window passed"), acting_user=acting_user)
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
    local = timezone.localtime(proposed)
    return {
        "purpose": task.reason_text,
        "proposed_time": local.strftime("%Y-%m-%d %H:%M"),
        "task_id": task.pk,
    }


@transaction.atomic
def attempt_record(
    *, task: FollowupTask, outcome: str, at: datetime | None = None, note: str = "", acting_user: Any
) -> AttemptResult:
    """Keep one call attempt and apply the FU-12 ladder: next try time, and the SMS when it is due."""
    if outcome not in CallAttempt.Outcome.values:
        raise ValidationError({"outcome": _("Unknown outcome “%(outcome)s”.") % {"outcome": outcome}})
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise ValidationError({"at": _("Give the time with its UTC offset.")})
    task = FollowupTask.objects.select_for_update().select_related("client").get(pk=task.pk)
    _require_open(task)
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
            context=_notice_context(task, decision_time), scheduled_at=into_calling_hours(at, pol),
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
        task = followup_task_miss(task=task, reason=_("wrong number"), acting_user=acting_user)
    return AttemptResult(attempt, task, decision_time, message_ids, refused)


# --- records -------------------------------------------------------------------------------------


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
    acting_user: Any,
    channel: str | None = None,
    performed_at: datetime | None = None,
    identity_confirmed: bool,
    answers: dict[str, Any] | None = None,
    client_words: str = "",
    guidance: str = "",
    next_step: str = "",
    problem: str = "none",
    problem_note: str = "",
    feedback_kind: str = "",
    feedback_text: str = "",
    sign: bool = True,
) -> FollowupRecord:
    """Save the signed record of a follow-up and close its task (FU-13), then handle problems (FU-14)."""
    from careloop.followups.permissions import can_work_task

    task = FollowupTask.objects.select_for_update().select_related("client", "rule").get(pk=task.pk)
    if not can_work_task(acting_user, task):
        raise PermissionDenied(_("You may not record this follow-up."))
    _require_open(task)
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
        problem_note=problem_note, feedback_kind=feedback_kind, feedback_text=feedback_text,
        signed_by=acting_user if sign else None, signed_at=now if sign else None,
    )
    task.status, task.closed_at, task.next_attempt_at = TaskStatus.DONE, now, None
    task.save(update_fields=["status", "closed_at", "next_attempt_at", "updated_at"])
    audit_record(actor=acting_user, action="followup_record.submit", obj=record, client=task.client,
                 detail={"task": task.pk, "problem": problem, "feedback": feedback_kind})
    if problem == FollowupRecord.Problem.GENERAL:
        _recheck_reminder(task, record, acting_user)
    elif problem == FollowupRecord.Problem.SERIOUS:
        escalation_raise(task=task, record=record, summary=problem_note, acting_user=acting_user)
    if feedback_kind:
        ticket = ServiceTicket.objects.create(
            client=task.client, kind=feedback_kind, text=feedback_text, record=record, created_by=acting_user
        )
        audit_record(actor=acting_user, action="service_ticket.open", obj=ticket, client=task.client)
    return record


def _recheck_reminder(task: FollowupTask, record: FollowupRecord, acting_user: Any) -> None:
    """A general problem: guidance given on the call, and a recheck reminder message + task."""
    days = int(getattr(settings, "CARELOOP_FU_RECHECK_DAYS", 14))
    due = timezone.localdate() + timedelta(days=days)
    from careloop.messaging.services import message_enqueue

    message_enqueue(
        client=task.client, purpose="recheck_reminder", channel="sms",
        context={"note": record.problem_note, "date": due.isoformat()},
        scheduled_at=None, cause=f"followup_record:{record.pk}", acting_user=acting_user,
    )
    FollowupTask.objects.create(
        client=task.client, encounter=task.encounter, rule=None, due_date=due, window_end=due + timedelta(days=7),
        reason=_("Recheck after a problem found on follow-up"), channel=task.channel, priority=task.priority,
        assignee_id=task.assignee_id, team_id=task.team_id,
    )


@transaction.atomic
def followup_record_sign(*, record: FollowupRecord, acting_user: Any) -> FollowupRecord:
    record = FollowupRecord.objects.select_for_update().get(pk=record.pk)
    if record.signed_at is not None:
        raise ValidationError({"signed_at": _("The record is already signed.")})
    if record.performed_by_id != acting_user.pk:
        raise PermissionDenied(_("Only the person who made the follow-up signs its record."))
    record.signed_by, record.signed_at = acting_user, timezone.now()
    record.save(update_fields=["signed_by", "signed_at"])
    audit_record(actor=acting_user, action="followup_record.sign", obj=record, client=record.client)
    return record


@transaction.atomic
def followup_record_addendum(*, record: FollowupRecord, text: str, acting_user: Any) -> RecordAddendum:
    """A signed record is never rewritten; corrections are added below it."""
    from careloop.followups.permissions import can_work_task

    if not text.strip():
        raise ValidationError({"text": _("Write the addendum.")})
    if not can_work_task(acting_user, record.task, closed_ok=True):
        raise PermissionDenied(_("You may not amend this record."))
    addendum = RecordAddendum.objects.create(record=record, text=text.strip(), by=acting_user)
    audit_record(actor=acting_user, action="followup_record.addendum", obj=record, client=record.client,
                 detail={"addendum": addendum.pk})
    return addendum


# --- escalation (FU-14) --------------------------------------------------------------------------


@transaction.atomic
def escalation_raise(*, task: FollowupTask, record: FollowupRecord | None, summary: str, acting_user: Any) -> Escalation:
    team = task.team
    lead = getattr(team, "lead", None) if team is not None else None
    escalation = Escalation.objects.create(
        client=task.client, task=task, record=record, summary=summary, raised_by=acting_user, lead=lead
    )
    audit_record(actor=acting_user, action="escalation.raise", obj=escalation, client=task.client)
    return escalation


@transaction.atomic
def escalation_refer(*, escalation: Escalation, expert: Any, acting_user: Any) -> Escalation:
    """The lead passes the problem to an expert for consultation (会诊)."""
    from careloop.followups.permissions import is_lead_for

    if not is_lead_for(acting_user, escalation.task):
        raise PermissionDenied(_("Only the team lead refers a problem to an expert."))
    if escalation.status != Escalation.Status.OPEN:
        raise ValidationError({"status": _("This problem has already been referred.")})
    if "expert" not in getattr(expert, "roles", set()):
        raise ValidationError({"expert": _("Choose a health-management expert.")})
    escalation.expert, escalation.status = expert, Escalation.Status.CONSULTING
    escalation.lead = escalation.lead or acting_user
    escalation.save(update_fields=["expert", "status", "lead"])
    audit_record(actor=acting_user, action="escalation.refer", obj=escalation, client=escalation.client,
                 detail={"expert": expert.pk})
    return escalation


@transaction.atomic
def escalation_advise(*, escalation: Escalation, advice: str, acting_user: Any) -> Escalation:
    if escalation.expert_id != acting_user.pk:
        raise PermissionDenied(_("Only the consulted expert records the advice."))
    if escalation.status != Escalation.Status.CONSULTING:
        raise ValidationError({"status": _("This problem is not waiting for advice.")})
    if not advice.strip():
        raise ValidationError({"advice": _("Write the advice.")})
    escalation.advice, escalation.advised_at = advice.strip(), timezone.now()
    escalation.status = Escalation.Status.ADVISED
    escalation.save(update_fields=["advice", "advised_at", "status"])
    audit_record(actor=acting_user, action="escalation.advise", obj=escalation, client=escalation.client)
    return escalation


TRACKING_DAYS = (7, 30)


@transaction.atomic
def escalation_client_told(*, escalation: Escalation, acting_user: Any) -> list[FollowupTask]:
    """The client has been told the advice; tracking follow-ups are scheduled."""
    from careloop.followups.permissions import can_work_task

    if not can_work_task(acting_user, escalation.task, closed_ok=True):
        raise PermissionDenied(_("You may not close this problem."))
    if escalation.status != Escalation.Status.ADVISED:
        raise ValidationError({"status": _("The expert's advice is not recorded yet.")})
    escalation.status, escalation.told_at = Escalation.Status.CLIENT_TOLD, timezone.now()
    escalation.save(update_fields=["status", "told_at"])
    today = timezone.localdate()
    source = escalation.task
    days = getattr(settings, "CARELOOP_FU_TRACKING_DAYS", TRACKING_DAYS)
    tasks = [
        FollowupTask(
            client=escalation.client, encounter=source.encounter, rule=None, sequence=i, total=len(days),
            due_date=today + timedelta(days=d), window_end=today + timedelta(days=d + 3),
            reason=_("Tracking the treatment after an expert consultation"), channel=source.channel,
            priority=source.priority + 20, assignee_id=source.assignee_id, team_id=source.team_id,
        )
        for i, d in enumerate(days, start=1)
    ]
    FollowupTask.objects.bulk_create(tasks)
    audit_record(actor=acting_user, action="escalation.client_told", obj=escalation, client=escalation.client,
                 detail={"tracking_tasks": len(tasks)})
    return tasks
