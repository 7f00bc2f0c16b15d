"""Writes of the plan: encounters and the follow-up series they start (SPEC RPT-1, FU-1…FU-6).

A rule is per encounter (every matching encounter runs its own series) or per client (its
``client_series`` is set): then a client has one running series of that name — a new encounter's
series replaces the pending rest of the previous one, with the reason written on the cancelled tasks.
Occurrences already past by more than the history grace period are not created (they are counted
as skipped in the audit row), so a checkup imported months late does not flood the worklist.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.followups import policy
from careloop.followups.models import (
    TCM_KINDS,
    Encounter,
    EncounterKind,
    FollowupRule,
    FollowupTask,
    HealthStatus,
    PlannedMessage,
    RuleAction,
    TaskStatus,
)
from careloop.followups.owners import OwnerChain
from careloop.followups.permissions import require_encounter_write
from careloop.followups.schedule import EncounterFacts, PlannedFollowup, RuleSpec, plan_schedule
from careloop.followups.services.reminders import planned_messages_cancel, window_passed
from careloop.followups.services.tasks import followup_task_create, owners_for, tasks_cancel
from careloop.org.models import User
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


def too_old(item: PlannedFollowup, today: date) -> bool:
    """An occurrence past by more than the grace period is skipped, not made an overdue call."""
    return (item.window_end or item.due_date) < today - timedelta(days=policy.history_grace_days())


def _series(rule: FollowupRule) -> str:
    return rule.script or rule.code


HEALTH_DATA = "health_data"


def consent_withdrawn_ids(client_ids: set[int] | list[int]) -> set[int]:
    """The clients whose latest health-data consent is a withdrawal (no record at all is not a withdrawal)."""
    from careloop.clients.models import Consent

    latest: dict[int, bool] = {}
    for client_id, granted in (Consent.objects.filter(client_id__in=list(client_ids), purpose=HEALTH_DATA)
                               .order_by("given_at", "id").values_list("client_id", "granted")):
        latest[client_id] = granted
    return {c for c, granted in latest.items() if not granted}


def client_plannable(client: Any) -> bool:
    """Follow-up work is planned for active clients only (deceased, opted out, lost, cured: none)."""
    return getattr(client, "status", "active") == "active"


@dataclass
class PlanDiff:
    """What re-planning an encounter would do to its tasks (shown before a rule change is applied)."""

    encounter: Encounter
    create: list[FollowupTask] = field(default_factory=list)
    update: list[tuple[FollowupTask, dict[str, Any]]] = field(default_factory=list)
    cancel: list[FollowupTask] = field(default_factory=list)
    replaced: list[FollowupTask] = field(default_factory=list)  # per-client series of other encounters
    skipped: int = 0
    # The same for the occurrences of message rules (planned messages, not tasks).
    messages_create: list[PlannedMessage] = field(default_factory=list)
    messages_update: list[tuple[PlannedMessage, dict[str, Any]]] = field(default_factory=list)
    messages_cancel: list[PlannedMessage] = field(default_factory=list)
    messages_replaced: list[PlannedMessage] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.create or self.update or self.cancel or self.replaced or self.messages_create
                    or self.messages_update or self.messages_cancel or self.messages_replaced)


COUNT_KEYS = ("created", "updated", "cancelled", "replaced", "skipped", "messages_planned", "messages_cancelled")


def zero_counts() -> dict[str, int]:
    return dict.fromkeys(COUNT_KEYS, 0)


def _newer_encounter_kinds(encounter: Encounter) -> set[str]:
    if not encounter.pk:
        return set()
    newer = Encounter.objects.filter(client_id=encounter.client_id, status=Encounter.Status.ACTIVE).exclude(
        pk=encounter.pk)
    newer = newer.filter(date__gt=encounter.date) | newer.filter(date=encounter.date, pk__gt=encounter.pk)
    return set(newer.values_list("kind", flat=True))


def plan_diff(encounter: Encounter, *, rules: list[tuple[FollowupRule, RuleSpec]] | None = None,
              is_first: bool | None = None, today: date | None = None, suspended: bool = False) -> PlanDiff:
    """Compare the encounter's pending tasks with its plan; done, missed and in-progress tasks never change.

    A task is the same follow-up when it is of the same series (questionnaire series, else rule) on the
    same date: a 14 → 30 day change keeps the done day-3 call even though the bucket rule changed.
    """
    today = today or timezone.localdate()
    diff = PlanDiff(encounter)
    client = encounter.client
    active = encounter.status == Encounter.Status.ACTIVE and client_plannable(client) and not suspended
    planned = plan_for(encounter, rules, is_first=is_first) if active else []
    if any(rule.client_series for rule, _item in planned):
        newer = _newer_encounter_kinds(encounter)  # a newer encounter carries the client's series
        planned = [(r, i) for r, i in planned if not (r.client_series and newer & set(r.kinds or []))]
    series = {rule.client_series for rule, _item in planned if rule.client_series}
    _message_diff(diff, [(r, i) for r, i in planned if r.action == RuleAction.MESSAGE], series, today)
    planned = [(r, i) for r, i in planned if r.action != RuleAction.MESSAGE]
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
        if too_old(item, today):
            diff.skipped += 1
            continue
        diff.create.append(FollowupTask(client=client, encounter=encounter, due_date=item.due_date,
                                        channel=rule.channel, **values))
    diff.cancel = [t for k, t in kept_pending.items() if k not in wanted]
    if series and encounter.pk:
        diff.replaced = list(
            FollowupTask.objects.filter(client_id=client.pk, status=TaskStatus.PENDING,
                                        rule__client_series__in=series)
            .exclude(encounter_id=encounter.pk).select_related("rule")
        )
    return diff


def _message_diff(diff: PlanDiff, planned: list[tuple[FollowupRule, PlannedFollowup]], series: set[str],
                  today: date) -> None:
    """The planned messages of the encounter against its plan; handed-over, refused and skipped ones never change."""
    encounter, client = diff.encounter, diff.encounter.client
    existing = (list(encounter.planned_messages.select_related("rule"))
                if encounter.pk and not encounter._state.adding else [])
    kept: dict[tuple[str, date], PlannedMessage] = {}
    closed: set[tuple[str, date]] = set()
    for row in existing:
        key = (_series(row.rule), row.due_date)
        if row.status == PlannedMessage.Status.PLANNED:
            kept[key] = row
        elif row.status != PlannedMessage.Status.CANCELLED:
            closed.add(key)
    wanted: set[tuple[str, date]] = set()
    for rule, item in planned:
        key = (_series(rule), item.due_date)
        wanted.add(key)
        if key in closed:
            continue
        values = {"rule": rule, "sequence": item.sequence, "total": item.total, "window_end": item.window_end,
                  "labels": ", ".join(item.labels), "purpose": rule.message_purpose, "channel": rule.channel}
        pending = kept.get(key)
        if pending is not None:
            changes = {k: v for k, v in values.items() if getattr(pending, k) != v}
            if changes:
                diff.messages_update.append((pending, changes))
            continue
        if window_passed(item, today):
            diff.skipped += 1
            continue
        diff.messages_create.append(PlannedMessage(client=client, encounter=encounter, due_date=item.due_date,
                                                   **values))
    diff.messages_cancel = [row for k, row in kept.items() if k not in wanted]
    if series and encounter.pk:
        diff.messages_replaced = list(
            PlannedMessage.objects.filter(client_id=client.pk, status=PlannedMessage.Status.PLANNED,
                                          rule__client_series__in=series).exclude(encounter_id=encounter.pk))


def _replaced_reason(encounter: Encounter) -> str:
    with translation.override(settings.LANGUAGE_CODE):  # stored text: the system language
        return _("replaced by the follow-up series of the %(kind)s on %(date)s") % {
            "kind": encounter.get_kind_display(), "date": encounter.date.isoformat()}


def _apply_diff(diff: PlanDiff, *, owners: OwnerChain | None = None) -> dict[str, int]:
    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        replanned = _("re-planned")
    tasks_cancel(diff.cancel, reason=replanned)
    tasks_cancel(diff.replaced, reason=_replaced_reason(diff.encounter))
    for task, changes in diff.update:
        for name, value in changes.items():
            setattr(task, name, value)
        task.updated_at = now
    if diff.update:
        FollowupTask.objects.bulk_update(
            [t for t, _c in diff.update],
            ["rule", "sequence", "total", "window_end", "labels", "priority", "updated_at"],
        )
    owners_for(diff.create, owners=owners)
    if diff.create:
        FollowupTask.objects.bulk_create(diff.create, batch_size=500)
    planned_messages_cancel(diff.messages_cancel, reason=replanned)
    planned_messages_cancel(diff.messages_replaced, reason=_replaced_reason(diff.encounter))
    for row, changes in diff.messages_update:
        for name, value in changes.items():
            setattr(row, name, value)
        row.updated_at = now
    if diff.messages_update:
        PlannedMessage.objects.bulk_update(
            [r for r, _c in diff.messages_update],
            ["rule", "sequence", "total", "window_end", "labels", "purpose", "channel", "updated_at"])
    if diff.messages_create:
        PlannedMessage.objects.bulk_create(diff.messages_create, batch_size=500)
    return {"created": len(diff.create), "updated": len(diff.update), "cancelled": len(diff.cancel),
            "replaced": len(diff.replaced), "skipped": diff.skipped, "messages_planned": len(diff.messages_create),
            "messages_cancelled": len(diff.messages_cancel) + len(diff.messages_replaced)}


def _replan(encounter: Encounter, *, acting_user: User | None, is_first: bool | None = None,
            rules: list[tuple[FollowupRule, RuleSpec]] | None = None, owners: OwnerChain | None = None,
            suspended: bool = False) -> dict[str, int]:
    """Make the encounter's pending tasks match its plan."""
    return _apply_diff(plan_diff(encounter, rules=rules, is_first=is_first, suspended=suspended), owners=owners)


