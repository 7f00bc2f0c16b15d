"""Pages of careloop.crm: the booking desk, booking from the client page, tiers. Thin: parse, call, render."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.audit.services import audit_record
from careloop.clients.selectors import client_for
from careloop.crm import selectors, services
from careloop.crm.engagement import salon_gap_text, salon_gaps_for
from careloop.crm.models import Appointment, AppointmentStatus, Slot, TierPolicy
from careloop.crm.tiers import active_policy, compute_moves
from careloop.org.models import OrgUnit, User
from careloop.org.permissions import Cap, user_can


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _require(request: HttpRequest, cap: Cap) -> None:
    if not user_can(request.user, cap):
        raise PermissionDenied(_("Your role does not allow this."))


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for msgs in exc.message_dict.values() for m in msgs]
    return [str(m) for m in exc.messages]


def _date(raw: str | None, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(raw) if raw else default
    except ValueError:
        return default


def _int(raw: Any) -> int | None:
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**31 else None


# --- the booking desk --------------------------------------------------------------------------
@login_required
def desk_view(request: HttpRequest) -> HttpResponse:
    """Day or week view of a site's slots; the day view lists the appointments with their actions."""
    user = _user(request)
    if not (user_can(user, Cap.BOOK_APPOINTMENTS) or user_can(user, Cap.MANAGE_SLOTS)):
        raise PermissionDenied(_("Your role does not allow this."))
    sites = list(selectors.sites_visible_to(user))
    site_id = _int(request.GET.get("site"))
    site = next((s for s in sites if s.pk == site_id), sites[0] if sites else None)
    today = timezone.localdate()
    day = _date(request.GET.get("date"), today)
    week = request.GET.get("view") == "week"
    context: dict[str, Any] = {"sites": sites, "site": site, "day": day, "week": week, "today": today,
                               "can_publish": user_can(user, Cap.MANAGE_SLOTS)}
    if site is not None:
        if week:
            monday = day - dt.timedelta(days=day.weekday())
            days = [monday + dt.timedelta(days=i) for i in range(7)]
            slots = list(selectors.slots_for(user, site=site, day=monday, days=7))
            grid: dict[str, dict[dt.date, list[Slot]]] = defaultdict(lambda: defaultdict(list))
            for slot in slots:
                local = timezone.localtime(slot.start)
                grid[local.strftime("%H:%M")][local.date()].append(slot)
            context.update(days=days, rows=[(t, [grid[t].get(d, []) for d in days]) for t in sorted(grid)],
                           prev=monday - dt.timedelta(days=7), next=monday + dt.timedelta(days=7))
        else:
            slots = list(selectors.slots_for(user, site=site, day=day))
            by_slot: dict[int, list[Appointment]] = defaultdict(list)
            for appointment in selectors.appointments_on(user, site=site, day=day):
                by_slot[appointment.slot_id].append(appointment)
            context.update(slots=[(s, by_slot.get(s.pk, [])) for s in slots],
                           prev=day - dt.timedelta(days=1), next=day + dt.timedelta(days=1))
            audit_record(actor=user, action="appointment.desk", obj=site,
                         detail={"date": day.isoformat(), "appointments": sum(len(v) for v in by_slot.values())})
    return render(request, "crm/desk.html", context)


@login_required
@require_POST
def publish_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    site = OrgUnit.objects.filter(pk=_int(request.POST.get("site")) or 0).first()
    if site is None:
        raise Http404(_("No such site."))
    start = _date(request.POST.get("start"), timezone.localdate())
    days = min(max(_int(request.POST.get("days")) or 14, 1), 92)
    try:
        created = services.slots_publish(site=site, start_date=start, end_date=start + dt.timedelta(days=days - 1),
                                         acting_user=user)
        messages.success(request, _("%(n)s slots published.") % {"n": created})
    except ValidationError as exc:
        for error in _errors(exc):
            messages.error(request, error)
    return redirect(f"{reverse('crm:desk')}?site={site.pk}&date={start.isoformat()}&view=week")


def _appointment(request: HttpRequest, pk: int) -> Appointment:
    appointment = selectors.appointments_visible_to(_user(request)).filter(pk=pk).first()
    if appointment is None:
        raise Http404(_("No such appointment."))
    return appointment


@login_required
@require_POST
def appointment_action_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Check in, no-show or cancel from the desk or the client's booking page."""
    user = _user(request)
    appointment = _appointment(request, pk)
    action = request.POST.get("action", "")
    try:
        if action == AppointmentStatus.CHECKED_IN:
            services.appointment_check_in(appointment=appointment, acting_user=user)
            messages.success(request, _("Checked in."))
        elif action == AppointmentStatus.NO_SHOW:
            services.appointment_no_show(appointment=appointment, acting_user=user)
            messages.success(request, _("No-show recorded; a follow-up is open for the team."))
        elif action == AppointmentStatus.CANCELLED:
            services.appointment_cancel(appointment=appointment, reason=request.POST.get("reason", ""),
                                        acting_user=user)
            messages.success(request, _("Appointment cancelled."))
        else:
            messages.error(request, _("Unknown action."))
    except ValidationError as exc:
        for error in _errors(exc):
            messages.error(request, error)
    back = request.POST.get("next", "")
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("crm:desk")
    return redirect(back)


