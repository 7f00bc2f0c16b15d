"""The client's timeline (ARC-4): monitoring plans and alarming readings, for staff who may see results."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from careloop.chronic.models import HealthPlan, MonitoringPlan, PlanAdjustment, PlanStatus, Reading, Referral
from careloop.clients.models import Client
from careloop.clients.timeline import TimelineEntry
from careloop.followups.preparation import PrepSection
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can


def monitoring_entries(client: Client, user: User) -> Iterable[TimelineEntry]:
    if not user_can(user, Cap.VIEW_RESULTS):
        return
    url = reverse("chronic:client", args=[client.pk])
    for plan in MonitoringPlan.objects.filter(client=client).order_by("-created_at")[:20]:
        yield TimelineEntry(plan.created_at, "plan", _("Monitoring plan: %(c)s") % {"c": plan.get_condition_display()},
                            _("active") if plan.active else _("replaced"), url)
    for reading in Reading.objects.filter(client=client, flag__startswith="alarm").order_by("-at")[:20]:
        yield TimelineEntry(reading.at, "plan", _("Alarming monitoring reading"),
                            f"{reading.code} {reading.value:g} · {reading.get_flag_display()}", url)
    for ref in Referral.objects.filter(client=client).select_related("hospital", "department").order_by(
            "-created_at")[:20]:
        yield TimelineEntry(ref.created_at, "plan", _("Referral to %(h)s") % {"h": ref.hospital_label},
                            " ".join(x for x in (ref.department_label, ref.expert, ref.clinic_time) if x), url)
    for version in HealthPlan.objects.filter(client=client).order_by("-version")[:20]:
        yield TimelineEntry(version.created_at, "plan", _("Personal health plan version %(v)d") % {"v": version.version},
                            version.origin, reverse("chronic:health-plan", args=[client.pk]))
    for adj in PlanAdjustment.objects.filter(plan__client=client, reviewed_at__isnull=False).order_by("-reviewed_at")[:20]:
        assert adj.reviewed_at is not None
        yield TimelineEntry(adj.reviewed_at, "plan", _("Plan adjustment %(s)s") % {"s": adj.get_status_display()},
                            adj.opinion, reverse("chronic:health-plan", args=[client.pk]))


def plan_section(client: Client) -> PrepSection | None:
    """The preparation view's "current plan": the current version's goals and reminders."""
    plan = HealthPlan.objects.filter(client=client, status=PlanStatus.CURRENT).first()
    if plan is None:
        return None
    lines = [line for line in plan.goals.splitlines() if line.strip()][:4]
    lines += [f"{m['medicine']} {m.get('dosage', '')} {'、'.join(m.get('times', []))}" for m in plan.medication_reminders][:3]
    return PrepSection(title=_("Personal health plan version %(v)d") % {"v": plan.version}, lines=lines,
                       url=reverse("chronic:health-plan", args=[client.pk]))