def client_replan(*, client: Any, acting_user: User | None, encounters: list[Encounter] | None = None,
                  rules: list[tuple[FollowupRule, RuleSpec]] | None = None, owners: OwnerChain | None = None,
                  suspended: bool | None = None) -> dict[str, int]:
    """Re-plan every active encounter of a client (reactivation, consent given again, a tier change).

    A batch (many tier moves) passes what it loaded once for every client: the client's active
    encounters in date order, the rules, one owner chain, and whether the client's consent is withdrawn.
    """
    totals = zero_counts()
    rules = active_rules() if rules is None else rules
    owners = OwnerChain() if owners is None else owners
    if suspended is None:
        suspended = client.pk in consent_withdrawn_ids([client.pk])
    if encounters is None:
        encounters = list(Encounter.objects.filter(client_id=client.pk, status=Encounter.Status.ACTIVE)
                          .order_by("date", "pk"))
    for encounter in encounters:
        encounter.client = client
        for k, v in _replan(encounter, acting_user=acting_user, rules=rules, owners=owners,
                            suspended=suspended).items():
            totals[k] += v
    return totals


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
    acting_user: User | None,
    report_delivered_on: date | None = None,
    owners: OwnerChain | None = None,
) -> Encounter:
    """Record an encounter and schedule its follow-ups in the same transaction."""
    require_encounter_write(acting_user, client)
    health_status = health_status or ""
    _validate_encounter(kind=kind, on=date, prescription_days=prescription_days, health_status=health_status)
    encounter = Encounter.objects.create(
        client=client, kind=kind, date=date, prescription_days=prescription_days, health_status=health_status,
        report_delivered_on=report_delivered_on, source=source, created_by=acting_user,
    )
    counts = _replan(encounter, acting_user=acting_user, owners=owners,
                     suspended=client.pk in consent_withdrawn_ids([client.pk]))
    audit_record(
        actor=acting_user, action="encounter.create", obj=encounter, client=client,
        detail={"kind": kind, "date": date.isoformat(), "prescription_days": prescription_days,
                "health_status": health_status, "source": source, **counts},
    )
    return encounter


