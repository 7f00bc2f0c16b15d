"""Pages for offers and community events (salons): lists, edit forms, the event page, the client's page. Thin."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.audit.services import audit_record
from careloop.clients.selectors import client_for
from careloop.crm import engagement, selectors
from careloop.crm.models import CommunityEvent, EventKind, EventRegistration, Offer, RegistrationStatus
from careloop.messaging.models import PEOPLE_CHANNEL_CHOICES
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import units_visible_to


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _require_any(user: User, *caps: Cap) -> None:
    if not any(user_can(user, c) for c in caps):
        raise PermissionDenied(_("Your role does not allow this."))


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


def _flash(request: HttpRequest, exc: ValidationError) -> None:
    for msgs in _errors(exc).values():
        for m in msgs:
            messages.error(request, m)


def _reasons(skipped: dict[str, int]) -> str:
    labels = {"no_consent": _("no consent"), "opted_out": _("opted out"), "no_contact": _("no contact"),
              "unsubscribed": _("unsubscribed"), "no_template": _("no template"), "no_offer": _("no fitting offer")}
    return "、".join(f"{labels.get(k, k)} {n}" for k, n in sorted(skipped.items()))


# --- offers --------------------------------------------------------------------------------------------
@login_required
def offer_list_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_any(user, Cap.MANAGE_OFFERS, Cap.ENGAGE_CLIENTS)
    today = timezone.localdate()
    offers = selectors.offers_visible_to(user)
    return render(request, "crm/offers.html", {
        "offers": offers, "today": today, "can_manage": user_can(user, Cap.MANAGE_OFFERS),
        "editable": set(engagement.offers_manageable_by(user).values_list("pk", flat=True)),
    })


@login_required
def offer_edit_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _user(request)
    _require_any(user, Cap.MANAGE_OFFERS)
    offer = None
    if pk is not None:
        offer = engagement.offers_manageable_by(user).filter(pk=pk).first()
        if offer is None:
            raise Http404(_("No such offer."))
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {}
    if request.method == "POST":
        data = {k: request.POST.get(k, "") for k in ("name", "description", "valid_from", "valid_until", "branch")}
        data["tiers"] = request.POST.getlist("tiers")
        data["active"] = "active" in request.POST
        try:
            engagement.offer_save(data=data, offer=offer, acting_user=user)
            messages.success(request, _("Offer saved."))
            return redirect("crm:offers")
        except ValidationError as exc:
            errors = _errors(exc)
    elif offer is not None:
        data = {"name": offer.name, "description": offer.description, "tiers": list(offer.tiers),
                "valid_from": offer.valid_from.isoformat(), "active": offer.active,
                "valid_until": offer.valid_until.isoformat() if offer.valid_until else "",
                "branch": str(offer.branch_id or "")}
    else:
        data = {"tiers": ["C"], "valid_from": timezone.localdate().isoformat(), "active": True, "branch": ""}
    return render(request, "crm/offer_edit.html", {
        "offer": offer, "data": data, "errors": errors, "tiers": ["A", "B", "C"],
        "units": list(units_visible_to(user)),
    })


# --- events --------------------------------------------------------------------------------------------
@login_required
def event_list_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    _require_any(user, Cap.MANAGE_OFFERS, Cap.ENGAGE_CLIENTS)
    now = timezone.now()
    events = selectors.events_visible_to(user)
    gaps = engagement.salon_gaps_for(user)
    return render(request, "crm/events.html", {
        "upcoming": list(events.filter(starts_at__gte=now).order_by("starts_at")[:50]),
        "past": list(events.filter(starts_at__lt=now).order_by("-starts_at")[:20]),
        "can_manage": user_can(user, Cap.MANAGE_OFFERS),
        "salon_gap": engagement.salon_gap_text(gaps) if gaps else "",
    })


def _event(user: User, pk: int) -> CommunityEvent:
    event = selectors.events_visible_to(user).filter(pk=pk).first()
    if event is None:
        raise Http404(_("No such event."))
    return event


@login_required
def event_edit_view(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = _user(request)
    _require_any(user, Cap.MANAGE_OFFERS)
    event = _event(user, pk) if pk is not None else None
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data: dict[str, Any] = {k: request.POST.get(k, "") for k in ("kind", "title", "place", "starts_at",
                                                                      "capacity", "branch")}
        data["tiers"] = request.POST.getlist("tiers")
        data["cancelled"] = "cancelled" in request.POST
        try:
            saved = engagement.event_save(data=data, event=event, acting_user=user)
            messages.success(request, _("Event saved."))
            return redirect("crm:event", pk=saved.pk)
        except ValidationError as exc:
            errors = _errors(exc)
    elif event is not None:
        data = {"kind": event.kind, "title": event.title, "place": event.place, "capacity": event.capacity,
                "starts_at": timezone.localtime(event.starts_at).strftime("%Y-%m-%dT%H:%M"),
                "tiers": list(event.tiers), "branch": str(event.branch_id), "cancelled": event.cancelled}
    else:
        data = {"kind": EventKind.SALON, "tiers": ["A"], "capacity": 30, "branch": str(user.org_unit_id or "")}
    return render(request, "crm/event_edit.html", {
        "event": event, "data": data, "errors": errors, "tiers": ["A", "B", "C"], "kinds": EventKind.choices,
        "units": list(units_visible_to(user)),
    })


@login_required
def event_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    _require_any(user, Cap.MANAGE_OFFERS, Cap.ENGAGE_CLIENTS)
    event = _event(user, pk)
    registrations = list(selectors.registrations_for(user, event))
    audit_record(actor=user, action="event.view", obj=event, detail={"registrations": len(registrations)})
    counts = {s: sum(1 for r in registrations if r.status == s) for s in RegistrationStatus.values}
    now = timezone.now()
    return render(request, "crm/event.html", {
        "event": event, "registrations": registrations, "counts": counts,
        "can_engage": user_can(user, Cap.ENGAGE_CLIENTS), "can_manage": user_can(user, Cap.MANAGE_OFFERS),
        "open": not event.cancelled and event.starts_at > now,
        "attendance_open": timezone.localtime(event.starts_at).date() <= timezone.localdate(),
        "channels": PEOPLE_CHANNEL_CHOICES,
        "invitees": engagement.invitees(event, user).exclude(event_registrations__event=event).count(),
    })


@login_required
@require_POST
def event_invite_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    event = _event(user, pk)
    try:
        result = engagement.event_invite(event=event, acting_user=user, channel=request.POST.get("channel", "sms"))
        text = _("%(n)s clients invited.") % {"n": result.invited}
        if result.skipped:
            text += " " + _("Not invited: %(reasons)s.") % {"reasons": _reasons(dict(result.skipped))}
        messages.success(request, text)
    except ValidationError as exc:
        _flash(request, exc)
    return redirect("crm:event", pk=event.pk)


@login_required
@require_POST
def registration_action_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Register (yes), decline (no), attended or did not come, from the event page or the client's page."""
    user = _user(request)
    row = (EventRegistration.objects.filter(pk=pk, event__in=selectors.events_visible_to(user))
           .select_related("event", "client").first())
    if row is None:
        raise Http404(_("No such registration."))
    action = request.POST.get("action", "")
    try:
        if action == "register":
            client = client_for(user, row.client_id)
            engagement.event_register(event=row.event, client=client, acting_user=user)
            messages.success(request, _("Registered."))
        elif action == "decline":
            engagement.event_registration_decline(registration=row, acting_user=user)
            messages.success(request, _("Recorded: not coming."))
        elif action in ("attended", "no_show"):
            engagement.event_attendance_record(registration=row, attended=action == "attended", acting_user=user)
            messages.success(request, _("Attendance recorded."))
        else:
            messages.error(request, _("Unknown action."))
    except ValidationError as exc:
        _flash(request, exc)
    back = request.POST.get("next", "")
    if not back.startswith("/") or back.startswith("//"):
        return redirect("crm:event", pk=row.event_id)
    return redirect(back)


