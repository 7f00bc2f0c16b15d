"""What a client's status, tier and consent do to the follow-up work (issue 9 item 3), in the same transaction.

Registered in careloop.clients' hook lists by FollowupsConfig.ready():

* deceased, opted out, lost — every open task is cancelled with the reason, pending messages too;
* cured — disease follow-up ends (open tasks cancelled, upkeep kept) and the FU-4 cured series starts;
* back to active — every active encounter is re-planned (past occurrences skipped, see planning);
* a tier change — re-planned, so the per-client upkeep series follows the new tier;
* consent to health-data processing withdrawn — follow-up work is suspended (open tasks cancelled)
  and result-bearing messages are cancelled; consent given again — re-planned.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record, audit_record_many
from careloop.followups.models import (
    OPEN_STATUSES,
    Encounter,
    FollowupRule,
    FollowupTask,
    HealthStatus,
    PlannedMessage,
    RuleAction,
)
from careloop.followups.owners import OwnerChain
from careloop.followups.schedule import EncounterFacts, plan_schedule
from careloop.followups.services.planning import (
    HEALTH_DATA,
    active_rules,
    client_replan,
    consent_withdrawn_ids,
    task_priority,
    too_old,
)
from careloop.followups.services.reminders import planned_messages_cancel_for_client, window_passed
from careloop.followups.services.tasks import owners_for, tasks_cancel
from careloop.org.models import User
from careloop.workdays.calendar import is_working_day

STOPPING = ("deceased", "opted_out", "lost")
UPKEEP_SERIES = "upkeep"


def _cancel_open(client: Any, reason: str, *, keep_series: str = "") -> int:
    qs = FollowupTask.objects.filter(client_id=client.pk, status__in=OPEN_STATUSES)
    if keep_series:
        qs = qs.exclude(rule__client_series=keep_series)
    return tasks_cancel(list(qs), reason=reason)


def _start_cured_series(client: Any, acting_user: User) -> int:
    """FU-4: the rules for cured chronic disease, from today (not attached to an old encounter's plan)."""
    today = timezone.localdate()
    latest = Encounter.objects.filter(client_id=client.pk, status=Encounter.Status.ACTIVE).order_by("-date", "-pk").first()
    tasks = []
    messages = []
    for rule in FollowupRule.objects.filter(active=True).order_by("code"):
        if HealthStatus.CURED not in (rule.health_statuses or []):
            continue
        kind = latest.kind if latest is not None and latest.kind in (rule.kinds or []) else (rule.kinds or ["checkup"])[0]
        facts = EncounterFacts(kind=kind, date=today, prescription_days=None, health_status=HealthStatus.CURED,
                               tier=client.tier or "", report_delivered_on=None, is_first=False)
        for item in plan_schedule(rule.spec(), facts, is_working_day=is_working_day):
            if rule.action == RuleAction.MESSAGE:
                if not window_passed(item, today):
                    messages.append(PlannedMessage(
                        client=client, encounter=None, rule=rule, sequence=item.sequence, total=item.total,
                        labels=", ".join(item.labels), purpose=rule.message_purpose, channel=rule.channel,
                        due_date=item.due_date, window_end=item.window_end))
                continue
            if too_old(item, today):
                continue
            tasks.append(FollowupTask(
                client=client, encounter=None, rule=rule, sequence=item.sequence, total=item.total,
                labels=", ".join(item.labels), due_date=item.due_date, window_end=item.window_end,
                channel=rule.channel,
                priority=task_priority(rule_priority=rule.priority, tier=client.tier, health_status=HealthStatus.CURED),
            ))
    owners_for(tasks)
    FollowupTask.objects.bulk_create(tasks)
    PlannedMessage.objects.bulk_create(messages)
    return len(tasks) + len(messages)


def _reason(text: str, why: str) -> str:
    return f"{text}: {why}" if why else text


def client_status_changed(*, client: Any, kind: str, old: str, new: str, reason: str, acting_user: User) -> None:
    """clients.STATUS_CHANGED_HOOKS: make the follow-up work follow the client's status or tier."""
    if old == new:
        return
    detail: dict[str, Any] = {"kind": kind, "from": old, "to": new}
    if kind == "tier":
        if client.status != "active":
            return
        detail.update(client_replan(client=client, acting_user=acting_user))
    elif new in STOPPING:
        from careloop.clients.models import ClientStatus
        from careloop.messaging.services import messages_cancel_for_client

        with translation.override(settings.LANGUAGE_CODE):  # stored text: the system language
            why = _reason(_("client status changed to %(status)s") % {"status": ClientStatus(new).label}, reason)
        detail["cancelled"] = _cancel_open(client, why)
        detail["planned_messages_cancelled"] = planned_messages_cancel_for_client(client, reason=why)
        detail["messages_cancelled"] = messages_cancel_for_client(client=client, reason=why, acting_user=acting_user)
    elif new == "cured":
        with translation.override(settings.LANGUAGE_CODE):
            why = _("client cured: disease follow-up ended")
        detail["cancelled"] = _cancel_open(client, why, keep_series=UPKEEP_SERIES)
        detail["planned_messages_cancelled"] = planned_messages_cancel_for_client(client, reason=why,
                                                                                  keep_series=UPKEEP_SERIES)
        detail["created"] = _start_cured_series(client, acting_user)
    elif new == "active":
        if client.pk in consent_withdrawn_ids([client.pk]):
            return
        if old == "cured":
            with translation.override(settings.LANGUAGE_CODE):
                why = _("client active again: the cured series ends")
            _cancel_open(client, why, keep_series=UPKEEP_SERIES)
            planned_messages_cancel_for_client(client, reason=why, keep_series=UPKEEP_SERIES)
        detail.update(client_replan(client=client, acting_user=acting_user))
    else:
        return
    audit_record(actor=acting_user, action="followups.client_changed", obj=client, client=client, detail=detail)


def clients_tiers_changed(*, changes: list[Any], acting_user: User | None) -> None:
    """clients.TIERS_CHANGED_HOOKS: what ``client_status_changed`` does for one tier change, for many at once.

    Each active client's encounters are re-planned as before (its upkeep series follows the new tier);
    the rules, the consent state, the encounters and the owner chain are loaded once for the batch, and
    the ``followups.client_changed`` rows (one per client) are written in one insert.
    """
    active = [ch for ch in changes if ch.old != ch.new and ch.client.status == "active"]
    if not active:
        return
    ids = [ch.client.pk for ch in active]
    suspended = consent_withdrawn_ids(ids)
    encounters: dict[int, list[Encounter]] = {}
    for encounter in Encounter.objects.filter(client_id__in=ids, status=Encounter.Status.ACTIVE).order_by(
            "client_id", "date", "pk"):
        encounters.setdefault(encounter.client_id, []).append(encounter)
    rules = active_rules()
    owners = OwnerChain()
    entries = []
    for ch in active:
        detail: dict[str, Any] = {"kind": "tier", "from": ch.old, "to": ch.new}
        detail.update(client_replan(client=ch.client, acting_user=acting_user, encounters=encounters.get(ch.client.pk, []),
                                    rules=rules, owners=owners, suspended=ch.client.pk in suspended))
        entries.append({"action": "followups.client_changed", "obj": ch.client, "client": ch.client, "detail": detail})
    audit_record_many(actor=acting_user, entries=entries)


def consent_withdrawn(*, client: Any, purpose: str, acting_user: User) -> None:
    """clients.CONSENT_WITHDRAWN_HOOKS: no health-data consent, no follow-up work and no result-bearing message."""
    if purpose != HEALTH_DATA:
        return
    from careloop.messaging.services import RESULT_BEARING_PURPOSES, messages_cancel_for_client

    with translation.override(settings.LANGUAGE_CODE):
        why = _("consent to health-data processing withdrawn: follow-up suspended")
    cancelled = _cancel_open(client, why)
    planned = planned_messages_cancel_for_client(client, reason=why)
    messages = messages_cancel_for_client(client=client, reason=why, purposes=RESULT_BEARING_PURPOSES,
                                          acting_user=acting_user)
    audit_record(actor=acting_user, action="followups.suspended", obj=client, client=client,
                 detail={"cancelled": cancelled, "planned_messages_cancelled": planned, "messages_cancelled": messages})


def consent_given(*, client: Any, purpose: str, acting_user: User) -> None:
    """clients.CONSENT_GIVEN_HOOKS: health-data consent given again — follow-up resumes (re-planned)."""
    if purpose != HEALTH_DATA or client.status != "active":
        return
    with transaction.atomic():
        counts = client_replan(client=client, acting_user=acting_user)
        audit_record(actor=acting_user, action="followups.resumed", obj=client, client=client, detail=counts)
