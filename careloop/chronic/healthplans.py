"""The personal health plan (SPEC PLN-4): versions, adjustment requests, expert review, the written notice,
and the medication reminders of the current version.

Every write is one atomic function with its audit row; the notice is an outbox row (the letter PDF is
rendered from the stored version on demand), the tracking is a follow-up task.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.chronic.models import (
    AdjustmentStatus,
    HealthPlan,
    MedicationReminderSent,
    PlanAdjustment,
    PlanStatus,
)
from careloop.chronic.permissions import can_write
from careloop.clients.models import Client
from careloop.followups.services.tasks import followup_task_create
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can

PLAN_FIELDS = ("goals", "diet", "exercise", "medication_reminders", "rechecks")
TEXT_FIELDS = ("goals", "diet", "exercise")
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
TRACK_AFTER_DAYS = 14
# Prescription categories of careloop.assessments → the plan's sections.
SECTION_OF = {"diet": "diet", "weight": "diet", "exercise": "exercise", "alcohol": "goals", "smoking": "goals",
              "stress": "goals", "blood_pressure": "goals", "glucose": "goals", "lipids": "goals",
              "cardiovascular": "goals", "uric_acid": "diet", "cancer_screening": "rechecks"}


def _clean_reminders(value: Any) -> list[dict[str, Any]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ValidationError({"medication_reminders": _("Give a list of {medicine, dosage, times}.")})
    clean = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not str(item.get("medicine") or "").strip():
            raise ValidationError({f"medication_reminders[{i}].medicine": _("Name the medicine.")})
        times = item.get("times") or []
        if not isinstance(times, list) or not times or not all(isinstance(t, str) and TIME.match(t) for t in times):
            raise ValidationError({f"medication_reminders[{i}].times": _("Give times as HH:MM, e.g. 08:00.")})
        clean.append({"medicine": str(item["medicine"]).strip()[:100], "dosage": str(item.get("dosage") or "")[:100],
                      "times": sorted(set(times))})
    return clean


def _clean_rechecks(value: Any) -> list[dict[str, Any]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ValidationError({"rechecks": _("Give a list of {item, due}.")})
    clean = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not str(item.get("item") or "").strip():
            raise ValidationError({f"rechecks[{i}].item": _("Name what to recheck.")})
        due = str(item.get("due") or "")
        if due:
            try:
                dt.date.fromisoformat(due)
            except ValueError:
                raise ValidationError({f"rechecks[{i}].due": _("Give a date as YYYY-MM-DD.")}) from None
        clean.append({"item": str(item["item"]).strip()[:200], "due": due})
    return clean


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in fields:
            text = str(fields[name] or "").strip()
            if len(text) > 5000:
                raise ValidationError({name: _("Keep it under 5000 characters.")})
            out[name] = text
    if "medication_reminders" in fields:
        out["medication_reminders"] = _clean_reminders(fields["medication_reminders"])
    if "rechecks" in fields:
        out["rechecks"] = _clean_rechecks(fields["rechecks"])
    return out


def draft_from_prescription(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The first version's sections from an assessment's prescription items."""
    sections: dict[str, list[str]] = {"goals": [], "diet": [], "exercise": [], "rechecks": []}
    for item in items:
        text = str(item.get("text") or "").strip()
        if text:
            sections[SECTION_OF.get(str(item.get("category")), "goals")].append(text)
    return {"goals": "\n".join(sections["goals"]), "diet": "\n".join(sections["diet"]),
            "exercise": "\n".join(sections["exercise"]),
            "rechecks": [{"item": t, "due": ""} for t in sections["rechecks"]], "medication_reminders": []}


@transaction.atomic
def health_plan_create(*, client: Client, acting_user: User, fields: dict[str, Any] | None = None) -> HealthPlan:
    """Version 1 of the client's plan, drafted from the latest assessment's prescription (fields given
    override the draft). A client with a plan changes it through an adjustment."""
    if not can_write(acting_user):
        raise PermissionDenied(_("Your role does not allow writing health plans."))
    if HealthPlan.objects.select_for_update().filter(client=client).exists():
        raise ValidationError({"client": _("This client already has a plan: request an adjustment instead.")})
    from careloop.assessments.selectors import client_assessments  # published read of assessments

    assessment = client_assessments(client).filter(status="issued").first() or client_assessments(client).first()
    draft = draft_from_prescription(list(assessment.prescription or [])) if assessment else draft_from_prescription([])
    draft.update(_clean(fields or {}))
    origin = (_("assessment of %(d)s") % {"d": timezone.localtime(assessment.created_at).strftime("%Y-%m-%d")}
              if assessment else "")
    plan = HealthPlan.objects.create(client=client, version=1, created_by=acting_user, origin=origin[:200], **draft)
    audit_record(actor=acting_user, action="chronic.health_plan_create", obj=plan, client=client,
                 detail={"assessment": getattr(assessment, "pk", None)})
    return plan


