"""The client's appointments on the timeline (ARC-4), for staff who may see visits."""

from __future__ import annotations

from collections.abc import Iterable

from django.urls import reverse
from django.utils.translation import gettext as _

from careloop.clients.models import Client
from careloop.clients.timeline import TimelineEntry
from careloop.crm.models import Appointment, EventRegistration, OfferSent, OfferSentStatus, RegistrationStatus
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can


def appointment_entries(client: Client, user: User) -> Iterable[TimelineEntry]:
    if not user_can(user, Cap.VIEW_RESULTS) and not user_can(user, Cap.BOOK_APPOINTMENTS):
        return
    url = reverse("crm:client_book", args=[client.pk]) if user_can(user, Cap.BOOK_APPOINTMENTS) else ""
    rows = Appointment.objects.filter(client=client).select_related("slot__site", "slot__service").order_by("-slot__start")[:50]
    for a in rows:
        yield TimelineEntry(a.slot.start, "visit", _("Appointment: %(service)s · %(status)s") % {
            "service": a.slot.service.name, "status": a.get_status_display()}, a.slot.site.name, url)


def engagement_entries(client: Client, user: User) -> Iterable[TimelineEntry]:
    """Offers sent (kind ``message``) and events attended (kind ``visit``), for staff who may see the client."""
    if not user_can(user, Cap.VIEW_CLIENTS):
        return
    url = reverse("crm:client_engagement", args=[client.pk]) if user_can(user, Cap.ENGAGE_CLIENTS) else ""
    for sent in OfferSent.objects.filter(client=client, status=OfferSentStatus.SENT).select_related("offer")[:50]:
        yield TimelineEntry(sent.sent_at, "message", _("Offer sent: %(name)s") % {"name": sent.offer.name},
                            sent.offer.description, url)
    for row in (EventRegistration.objects.filter(client=client, status=RegistrationStatus.ATTENDED)
                .select_related("event")[:50]):
        yield TimelineEntry(row.event.starts_at, "visit", _("Attended: %(title)s") % {"title": row.event.title},
                            f"{row.event.get_kind_display()} · {row.event.place}", url)
