"""Tickets on the client's timeline (ARC-4), for whoever may see each ticket."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from careloop.clients.models import Client
from careloop.clients.timeline import TimelineEntry
from careloop.org.models import User

from .permissions import tickets_visible_to


def ticket_entries(client: Client, user: User) -> Iterable[TimelineEntry]:
    for t in tickets_visible_to(user).filter(client=client).only(
            "pk", "kind", "status", "subject", "created_at")[:50]:
        yield TimelineEntry(
            t.created_at, "complaint",
            _("%(kind)s: %(subject)s") % {"kind": t.get_kind_display(), "subject": t.subject},
            t.get_status_display(), url=reverse("servicedesk:ticket", args=[t.pk]),
        )