def current_plan(client: Client) -> HealthPlan | None:
    return HealthPlan.objects.filter(client=client, status=PlanStatus.CURRENT).first()


@transaction.atomic
def plan_adjustment_request(*, plan: HealthPlan, reason: str, content: Any, expected_effect: str,
                            acting_user: User) -> PlanAdjustment:
    if not can_write(acting_user):
        raise PermissionDenied(_("Your role does not allow requesting plan changes."))
    plan = HealthPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.CURRENT:
        raise ValidationError({"plan": _("Only the current version can be adjusted.")})
    errors = {}
    if not str(reason or "").strip():
        errors["reason"] = _("Say why the plan should change.")
    if not str(expected_effect or "").strip():
        errors["expected_effect"] = _("Say what the change should achieve.")
    if isinstance(content, str):
        content = {"goals": plan.goals + ("\n" if plan.goals else "") + content.strip()} if content.strip() else {}
    if not isinstance(content, dict) or not any(k in PLAN_FIELDS for k in content):
        errors["content"] = _("Give the changed sections: goals, diet, exercise, medication_reminders or rechecks.")
    if errors:
        raise ValidationError(errors)
    clean = _clean({k: v for k, v in content.items() if k in PLAN_FIELDS})
    if plan.adjustments.filter(status=AdjustmentStatus.PENDING).exists():
        raise ValidationError({"plan": _("An adjustment of this plan is already waiting for review.")})
    adjustment = PlanAdjustment.objects.create(plan=plan, reason=str(reason).strip()[:2000], content=clean,
                                               expected_effect=str(expected_effect).strip()[:2000],
                                               requested_by=acting_user)
    audit_record(actor=acting_user, action="chronic.adjustment_request", obj=adjustment, client=plan.client_id,
                 detail={"plan": plan.pk, "version": plan.version, "sections": sorted(clean)})
    return adjustment


@transaction.atomic
def plan_adjustment_review(*, adjustment: PlanAdjustment, decision: str, opinion: str,
                           acting_user: User) -> PlanAdjustment:
    """An expert approves or rejects, with an opinion; never the requester. Approval makes the next version,
    queues the written notice and opens the follow-up that tracks the change."""
    if not user_can(acting_user, Cap.CONSULT):
        raise PermissionDenied(_("Only the expert team reviews plan changes."))
    adjustment = PlanAdjustment.objects.select_for_update().select_related("plan__client").get(pk=adjustment.pk)
    if adjustment.requested_by_id == getattr(acting_user, "pk", None):
        raise PermissionDenied(_("You cannot review your own request."))
    if adjustment.status != AdjustmentStatus.PENDING:
        raise ValidationError({"decision": _("This request was already decided (%(s)s).") % {
            "s": adjustment.get_status_display()}})
    if decision not in ("approve", "reject"):
        raise ValidationError({"decision": _("Choose approve or reject.")})
    opinion = str(opinion or "").strip()
    if not opinion:
        raise ValidationError({"opinion": _("Give your opinion (for a rejection: why).")})
    now = timezone.now()
    adjustment.reviewer, adjustment.opinion, adjustment.reviewed_at = acting_user, opinion[:2000], now
    plan = adjustment.plan
    client = plan.client
    if decision == "reject":
        adjustment.status = AdjustmentStatus.REJECTED
        adjustment.save(update_fields=["reviewer", "opinion", "reviewed_at", "status"])
        audit_record(actor=acting_user, action="chronic.adjustment_reject", obj=adjustment, client=client,
                     detail={"opinion": opinion[:200]})
        return adjustment
    plan = HealthPlan.objects.select_for_update().get(pk=plan.pk)
    plan.status = PlanStatus.REPLACED
    plan.save(update_fields=["status"])
    values = {f: getattr(plan, f) for f in PLAN_FIELDS}
    values.update(adjustment.content)
    nxt = HealthPlan.objects.create(client=client, version=plan.version + 1, created_by=acting_user,
                                    origin=(_("adjustment #%(n)d") % {"n": adjustment.pk})[:200], **values)
    from careloop.messaging.services import message_enqueue, messages_cancel_for_client

    # The replaced version's medication reminders stop: the pending ones are cancelled (the current
    # version's are queued by the next run of the reminder job).
    messages_cancel_for_client(client=client, reason="health plan version replaced", purposes=("medication_reminder",),
                               acting_user=acting_user)
    with translation.override(settings.LANGUAGE_CODE):
        summary = "、".join(str(row["label"]) for row in plan_diff(plan, nxt)) or str(_("see the written notice"))
        track = _("Track the plan change (version %(v)d): %(effect)s") % {"v": nxt.version,
                                                                           "effect": adjustment.expected_effect[:100]}
    # A change to the client's own plan is service communication (reminders consent), not a health tip
    # (marketing consent, which a client may refuse or opt out of without losing the notice).
    outcome = message_enqueue(client=client, purpose="plan_change_notice", channel="letter",
                              context={"version": nxt.version, "summary": summary[:200]},
                              cause=f"chronic.adjustment:{adjustment.pk}", acting_user=acting_user)
    due = timezone.localdate() + dt.timedelta(days=TRACK_AFTER_DAYS)
    task = followup_task_create(client=client, due_date=due, reason=track, acting_user=acting_user,
                                origin="plan_adjustment")
    adjustment.status, adjustment.next_plan = AdjustmentStatus.APPROVED, nxt
    adjustment.task_id, adjustment.message_id = task.pk, getattr(outcome.message, "pk", None)
    adjustment.save(update_fields=["reviewer", "opinion", "reviewed_at", "status", "next_plan", "task_id",
                                   "message_id"])
    audit_record(actor=acting_user, action="chronic.adjustment_approve", obj=adjustment, client=client,
                 detail={"from": plan.version, "to": nxt.version, "task": task.pk,
                         "message": adjustment.message_id, "refused": outcome.refused or ""})
    return adjustment