# --- booking from the client page ----------------------------------------------------------------
@login_required
def client_book_view(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = client_for(user, client_id)
    _require(request, Cap.BOOK_APPOINTMENTS)
    policy = active_policy()
    today = timezone.localdate()
    window = policy.booking_days(client.tier)
    if request.method == "POST":
        slot = selectors.slots_for(user).filter(pk=_int(request.POST.get("slot")) or 0).first()
        if slot is None:
            messages.error(request, _("Slot: no such time at your sites."))
        else:
            try:
                services.appointment_book(client=client, slot=slot, acting_user=user,
                                          notes=request.POST.get("notes", ""))
                messages.success(request, _("Booked; the confirmation is queued."))
            except ValidationError as exc:
                for error in _errors(exc):
                    messages.error(request, error)
        return redirect("crm:client_book", client_id=client.pk)
    sites = list(selectors.sites_visible_to(user))
    site_id = _int(request.GET.get("site"))
    site = next((s for s in sites if s.pk == site_id), sites[0] if sites else None)
    slots = []
    if site is not None:
        slots = [s for s in selectors.slots_for(user, site=site, day=today, days=window + 1)
                 if s.start > timezone.now()]
    upcoming = list(selectors.appointments_visible_to(user).filter(client=client).order_by("-slot__start")[:20])
    audit_record(actor=user, action="appointment.client_view", obj=client, client=client)
    held = {s.pk: services.held_for_tier_a(s.capacity, policy.a_reserved_share) for s in slots}
    rows = [{"slot": s, "open": s.free > (0 if client.tier == "A" else held[s.pk])} for s in slots]
    return render(request, "crm/client_book.html", {
        "client": client, "window": window, "last_day": today + dt.timedelta(days=window), "sites": sites,
        "site": site, "rows": rows, "appointments": upcoming, "now": timezone.now(),
    })


# --- tiers ---------------------------------------------------------------------------------------
@login_required
def client_tier_view(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = client_for(user, client_id)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "lift":
                services.tier_override_lift(client=client, reason=request.POST.get("reason", ""), acting_user=user)
                messages.success(request, _("Override lifted; the computed tier applies."))
            else:
                expires = request.POST.get("expires_on") or None
                services.tier_override_set(
                    client=client, tier=request.POST.get("tier", ""), reason=request.POST.get("reason", ""),
                    expires_on=_date(expires, timezone.localdate()) if expires else None, acting_user=user)
                messages.success(request, _("Tier set by hand."))
        except ValidationError as exc:
            for error in _errors(exc):
                messages.error(request, error)
        return redirect("crm:client_tier", client_id=client.pk)
    audit_record(actor=user, action="tier.view", obj=client, client=client)
    return render(request, "crm/client_tier.html", {
        "client": client, "override": selectors.current_override(client),
        "history": list(selectors.tier_history(client)[:50]), "can_override": user_can(user, Cap.MANAGE_TIERS),
        "tiers": ["A", "B", "C"],
    })


@login_required
def dashboard_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not (user_can(user, Cap.VIEW_CLIENTS) or user_can(user, Cap.VIEW_STATS)):
        raise PermissionDenied(_("Your role does not allow this."))
    engage = user_can(user, Cap.ENGAGE_CLIENTS) or user_can(user, Cap.MANAGE_OFFERS)
    gaps = salon_gaps_for(user) if engage else []
    return render(request, "crm/dashboard.html", {
        "data": selectors.tier_dashboard(user), "can_rules": user_can(user, Cap.MANAGE_RULES),
        "policy": active_policy(), "can_engage": engage, "salon_gap": salon_gap_text(gaps) if gaps else "",
    })


def _policy_fields(policy: TierPolicy, data: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    rows = []
    for name in services.POLICY_FIELDS:
        field = TierPolicy._meta.get_field(name)
        value = (data or {}).get(name, getattr(policy, name))
        rows.append({"name": name, "label": getattr(field, "verbose_name", name),
                     "boolean": name == "a_chronic", "value": value})
    return rows


@login_required
def criteria_view(request: HttpRequest) -> HttpResponse:
    """The tier criteria (data): change them, preview how many clients would move, then save."""
    user = _user(request)
    _require(request, Cap.MANAGE_RULES)
    policy = active_policy()
    context: dict[str, Any] = {"policy": policy, "history": TierPolicy.objects.select_related("created_by")[:10]}
    if request.method == "POST":
        data: dict[str, Any] = {n: request.POST.get(n, "") for n in services.POLICY_FIELDS if n != "a_chronic"}
        data["a_chronic"] = "a_chronic" in request.POST
        try:
            if request.POST.get("action") == "save":
                services.tier_policy_save(data=data, note=request.POST.get("note", ""), acting_user=user)
                messages.success(request, _("Criteria saved; clients move at the next recomputation."))
                return redirect("crm:criteria")
            preview = services.tier_policy_preview(data=data, acting_user=user)
            current = compute_moves(keep_moves=False)
            context["preview"] = {
                "pairs": sorted(preview.by_pair.items()), "total": preview.moved,
                "current_total": current.moved, "active": preview.active_clients,
                "threshold": preview.threshold,
            }
        except ValidationError as exc:
            context["errors"] = _errors(exc)
        context["fields"] = _policy_fields(policy, data)
    else:
        context["fields"] = _policy_fields(policy)
    return render(request, "crm/criteria.html", context)
