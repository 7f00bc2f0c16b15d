"""Writes of careloop.followups: encounters and their schedules, attempts, records, escalations.

Every function is atomic, takes the acting user as a keyword and writes its audit row in the same
transaction; messages are queued through careloop.messaging (its outbox row is the truth).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.followups import policy
from careloop.followups.ladder import Attempt, decide, within_carrier_limit
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
        self._manager_teams: dict[int, Any] = {}

    def team_for(self, client: Any) -> Any:
        from careloop.org.models import Team

        branch_id = client.branch_id
        if branch_id not in self._teams:
            branch = client.branch
            units = [branch.pk] + [int(p) for p in str(getattr(branch, "path", "") or "").strip("/").split("/") if p.isdigit()]
            team = (
                Team.objects.filter(kind="followup", org_unit_id__in=units)
                .order_by("-org_unit__path", "pk")
                .first()
            )
            self._teams[branch_id] = team
        return self._teams[branch_id]

    def manager_team(self, user_id: int) -> Any:
        """The health manager's follow-up team (the lead who may reassign her tasks)."""
        if user_id not in self._manager_teams:
            from careloop.org.models import Team

            self._manager_teams[user_id] = (
                Team.objects.filter(kind="followup", memberships__user_id=user_id).order_by("pk").first()
            )
        return self._manager_teams[user_id]

    def pick(self, client: Any, due: date) -> tuple[Any, Any]:
        manager_id = getattr(client, "health_manager_id", None)
        if manager_id:
            return manager_id, self.manager_team(manager_id) or self.team_for(client)
        team = self.team_for(client)
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


def _series(rule: FollowupRule) -> str:
    return rule.script or rule.code


@dataclass
class PlanDiff:
    """What re-planning an encounter would do to its tasks (shown before a rule change is applied)."""

    encounter: Encounter
    create: list[FollowupTask] = field(default_factory=list)
    update: list[tuple[FollowupTask, dict[str, Any]]] = field(default_factory=list)
    cancel: list[FollowupTask] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.create or self.update or self.cancel)


def plan_diff(encounter: Encounter, *, rules: list[tuple[FollowupRule, RuleSpec]] | None = None,
              is_first: bool | None = None) -> PlanDiff:
    """Compare the encounter's pending tasks with its plan; done, missed and in-progress tasks never change.

    A task is the same follow-up when it is of the same series (questionnaire series, else rule) on the
    same date: a 14 → 30 day change keeps the done day-3 call even though the bucket rule changed.
    """
    diff = PlanDiff(encounter)
    planned = plan_for(encounter, rules, is_first=is_first) if encounter.status == Encounter.Status.ACTIVE else []
    existing = (
        list(encounter.tasks.select_related("rule")) if encounter.pk and not encounter._state.adding else []
    )
    kept_pending: dict[tuple[str, date], FollowupTask] = {}
    closed_keys: set[tuple[str, date]] = set()
    for task in existing:
        if task.rule is None:
            continue  # ad-hoc tasks (status change, recheck, tracking) are not the plan's
        key = (_series(task.rule), task.due_date)
        if task.status == TaskStatus.PENDING:
            kept_pending[key] = task
        elif task.status != TaskStatus.CANCELLED:
            closed_keys.add(key)
    client = encounter.client
    tier = getattr(client, "tier", "") or ""
    wanted: set[tuple[str, date]] = set()
    for rule, item in planned:
        key = (_series(rule), item.due_date)
        wanted.add(key)
        if key in closed_keys:
            continue
        values = {
            "rule": rule, "sequence": item.sequence, "total": item.total, "window_end": item.window_end,
            "labels": ", ".join(item.labels),
            "priority": task_priority(rule_priority=rule.priority, tier=tier, health_status=encounter.health_status),
        }
        pending_task = kept_pending.get(key)
        if pending_task is not None:
            changes = {k: v for k, v in values.items() if getattr(pending_task, k) != v}
            if changes:
                diff.update.append((pending_task, changes))
            continue
        diff.create.append(FollowupTask(client=client, encounter=encounter, due_date=item.due_date,
                                        channel=rule.channel, **values))
    diff.cancel = [t for k, t in kept_pending.items() if k not in wanted]
    return diff


