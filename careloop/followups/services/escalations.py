"""Writes of escalations (SPEC FU-14): a serious problem → the lead → an expert's advice → the client told → tracking."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.followups import policy
from careloop.followups.models import Escalation, FollowupRecord, FollowupTask
from careloop.followups.owners import OwnerChain
from careloop.followups.permissions import can_work_task, is_lead_for
from careloop.followups.services.tasks import followup_task_create
from careloop.org.models import Role, User
from careloop.org.selectors import person_from_pool, staff_pool


@transaction.atomic
def escalation_raise(*, task: FollowupTask, record: FollowupRecord | None, summary: str, acting_user: User) -> Escalation:
    team = task.team
    lead = getattr(team, "lead", None) if team is not None else None
    escalation = Escalation.objects.create(
        client=task.client, task=task, record=record, summary=summary, raised_by=acting_user, lead=lead
    )
    audit_record(actor=acting_user, action="escalation.raise", obj=escalation, client=task.client)
    return escalation


@transaction.atomic
def escalation_refer(*, escalation: Escalation, expert: Any, acting_user: User) -> Escalation:
    """The lead passes the problem to an expert for consultation (会诊)."""
    if not is_lead_for(acting_user, escalation.task):
        raise PermissionDenied(_("Only the team lead refers a problem to an expert."))
    if escalation.status != Escalation.Status.OPEN:
        raise ValidationError({"status": _("This problem has already been referred.")})
    expert = person_from_pool(staff_pool(within=acting_user, roles=[Role.EXPERT]), expert, field="expert")
    escalation.expert, escalation.status = expert, Escalation.Status.CONSULTING
    escalation.lead = escalation.lead or acting_user
    escalation.save(update_fields=["expert", "status", "lead"])
    audit_record(actor=acting_user, action="escalation.refer", obj=escalation, client=escalation.client,
                 detail={"expert": expert.pk})
    return escalation


@transaction.atomic
def escalation_advise(*, escalation: Escalation, advice: str, acting_user: User) -> Escalation:
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


@transaction.atomic
def escalation_client_told(*, escalation: Escalation, acting_user: User) -> list[FollowupTask]:
    """The client has been told the advice; tracking follow-ups are scheduled."""
    if not can_work_task(acting_user, escalation.task):
        raise PermissionDenied(_("You may not close this problem."))
    if escalation.status != Escalation.Status.ADVISED:
        raise ValidationError({"status": _("The expert's advice is not recorded yet.")})
    escalation.status, escalation.told_at = Escalation.Status.CLIENT_TOLD, timezone.now()
    escalation.save(update_fields=["status", "told_at"])
    today = timezone.localdate()
    source = escalation.task
    days = policy.tracking_days()
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Tracking the treatment after an expert consultation")
    owners = OwnerChain()
    tasks = [
        followup_task_create(
            client=escalation.client, encounter_id=source.encounter_id, sequence=i, total=len(days),
            due_date=today + timedelta(days=d), window_end=today + timedelta(days=d + 3),
            reason=reason, channel=source.channel, priority=source.priority + 20,
            assignee_id=source.assignee_id, team_id=source.team_id, owners=owners, acting_user=acting_user,
            origin="escalation_tracking",
        )
        for i, d in enumerate(days, start=1)
    ]
    audit_record(actor=acting_user, action="escalation.client_told", obj=escalation, client=escalation.client,
                 detail={"tracking_tasks": len(tasks)})
    return tasks