# --- the client's offers and events --------------------------------------------------------------------
@login_required
def client_engagement_view(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = client_for(user, client_id)
    _require_any(user, Cap.ENGAGE_CLIENTS)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "offer":
                offer = Offer.objects.filter(pk=_int(request.POST.get("offer"))).first()
                if offer is None:
                    raise ValidationError({"offer": [_("Offer: choose one of the list.")]})
                sent = engagement.offer_send(offer=offer, client=client, acting_user=user,
                                             channel=request.POST.get("channel", "sms"))
                if sent.message_id:
                    messages.success(request, _("Offer sent."))
                else:
                    messages.error(request, _("Offer not sent: %(reason)s.") % {
                        "reason": _reasons({sent.refused: 1}).rsplit(" ", 1)[0]})
            else:
                event = selectors.events_visible_to(user).filter(pk=_int(request.POST.get("event"))).first()
                if event is None:
                    raise ValidationError({"event": [_("Event: choose one of the list.")]})
                engagement.event_register(event=event, client=client, acting_user=user)
                messages.success(request, _("Registered."))
        except ValidationError as exc:
            _flash(request, exc)
        return redirect("crm:client_engagement", client_id=client.pk)
    audit_record(actor=user, action="engagement.client_view", obj=client, client=client)
    now = timezone.now()
    data = selectors.engagement_of(client)
    held = {r.event_id for r in data["events"] if r.status != RegistrationStatus.INVITED}
    upcoming = [e for e in selectors.events_visible_to(user).filter(starts_at__gt=now, cancelled=False)
                .order_by("starts_at")[:30] if e.pk not in held and e.free > 0]
    return render(request, "crm/client_engagement.html", {
        "client": client, **data, "fitting": list(engagement.offers_fitting(client)),
        "upcoming": upcoming, "channels": PEOPLE_CHANNEL_CHOICES, "now": now,
    })


def _int(raw: Any) -> int:
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        return 0
    return value if 0 < value < 2**31 else 0