def _apply_diff(diff: PlanDiff, *, assigner: _Assigner | None = None) -> dict[str, int]:
    assigner = assigner or _Assigner()
    now = timezone.now()
    for task in diff.cancel:
        task.status, task.closed_at, task.close_reason = TaskStatus.CANCELLED, now, _("re-planned")
        task.updated_at = now
    if diff.cancel:
        FollowupTask.objects.bulk_update(diff.cancel, ["status", "closed_at", "close_reason", "updated_at"])
    for task, changes in diff.update:
        for name, value in changes.items():
            setattr(task, name, value)
        task.updated_at = now
    if diff.update:
        FollowupTask.objects.bulk_update(
            [t for t, _c in diff.update],
            ["rule", "sequence", "total", "window_end", "labels", "priority", "updated_at"],
        )
    for task in diff.create:
        task.assignee_id, task.team = assigner.pick(diff.encounter.client, task.due_date)
    if diff.create:
        FollowupTask.objects.bulk_create(diff.create, batch_size=500)
    return {"created": len(diff.create), "updated": len(diff.update), "cancelled": len(diff.cancel)}


def _replan(encounter: Encounter, *, acting_user: Any, is_first: bool | None = None,
            rules: list[tuple[FollowupRule, RuleSpec]] | None = None, assigner: _Assigner | None = None) -> dict[str, int]:
    """Make the encounter's pending tasks match its plan."""
    return _apply_diff(plan_diff(encounter, rules=rules, is_first=is_first), assigner=assigner)


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
    with translation.override(settings.LANGUAGE_CODE):  # stored text: the system language
        reason = _("Health status changed from %(old)s to %(new)s: follow up now") % {
            "old": HealthStatus(old_status).label, "new": encounter.get_health_status_display()}
    return FollowupTask.objects.create(
        client=client, encounter=encounter, rule=None, due_date=today, window_end=today, reason=reason,
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
    from careloop.clients.models import StatusChange

    StatusChange.objects.create(client=client, kind="status", old=client.status, new=lost, changed_by=acting_user,
                                reason=_("%(n)s follow-ups in a row failed") % {"n": limit})
    client.status = lost
    client.save(update_fields=["status", "updated_at"])
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
    """Variables of the followup_notice template: the purpose of the call and the time proposed."""
    local = timezone.localtime(proposed)
    with translation.override(settings.LANGUAGE_CODE):  # the client reads Chinese, whoever clicks
        kind = str(task.encounter.get_kind_display()) if task.encounter_id and task.encounter else ""
        reason = _("follow up on your %(kind)s") % {"kind": kind} if kind else _("ask how you have been recently")
    return {"reason": reason, "proposed_time": local.strftime("%m-%d %H:%M")}


@transaction.atomic
def attempt_record(
    *, task: FollowupTask, outcome: str, at: datetime | None = None, note: str = "", acting_user: Any
) -> AttemptResult:
    """Keep one call attempt and apply the FU-12 ladder: next try time, and the SMS when it is due."""
    if outcome not in CallAttempt.Outcome.values:
        raise ValidationError({"outcome": _("Unknown outcome “%(outcome)s”.") % {"outcome": outcome}})
    at = at if at is not None else timezone.now()
    if timezone.is_naive(at):
        raise ValidationError({"at": _("Give the time with its UTC offset.")})
    task = FollowupTask.objects.select_for_update(of=("self",)).select_related("client").get(pk=task.pk)
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
    recheck_item: str = "",
    feedback_kind: str = "",
    feedback_text: str = "",
    sign: bool = True,
) -> FollowupRecord:
    """Save the signed record of a follow-up and close its task (FU-13), then handle problems (FU-14)."""
    from careloop.followups.permissions import can_work_task

    task = FollowupTask.objects.select_for_update(of=("self",)).select_related("client", "rule").get(pk=task.pk)
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
        problem_note=problem_note, recheck_item=recheck_item[:60], feedback_kind=feedback_kind, feedback_text=feedback_text,
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
        from careloop.followups.complaints import complaint_raise

        complaint_raise(client=task.client, kind=feedback_kind, text=feedback_text, record=record,
                        acting_user=acting_user)
    return record


