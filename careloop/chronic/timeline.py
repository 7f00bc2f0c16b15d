"""The client's timeline (ARC-4): monitoring plans and alarming readings, for staff who may see results."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from careloop.chronic.models import MonitoringPlan, Reading
from careloop.clients.models import Client
from careloop.clients.timeline import TimelineEntry
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