ENCOUNTER_CHANGEABLE = ("kind", "date", "prescription_days", "health_status", "report_delivered_on", "source")


@transaction.atomic
def encounter_update(*, encounter: Encounter, acting_user: User, **changes: Any) -> Encounter:
    """Change an encounter and re-plan its pending tasks (done ones are never touched).

    A change of a checkup's health status (SPEC FU-1 "a sudden change") also adds a follow-up due today.
    """
    unknown = sorted(set(changes) - set(ENCOUNTER_CHANGEABLE))
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})
    if encounter.status == Encounter.Status.CANCELLED:
        raise ValidationError({"status": _("A cancelled encounter cannot be changed.")})
    encounter = Encounter.objects.select_for_update().select_related("client").get(pk=encounter.pk)
    require_encounter_write(acting_user, encounter.client)
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
    if ("health_status" in changed and encounter.kind == EncounterKind.CHECKUP and before["health_status"]
            and client_plannable(encounter.client)):
        _status_change_task(encounter, before["health_status"], acting_user=acting_user)
        counts["created"] += 1
    audit_record(
        actor=acting_user, action="encounter.update", obj=encounter, client=encounter.client,
        detail={"changes": {n: [str(before[n]), str(getattr(encounter, n))] for n in changed}, **counts},
    )
    return encounter