def _recheck_reminder(task: FollowupTask, record: FollowupRecord, acting_user: Any) -> None:
    """A general problem: guidance given on the call, and a recheck reminder message + task."""
    days = int(getattr(settings, "CARELOOP_FU_RECHECK_DAYS", 14))
    due = timezone.localdate() + timedelta(days=days)
    from careloop.messaging.services import message_enqueue

    message_enqueue(
        client=task.client, purpose="recheck_reminder", channel="sms",
        context={"due_date": due.isoformat(), **({"item": record.recheck_item} if record.recheck_item else {})},
        scheduled_at=None, cause=f"followup_record:{record.pk}", acting_user=acting_user,
    )
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Recheck after a problem found on follow-up")
    FollowupTask.objects.create(
        client=task.client, encounter=task.encounter, rule=None, due_date=due, window_end=due + timedelta(days=7),
        reason=reason, channel=task.channel, priority=task.priority,
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
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Tracking the treatment after an expert consultation")
    tasks = [
        FollowupTask(
            client=escalation.client, encounter=source.encounter, rule=None, sequence=i, total=len(days),
            due_date=today + timedelta(days=d), window_end=today + timedelta(days=d + 3),
            reason=reason, channel=source.channel,
            priority=source.priority + 20, assignee_id=source.assignee_id, team_id=source.team_id,
        )
        for i, d in enumerate(days, start=1)
    ]
    FollowupTask.objects.bulk_create(tasks)
    audit_record(actor=acting_user, action="escalation.client_told", obj=escalation, client=escalation.client,
                 detail={"tracking_tasks": len(tasks)})
    return tasks


# --- rules (administrators) ----------------------------------------------------------------------


def rule_clean(data: dict[str, Any]) -> RuleSpec:
    """Parse rule data, turning engine errors into a field-named ValidationError."""
    from careloop.followups.schedule import RuleDataError, rule_from_data

    try:
        spec = rule_from_data(data)
    except RuleDataError as exc:
        message = str(exc)
        name = message.split(":", 1)[0].split(".", 1)[0].split("[", 1)[0].strip() or "__all__"
        raise ValidationError({name: message}) from exc
    errors: dict[str, str] = {}
    if not spec.kinds:
        errors["kinds"] = _("Choose at least one encounter kind.")
    bad = [k for k in spec.kinds if k not in EncounterKind.values]
    if bad:
        errors["kinds"] = _("Unknown encounter kind “%(kind)s”.") % {"kind": bad[0]}
    if not (spec.steps or spec.cycle):
        errors["steps"] = _("A rule needs steps or a cycle.")
    if errors:
        raise ValidationError(errors)
    return spec


@transaction.atomic
def rule_save(*, rule: FollowupRule | None, data: dict[str, Any], acting_user: Any) -> FollowupRule:
    """Create or change a rule. Pending tasks are not touched here: see rule_apply_pending."""
    from careloop.followups.permissions import require_manage_rules

    require_manage_rules(acting_user)
    rule_clean(data)
    fields = [f for f in FollowupRule.DATA_FIELDS if f in data] + (["active"] if "active" in data else [])
    if rule is None:
        if FollowupRule.objects.filter(code=data["code"]).exists():
            raise ValidationError({"code": _("A rule with this code exists.")})
        rule = FollowupRule(**{f: data[f] for f in fields}, updated_by=acting_user)
        rule.save()
        action, before = "followup_rule.create", None
    else:
        rule = FollowupRule.objects.select_for_update().get(pk=rule.pk)
        before = rule.as_data()
        if data.get("code", rule.code) != rule.code:
            raise ValidationError({"code": _("The code of a rule cannot change.")})
        for f in fields:
            setattr(rule, f, data[f])
        rule.version += 1
        rule.updated_by = acting_user
        rule.save()
        action = "followup_rule.update"
    audit_record(actor=acting_user, action=action, obj=rule, detail={"before": before, "after": rule.as_data()})
    return rule


def rule_affected_encounters(rule: FollowupRule, *, today: date | None = None) -> list[Encounter]:
    """Active encounters a rule change may re-plan: those with pending tasks of it, and recent ones it matches."""
    today = today or timezone.localdate()
    with_tasks = FollowupTask.objects.filter(rule=rule, status=TaskStatus.PENDING).values("encounter_id")
    return list(
        Encounter.objects.filter(status=Encounter.Status.ACTIVE)
        .filter(Q(pk__in=with_tasks) | Q(kind__in=rule.kinds or [], date__gte=today - timedelta(days=400)))
        .select_related("client")
        .order_by("date", "pk")
    )


def rule_pending_diff(rule: FollowupRule, *, limit: int | None = None) -> list[PlanDiff]:
    """The differences applying the current rules would make to pending tasks (nothing is written)."""
    rules = active_rules()
    diffs = []
    for encounter in rule_affected_encounters(rule)[:limit]:
        diff = plan_diff(encounter, rules=rules)
        if not diff.empty:
            diffs.append(diff)
    return diffs


@transaction.atomic
def rule_apply_pending(*, rule: FollowupRule, acting_user: Any) -> dict[str, int]:
    """Re-plan the pending tasks of every encounter the rule affects (done ones never change)."""
    from careloop.followups.permissions import require_manage_rules

    require_manage_rules(acting_user)
    totals = {"encounters": 0, "created": 0, "updated": 0, "cancelled": 0}
    rules = active_rules()
    assigner = _Assigner()
    for encounter in rule_affected_encounters(rule):
        counts = _apply_diff(plan_diff(encounter, rules=rules), assigner=assigner)
        if any(counts.values()):
            totals["encounters"] += 1
            for k, v in counts.items():
                totals[k] += v
    audit_record(actor=acting_user, action="followup_rule.apply", obj=rule, detail=totals)
    return totals


# --- bulk (imports from a HIS or a checkup system) ------------------------------------------------


@dataclass(frozen=True)
class EncounterRow:
    client: Any
    kind: str
    date: _dt.date
    prescription_days: int | None = None
    health_status: str = ""
    report_delivered_on: _dt.date | None = None


@transaction.atomic
def encounter_bulk_create(*, rows: list[EncounterRow], source: str, acting_user: Any) -> list[Encounter]:
    """Record many encounters and schedule their follow-ups in one transaction (all or nothing).

    The same rules and checks as encounter_create; one audit row names every encounter created.
    """
    errors: dict[str, Any] = {}
    for i, row in enumerate(rows):
        try:
            _validate_encounter(kind=row.kind, on=row.date, prescription_days=row.prescription_days,
                                health_status=row.health_status or "")
        except ValidationError as exc:
            errors.update({f"rows[{i}].{k}": v for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    client_ids = {row.client.pk for row in rows}
    seen = set(
        Encounter.objects.filter(client_id__in=client_ids, status=Encounter.Status.ACTIVE)
        .values_list("client_id", flat=True).distinct()
    )
    encounters = Encounter.objects.bulk_create(
        [
            Encounter(client=row.client, kind=row.kind, date=row.date, prescription_days=row.prescription_days,
                      health_status=row.health_status or "", report_delivered_on=row.report_delivered_on,
                      source=source, created_by=acting_user)
            for row in rows
        ],
        batch_size=1000,
    )
    rules = active_rules()
    assigner = _Assigner()
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    day = ops.adapt_datefield_value
    task_rows: list[tuple[Any, ...]] = []
    for encounter in sorted(encounters, key=lambda e: (e.client_id, e.date)):
        is_first = encounter.client_id not in seen
        seen.add(encounter.client_id)
        client = encounter.client
        tier = getattr(client, "tier", "") or ""
        for rule, item in plan_for(encounter, rules, is_first=is_first):
            assignee_id, team = assigner.pick(client, item.due_date)
            task_rows.append((
                client.pk, encounter.pk, rule.pk, item.sequence, item.total, ", ".join(item.labels), "",
                day(item.due_date), day(item.window_end), TaskStatus.PENDING.value, rule.channel,
                task_priority(rule_priority=rule.priority, tier=tier, health_status=encounter.health_status),
                assignee_id, getattr(team, "pk", None), None, 0, None, "", now, now,
            ))
    _insert_task_rows(task_rows)
    tasks = task_rows
    audit_record(actor=acting_user, action="encounter.bulk_create",
                 detail={"source": source, "encounters": [e.pk for e in encounters], "tasks": len(tasks)})
    return encounters


TASK_COLUMNS = (
    "client_id", "encounter_id", "rule_id", "sequence", "total", "labels", "reason", "due_date", "window_end",
    "status", "channel", "priority", "assignee_id", "team_id", "next_attempt_at", "attempt_count", "closed_at",
    "close_reason", "created_at", "updated_at",
)


def _insert_task_rows(rows: list[tuple[Any, ...]]) -> None:
    """Insert planned task rows with one prepared statement (the import path: ~thousands per batch)."""
    if not rows:
        return
    table = connection.ops.quote_name(FollowupTask._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in TASK_COLUMNS)
    # Table and column names come from the model, values are parameters.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(TASK_COLUMNS))})"  # noqa: S608
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3: COPY is several times faster than INSERT
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start:start + 5000])
