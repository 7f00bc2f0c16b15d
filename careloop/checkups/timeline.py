"""The client's timeline (ARC-4): one entry per checkup, for staff who may see results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.checkups.models import Checkup
from careloop.clients.models import Client
from careloop.clients.timeline import TimelineEntry
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can


def checkup_entries(client: Client, user: User) -> Iterable[TimelineEntry]:
    if not user_can(user, Cap.VIEW_RESULTS):
        return
    url = reverse("checkups:client", args=[client.pk])
    for checkup in Checkup.objects.filter(client=client).order_by("-date")[:50]:
        at = timezone.make_aware(dt.datetime.combine(checkup.date, dt.time(8, 0)))
        detail = _("%(n)d abnormal items") % {"n": checkup.abnormal_count}
        yield TimelineEntry(at, "checkup", _("Checkup %(no)s · %(status)s") % {
            "no": checkup.exam_no, "status": checkup.get_health_status_display()}, detail, url)
