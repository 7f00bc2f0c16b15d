"""Reads of careloop.crm that matter (lists, summaries)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from careloop.clients.models import Client, ClientStatus, StatusChange, Tier
from careloop.clients.selectors import clients_visible_to
from careloop.crm.models import (
    Appointment,
    CommunityEvent,
    EventRegistration,
    LedgerEntry,
    Offer,
    OfferSent,
    Slot,
    TierOverride,
)
from careloop.org.models import OrgUnit, UnitKind, User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import subtree_q, subtree_unit_ids, unit_in_subtree


def ledger_for(client: Client) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(client=client).select_related("created_by").order_by("-date", "-id")


def sites_visible_to(user: User) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(pk__in=subtree_unit_ids(user), kind=UnitKind.SITE).order_by("path")


def slots_for(user: User, *, site: OrgUnit | int | None = None, day: dt.date | None = None,
              days: int = 1, service: str = "") -> QuerySet[Slot]:
    """Slots at the sites of the user's part of the organisation, optionally of one site and a date range."""
    qs = Slot.objects.filter(subtree_q(user, "site")).select_related("site", "service").order_by("start", "site", "service")
    if site is not None:
        qs = qs.filter(site=site)
    if day is not None:
        start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        qs = qs.filter(start__gte=start, start__lt=start + dt.timedelta(days=days))
    if service:
        qs = qs.filter(service__code=service)
    return qs


def appointments_visible_to(user: User) -> QuerySet[Appointment]:
    return (Appointment.objects.filter(client__in=clients_visible_to(user))
            .select_related("client", "slot", "slot__site", "slot__service", "booked_by"))


def appointments_on(user: User, *, site: OrgUnit | int, day: dt.date) -> QuerySet[Appointment]:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return appointments_visible_to(user).filter(slot__site=site, slot__start__gte=start,
                                                slot__start__lt=start + dt.timedelta(days=1)).order_by("slot__start", "id")


def tier_history(client: Client) -> QuerySet[StatusChange]:
    return StatusChange.objects.filter(client=client, kind="tier").select_related("changed_by").order_by("-changed_at", "-id")


def current_override(client: Client, today: dt.date | None = None) -> TierOverride | None:
    today = today or timezone.localdate()
    return (TierOverride.objects.filter(client=client, lifted_at__isnull=True).exclude(expires_on__lt=today)
            .select_related("created_by").order_by("-created_at", "-id").first())


def tier_dashboard(user: User, *, today: dt.date | None = None) -> dict[str, Any]:
    """Counts by tier of the active clients the user sees, and this month's moves (from → to)."""
    today = today or timezone.localdate()
    # Managers (statistics only) see the counts of their part of the organisation, never a client.
    visible = clients_visible_to(user) if user_can(user, Cap.VIEW_CLIENTS) else Client.objects.filter(subtree_q(user))
    counts = dict(visible.filter(status=ClientStatus.ACTIVE).values_list("tier").annotate(n=Count("id")).order_by())
    month_start = timezone.make_aware(dt.datetime.combine(today.replace(day=1), dt.time.min))
    moves = list(StatusChange.objects.filter(kind="tier", changed_at__gte=month_start, client__in=visible)
                 .values("old", "new").annotate(n=Count("id")).order_by("old", "new"))
    overrides = TierOverride.objects.filter(client__in=visible, lifted_at__isnull=True).exclude(expires_on__lt=today).count()
    total = sum(counts.values())
    return {
        "tiers": [{"tier": t.value, "label": t.label, "count": counts.get(t.value, 0),
                   "share": round(100 * counts.get(t.value, 0) / total, 1) if total else 0} for t in Tier],
        "total": total,
        "moves": moves,
        "moves_total": sum(m["n"] for m in moves),
        "overrides": overrides,
    }


# --- offers and community events -------------------------------------------------------------------
def offers_visible_to(user: User) -> list[Offer]:
    """Offers of every branch, of the user's part of the tree, or of a unit above the user (in force there)."""
    rows = list(Offer.objects.select_related("branch").annotate(
        sent_count=Count("sent", filter=Q(sent__status="sent"))).order_by("-active", "valid_until", "id"))
    return [o for o in rows if o.branch is None or unit_in_subtree(user, o.branch)
            or (user.org_unit is not None and user.org_unit.path.startswith(o.branch.path))]


def events_visible_to(user: User) -> QuerySet[CommunityEvent]:
    return CommunityEvent.objects.filter(subtree_q(user, "branch")).select_related("branch")


def registrations_for(user: User, event: CommunityEvent) -> QuerySet[EventRegistration]:
    return (EventRegistration.objects.filter(event=event, client__in=clients_visible_to(user))
            .select_related("client", "changed_by").order_by("status", "client__name", "id"))


def engagement_of(client: Client) -> dict[str, Any]:
    """The offers sent to a client and the events the client was invited to (for the client page)."""
    return {
        "offers": list(OfferSent.objects.filter(client=client).select_related("offer", "sent_by")[:50]),
        "events": list(EventRegistration.objects.filter(client=client).select_related("event")
                       .order_by("-event__starts_at")[:50]),
    }
