"""Assessment entries on the client's timeline (ARC-4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.clients.models import Client
from careloop.clients.timeline import TimelineEntry
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can

from .models import Assessment, ConstitutionRecord


def assessment_entries(client: Client, user: User) -> Iterable[TimelineEntry]:
    if not user_can(user, Cap.VIEW_RESULTS):
        return
    for a in Assessment.objects.filter(client=client).only("pk", "created_at", "status")[:50]:
        yield TimelineEntry(
            a.created_at,
            "assessment",
            _("Health assessment (%(status)s)") % {"status": a.get_status_display()},
            url=reverse("assessments:detail", args=[a.pk]),
        )
    for r in ConstitutionRecord.objects.filter(client=client).only("pk", "recorded_on", "primary")[:50]:
        at = timezone.make_aware(dt.datetime.combine(r.recorded_on, dt.time(12)))
        yield TimelineEntry(at, "assessment", _("TCM constitution: %(p)s") % {"p": r.primary or "—"})