def plan_diff(old: HealthPlan | None, new: HealthPlan) -> list[dict[str, Any]]:
    """The sections that changed between two versions, each with its before and after text."""
    rows = []
    for name in PLAN_FIELDS:
        before, after = (getattr(old, name) if old else None), getattr(new, name)
        if before != after:
            rows.append({"field": name, "label": getattr(HealthPlan._meta.get_field(name), "verbose_name", name),
                         "before": _as_text(before), "after": _as_text(after)})
    return rows


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        lines = []
        for item in value:
            if "medicine" in item:
                lines.append(f"{item['medicine']} {item.get('dosage', '')} {'、'.join(item.get('times', []))}".strip())
            else:
                lines.append(f"{item.get('item', '')} {item.get('due', '')}".strip())
        return "\n".join(lines)
    return str(value)


def medication_reminders_send(*, now: dt.datetime | None = None, window_minutes: int = 15,
                              acting_user: User | None = None) -> int:
    """Queue a ``medication_reminder`` for each reminder time of a CURRENT plan version falling in the next
    window (the outbox applies consent and quiet hours); a replaced version sends nothing more. Idempotent."""
    from careloop.messaging.services import message_enqueue

    now = timezone.localtime(now or timezone.now())
    end = now + dt.timedelta(minutes=window_minutes)
    queued = 0
    plans = HealthPlan.objects.filter(status=PlanStatus.CURRENT, client__status="active").exclude(
        medication_reminders=[]).select_related("client")
    for plan in plans.iterator(chunk_size=500):
        for item in plan.medication_reminders:
            for hhmm in item.get("times", []):
                hour, minute = (int(p) for p in hhmm.split(":"))
                at = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
                if not (now <= at < end):
                    continue
                with transaction.atomic():
                    _row, created = MedicationReminderSent.objects.get_or_create(
                        plan=plan, day=at.date(), time=hhmm, medicine=item["medicine"][:100])
                    if not created:
                        continue
                    outcome = message_enqueue(client=plan.client, purpose="medication_reminder", scheduled_at=at,
                                              context={"medicine": item["medicine"], "dosage": item.get("dosage", "")},
                                              cause=f"chronic.health_plan:{plan.pk}", acting_user=acting_user)
                    if outcome.message is not None:
                        MedicationReminderSent.objects.filter(pk=_row.pk).update(message_id=outcome.message.pk)
                        queued += 1
    return queued
