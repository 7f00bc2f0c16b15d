"""Writes of follow-up rules (administrators): save, and re-plan the pending tasks a change affects."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.followups.models import (
    Encounter,
    EncounterKind,
    FollowupRule,
    FollowupTask,
    PlannedMessage,
    RuleAction,
    TaskStatus,
)
from careloop.followups.owners import OwnerChain
from careloop.followups.permissions import require_manage_rules
from careloop.followups.schedule import RuleDataError, RuleSpec, rule_from_data
from careloop.followups.services.planning import (
    PlanDiff,
    _apply_diff,
    active_rules,
    consent_withdrawn_ids,
    plan_diff,
    zero_counts,
)
from careloop.messaging.models import Channel as MessageChannel
from careloop.messaging.models import Purpose as MessagePurpose
from careloop.org.models import User


def rule_clean(data: dict[str, Any]) -> RuleSpec:
    """Parse rule data, turning engine errors into a field-named ValidationError."""
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
    errors.update(_action_errors(data))
    if errors:
        raise ValidationError(errors)
    return spec


def _action_errors(data: dict[str, Any]) -> dict[str, str]:
    """A message rule names a template (by purpose) and a channel the outbox has."""
    action = data.get("action") or RuleAction.TASK
    if action not in RuleAction.values:
        return {"action": _("Unknown action “%(value)s”.") % {"value": action}}
    purpose = data.get("message_purpose") or ""
    if purpose and purpose not in MessagePurpose.values:
        return {"message_purpose": _("Unknown message template “%(value)s”.") % {"value": purpose}}
    if action != RuleAction.MESSAGE:
        return {}
    errors: dict[str, str] = {}
    if not purpose:
        errors["message_purpose"] = _("A message rule needs the message template it sends.")
    if data.get("channel") not in MessageChannel.values:
        errors["channel"] = _("A message rule sends by SMS, e-mail, WeChat or letter.")
    return errors


@transaction.atomic
def rule_save(*, rule: FollowupRule | None, data: dict[str, Any], acting_user: User) -> FollowupRule:
    """Create or change a rule. Pending tasks are not touched here: see rule_apply_pending."""
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
    with_messages = PlannedMessage.objects.filter(rule=rule, status=PlannedMessage.Status.PLANNED).values(
        "encounter_id")
    return list(
        Encounter.objects.filter(status=Encounter.Status.ACTIVE)
        .filter(Q(pk__in=with_tasks) | Q(pk__in=with_messages)
                | Q(kind__in=rule.kinds or [], date__gte=today - timedelta(days=400)))
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
def rule_apply_pending(*, rule: FollowupRule, acting_user: User) -> dict[str, int]:
    """Re-plan the pending tasks of every encounter the rule affects (done ones never change)."""
    require_manage_rules(acting_user)
    totals = {"encounters": 0, **zero_counts()}
    rules = active_rules()
    owners = OwnerChain()
    encounters = rule_affected_encounters(rule)
    suspended = consent_withdrawn_ids({e.client_id for e in encounters})  # no health-data consent: no new work
    for encounter in encounters:
        counts = _apply_diff(plan_diff(encounter, rules=rules, suspended=encounter.client_id in suspended),
                             owners=owners)
        if any(counts.values()):
            totals["encounters"] += 1
            for k, v in counts.items():
                totals[k] += v
    audit_record(actor=acting_user, action="followup_rule.apply", obj=rule, detail=totals)
    return totals