def _status_change_task(encounter: Encounter, old_status: str, *, acting_user: User) -> FollowupTask:
    today = timezone.localdate()
    client = encounter.client
    with translation.override(settings.LANGUAGE_CODE):  # stored text: the system language
        reason = _("Health status changed from %(old)s to %(new)s: follow up now") % {
            "old": HealthStatus(old_status).label, "new": encounter.get_health_status_display()}
    return followup_task_create(
        client=client, encounter_id=encounter.pk, due_date=today, window_end=today, reason=reason,
        priority=task_priority(rule_priority=50, tier=getattr(client, "tier", ""), health_status=encounter.health_status),
        acting_user=acting_user, origin="health_status_change",
    )


@transaction.atomic
def encounter_cancel(*, encounter: Encounter, reason: str, acting_user: User) -> Encounter:
    """Cancel an encounter (entered by mistake, the client died…): its pending tasks are cancelled."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the encounter is cancelled.")})
    encounter = Encounter.objects.select_for_update().select_related("client").get(pk=encounter.pk)
    require_encounter_write(acting_user, encounter.client)
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


# --- bulk (imports from a HIS or a checkup system) ------------------------------------------------


@dataclass(frozen=True)
class EncounterRow:
    client: Any
    kind: str
    date: _dt.date
    prescription_days: int | None = None
    health_status: str = ""
    report_delivered_on: _dt.date | None = None


def _latest_encounter_dates(client_ids: set[int]) -> dict[int, date]:
    from django.db.models import Max

    return dict(
        Encounter.objects.filter(client_id__in=client_ids, status=Encounter.Status.ACTIVE)
        .values_list("client_id").annotate(last=Max("date")).values_list("client_id", "last")
    )


@transaction.atomic
def encounter_bulk_create(  # noqa: C901 (one pass over the rows: checks, series, owners, bulk inserts)
    *, rows: list[EncounterRow], source: str, acting_user: User
) -> list[Encounter]:
    """Record many encounters and schedule their follow-ups in one transaction (all or nothing).

    The same rules and checks as encounter_create; one audit row names every encounter created.
    Per-client series: within the batch the client's latest encounter carries them, and pending
    tasks of the same series from earlier encounters are replaced.
    """
    errors: dict[str, Any] = {}
    for i, row in enumerate(rows):
        try:
            _validate_encounter(kind=row.kind, on=row.date, prescription_days=row.prescription_days,
                                health_status=row.health_status or "")
        except ValidationError as exc:
            errors.update({f"rows[{i}].{k}": v for k, v in exc.message_dict.items()})
        try:
            require_encounter_write(acting_user, row.client)
        except PermissionDenied:
            errors[f"rows[{i}].client"] = _("This client is outside your part of the organisation.")
    if errors:
        raise ValidationError(errors)
    client_ids = {row.client.pk for row in rows}
    previous = _latest_encounter_dates(client_ids)
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
    owners = OwnerChain()
    owners.preload_managers({row.client.health_manager_id for row in rows if row.client.health_manager_id})
    today = timezone.localdate()
    ordered = sorted(encounters, key=lambda e: (e.client_id, e.date, e.pk))
    last_in_batch = {e.client_id: e for e in ordered}
    ops = connection.ops
    now = ops.adapt_datetimefield_value(timezone.now())
    day = ops.adapt_datefield_value
    task_rows: list[tuple[Any, ...]] = []
    message_rows: list[PlannedMessage] = []
    skipped = 0
    series_started: dict[int, set[str]] = {}
    seen = set(previous)
    suspended = consent_withdrawn_ids(client_ids)
    for encounter in ordered:
        is_first = encounter.client_id not in seen
        seen.add(encounter.client_id)
        client = encounter.client
        if not client_plannable(client) or client.pk in suspended:
            continue
        carries_series = last_in_batch[encounter.client_id] is encounter and (
            encounter.client_id not in previous or previous[encounter.client_id] <= encounter.date)
        tier = getattr(client, "tier", "") or ""
        for rule, item in plan_for(encounter, rules, is_first=is_first):
            if rule.client_series:
                if not carries_series:
                    continue
                series_started.setdefault(client.pk, set()).add(rule.client_series)
            if rule.action == RuleAction.MESSAGE:
                if window_passed(item, today):
                    skipped += 1
                else:
                    message_rows.append(PlannedMessage(
                        client=client, encounter=encounter, rule=rule, sequence=item.sequence, total=item.total,
                        labels=", ".join(item.labels), purpose=rule.message_purpose, channel=rule.channel,
                        due_date=item.due_date, window_end=item.window_end))
                continue
            if too_old(item, today):
                skipped += 1
                continue
            assignee_id, team_id = owners.pick(client, item.due_date)
            task_rows.append((
                client.pk, encounter.pk, rule.pk, item.sequence, item.total, ", ".join(item.labels), "",
                day(item.due_date), day(item.window_end), TaskStatus.PENDING.value, rule.channel,
                task_priority(rule_priority=rule.priority, tier=tier, health_status=encounter.health_status),
                assignee_id, team_id, None, 0, None, "", now, now,
            ))
    replaced = 0
    if series_started:
        earlier = [c for c in series_started if c in previous]  # new clients have nothing to replace
        all_series = set().union(*series_started.values())
        by_client: dict[int, list[FollowupTask]] = {}
        for start in range(0, len(earlier), 1000):
            for task in FollowupTask.objects.filter(
                    client_id__in=earlier[start:start + 1000], status=TaskStatus.PENDING,
                    rule__client_series__in=all_series).select_related("rule"):
                if task.rule is not None and task.rule.client_series in series_started[task.client_id]:
                    by_client.setdefault(task.client_id, []).append(task)
        for client_id, old in by_client.items():
            replaced += tasks_cancel(old, reason=_replaced_reason(last_in_batch[client_id]))
        old_messages: dict[int, list[PlannedMessage]] = {}
        for start in range(0, len(earlier), 1000):
            for planned_message in PlannedMessage.objects.filter(
                    client_id__in=earlier[start:start + 1000], status=PlannedMessage.Status.PLANNED,
                    rule__client_series__in=all_series).select_related("rule"):
                if planned_message.rule.client_series in series_started[planned_message.client_id]:
                    old_messages.setdefault(planned_message.client_id, []).append(planned_message)
        for client_id, rows_of_client in old_messages.items():
            replaced += planned_messages_cancel(rows_of_client, reason=_replaced_reason(last_in_batch[client_id]))
    _insert_task_rows(task_rows)
    PlannedMessage.objects.bulk_create(message_rows, batch_size=1000)
    audit_record(actor=acting_user, action="encounter.bulk_create",
                 detail={"source": source, "encounters": [e.pk for e in encounters], "tasks": len(task_rows),
                         "messages_planned": len(message_rows), "skipped": skipped, "replaced": replaced})
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

