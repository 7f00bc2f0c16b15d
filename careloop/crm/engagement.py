"""Offers and community events (CRM-2 upkeep of seed 002): writes, each atomic, checked and audited.

Tier A: quarterly salons (a ``CommunityEvent`` of kind ``salon`` inviting tier A); tier B: offers that fit;
tier C: an offer within 3 months of the first consumption (``offers_send_due``, a daily job) and
community-event invitations. Messages go through the outbox (``message_enqueue``): purpose ``offer`` or
``event_invitation``, both needing marketing consent, so opt-outs, subscriptions and quiet hours apply.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Min, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.clients.models import Client, ClientStatus, Tier
from careloop.clients.selectors import clients_visible_to
from careloop.crm.models import (
    HOLDS_PLACE,
    CommunityEvent,
    EventKind,
    EventRegistration,
    LedgerKind,
    Offer,
    OfferSent,
    OfferSentStatus,
    RegistrationStatus,
)
from careloop.crm.permissions import require
from careloop.crm.tiers import active_policy
from careloop.messaging.models import PEOPLE_CHANNELS
from careloop.messaging.services import message_enqueue
from careloop.org.models import OrgUnit, User
from careloop.org.permissions import Cap
from careloop.org.selectors import unit_in_subtree

TIER_C_ORIGIN = "tier_c"


class EventConflict(ValidationError):
    """The registration cannot be made (event full, already registered, closed): HTTP 409 with ``conflict``."""

    def __init__(self, errors: dict[str, list[str]], *, code: str) -> None:
        super().__init__(errors)
        self.conflict = code


# --- validation helpers ------------------------------------------------------------------------------
def _text(data: dict[str, Any], name: str, label: str, limit: int, errors: dict[str, list[str]],
          *, required: bool = True) -> str:
    value = str(data.get(name) or "").strip()
    if required and not value:
        errors[name] = [_("%(field)s: is required.") % {"field": label}]
    elif len(value) > limit:
        errors[name] = [_("%(field)s: at most %(n)s characters.") % {"field": label, "n": limit}]
    return value


def _tiers(raw: Any, errors: dict[str, list[str]], name: str = "tiers") -> str:
    letters = raw if isinstance(raw, list | tuple) else list(str(raw or "").replace(",", "").replace(" ", "").upper())
    letters = [str(x).strip().upper() for x in letters]
    if not letters or any(x not in Tier.values for x in letters):
        errors[name] = [_("Tiers: choose one or more of A, B, C.")]
        return ""
    return "".join(sorted(set(letters)))


def _date(raw: Any, name: str, label: str, errors: dict[str, list[str]], *, required: bool) -> dt.date | None:
    if raw in (None, ""):
        if required:
            errors[name] = [_("%(field)s: is required.") % {"field": label}]
        return None
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        errors[name] = [_("%(field)s: use the format YYYY-MM-DD.") % {"field": label}]
        return None


def _bool(raw: Any) -> bool:
    return raw is True or str(raw).lower() in ("1", "true", "on", "yes")


def _branch(raw: Any, user: User, errors: dict[str, list[str]], *, required: bool) -> OrgUnit | None:
    if raw in (None, ""):
        if required:
            errors["branch"] = [_("Branch: is required.")]
        elif not unit_in_subtree(user, _root()):
            errors["branch"] = [_("Branch: only head office may make an offer for every branch.")]
        return None
    unit = raw if isinstance(raw, OrgUnit) else OrgUnit.objects.filter(pk=int(raw) if str(raw).isdigit() else 0).first()
    if unit is None or not unit_in_subtree(user, unit):
        errors["branch"] = [_("Branch: choose a unit in your part of the organisation.")]
        return None
    return unit


def _root() -> OrgUnit | None:
    return OrgUnit.objects.filter(parent__isnull=True).order_by("path").first()


def _client_in_scope(user: User, client: Client) -> None:
    if not clients_visible_to(user).filter(pk=client.pk).exists():
        raise PermissionDenied(_("This client is outside your part of the organisation."))


def _under(client_branch: OrgUnit, unit: OrgUnit | None) -> bool:
    """Is the client's branch ``unit`` or below it (``None`` = every branch)?"""
    return unit is None or client_branch.path.startswith(unit.path)


def offers_manageable_by(user: User) -> QuerySet[Offer]:
    """Offers the user may edit: those of units in the user's subtree (head office also those of every branch)."""
    from careloop.org.selectors import subtree_q

    qs = Offer.objects.filter(subtree_q(user, "branch"))
    if unit_in_subtree(user, _root()):
        qs = Offer.objects.filter(subtree_q(user, "branch") | Q(branch__isnull=True))
    return qs


# --- offers --------------------------------------------------------------------------------------------
OFFER_FIELDS = ("name", "description", "tiers", "valid_from", "valid_until", "active", "branch")


@transaction.atomic
def offer_save(*, data: dict[str, Any], acting_user: User, offer: Offer | None = None) -> Offer:
    """Create or change an offer (data edited on a screen). Errors name each field."""
    require(acting_user, Cap.MANAGE_OFFERS)
    if offer is not None and not offers_manageable_by(acting_user).filter(pk=offer.pk).exists():
        raise PermissionDenied(_("This offer belongs to another part of the organisation."))
    errors: dict[str, list[str]] = {}
    name = _text(data, "name", _("Name"), 60, errors)
    description = _text(data, "description", _("Text sent to the client"), 200, errors)
    tiers = _tiers(data.get("tiers"), errors)
    valid_from = _date(data.get("valid_from"), "valid_from", _("Valid from"), errors, required=True)
    valid_until = _date(data.get("valid_until"), "valid_until", _("Valid until"), errors, required=False)
    if valid_from and valid_until and valid_until < valid_from:
        errors["valid_until"] = [_("Valid until: must not be before the start.")]
    branch = _branch(data.get("branch"), acting_user, errors, required=False)
    if errors:
        raise ValidationError(errors)
    before = {f: str(getattr(offer, f + ("_id" if f == "branch" else ""))) for f in OFFER_FIELDS} if offer else {}
    target = offer or Offer(created_by=acting_user)
    target.name, target.description, target.tiers = name, description, tiers
    target.valid_from, target.valid_until = valid_from, valid_until  # type: ignore[assignment]
    target.active, target.branch = _bool(data.get("active", True)), branch
    target.save()
    after = {f: str(getattr(target, f + ("_id" if f == "branch" else ""))) for f in OFFER_FIELDS}
    audit_record(actor=acting_user, action="offer.save", obj=target,
                 detail={"created": offer is None,
                         "changed": {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}})
    return target


def offers_fitting(client: Client, *, today: dt.date | None = None) -> list[Offer]:
    """Offers in force today for the client's tier and branch that the client has not been sent yet."""
    today = today or timezone.localdate()
    rows = (Offer.objects.filter(active=True, valid_from__lte=today, tiers__contains=client.tier)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
            .exclude(sent__client=client, sent__status=OfferSentStatus.SENT)
            .select_related("branch").order_by(F("valid_until").asc(nulls_last=True), "id"))
    return [o for o in rows if _under(client.branch, o.branch)]


def _offer_refusal(offer: Offer, client: Client, today: dt.date) -> str:
    if not offer.active or offer.valid_from > today or (offer.valid_until and offer.valid_until < today):
        return _("Offer: not in force today.")
    if client.tier not in offer.tiers:
        return _("Offer: fits tiers %(tiers)s; this client is tier %(tier)s.") % {
            "tiers": offer.tiers_display, "tier": client.tier}
    if not _under(client.branch, offer.branch):
        return _("Offer: made by %(unit)s, not for this client's branch.") % {"unit": offer.branch}
    if OfferSent.objects.filter(offer=offer, client=client, status=OfferSentStatus.SENT).exists():
        return _("Offer: this client already received it.")
    return ""


def _offer_send(offer: Offer, client: Client, *, channel: str, origin: str, acting_user: User | None) -> OfferSent:
    today = timezone.localdate()
    refusal = _offer_refusal(offer, client, today)
    if refusal:
        raise ValidationError({"offer": [refusal]})
    result = message_enqueue(client=client, purpose="offer", channel=channel,
                             context={"offer_text": offer.description}, cause=f"offer:{offer.pk}",
                             acting_user=acting_user)
    sent = OfferSent.objects.create(
        offer=offer, client=client, origin=origin, sent_by=acting_user,
        status=OfferSentStatus.SENT if result.message else OfferSentStatus.REFUSED,
        refused=result.refused or "", message_id=result.message.pk if result.message else None)
    audit_record(actor=acting_user, action="offer.send", obj=sent, client=client,
                 result="ok" if result.message else "refused",
                 detail={"offer": offer.pk, "origin": origin, "message": sent.message_id, "refused": sent.refused})
    return sent


def _channel(channel: str) -> str:
    if channel not in PEOPLE_CHANNELS:
        raise ValidationError({"channel": [_("Channel: must be one of: %(values)s") % {
            "values": ", ".join(PEOPLE_CHANNELS)}]})
    return channel


@transaction.atomic
def offer_send(*, offer: Offer, client: Client, acting_user: User, channel: str = "sms") -> OfferSent:
    """Send one offer to one client through the outbox; refused by the outbox (no marketing consent, opted out)
    it is recorded with the reason. A client is never sent the same offer twice."""
    require(acting_user, Cap.ENGAGE_CLIENTS)
    _client_in_scope(acting_user, client)
    channel = _channel(channel)
    Client.objects.select_for_update().filter(pk=client.pk).first()  # two desks sending at once: one after the other
    return _offer_send(offer, client, channel=channel, origin="", acting_user=acting_user)


@dataclass
class DueResult:
    due: int = 0
    sent: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    clients: list[tuple[int, str]] = field(default_factory=list)  # (client id, offer name or the skip code)


def clients_due_tier_c_offer(*, today: dt.date | None = None) -> QuerySet[Client]:
    """Active tier-C clients whose first consumption (earliest purchase, visit or checkup in the ledger) lies
    between ``c_offer_within_days`` and ``c_offer_after_days`` ago and who were not handled by this rule yet."""
    today = today or timezone.localdate()
    policy = active_policy()
    first = Min("ledger_entries__date", filter=~Q(ledger_entries__kind=LedgerKind.REFUND))
    return (Client.objects.filter(status=ClientStatus.ACTIVE, tier=Tier.C)
            .exclude(offers_sent__origin=TIER_C_ORIGIN)
            .annotate(first_consumption=first)
            .filter(first_consumption__gte=today - dt.timedelta(days=policy.c_offer_within_days),
                    first_consumption__lte=today - dt.timedelta(days=policy.c_offer_after_days))
            .select_related("branch").order_by("id"))


def offers_send_due(*, today: dt.date | None = None, dry_run: bool = False) -> DueResult:
    """Seed 002 tier C: "3个月内推送专属优惠". Each due client gets the first fitting offer (soonest to expire);
    a refusal by the outbox is recorded too, so the client is handled once (idempotent: a second run sends
    nothing). A client with no fitting offer is counted as ``no_offer`` and tried again the next day."""
    today = today or timezone.localdate()
    result = DueResult()
    offers = list(Offer.objects.filter(active=True, valid_from__lte=today, tiers__contains=Tier.C)
                  .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today)).select_related("branch")
                  .order_by(F("valid_until").asc(nulls_last=True), "id"))
    for client in clients_due_tier_c_offer(today=today):
        result.due += 1
        had = set(OfferSent.objects.filter(client=client, status=OfferSentStatus.SENT).values_list("offer_id", flat=True))
        offer = next((o for o in offers if o.pk not in had and _under(client.branch, o.branch)), None)
        if offer is None:
            result.skipped["no_offer"] += 1
            result.clients.append((client.pk, "no_offer"))
            continue
        if dry_run:
            result.clients.append((client.pk, offer.name))
            continue
        with transaction.atomic():
            locked = Client.objects.select_for_update().select_related("branch").get(pk=client.pk)
            if OfferSent.objects.filter(client=locked, origin=TIER_C_ORIGIN).exists():
                continue  # another run handled this client meanwhile
            sent = _offer_send(offer, locked, channel="sms", origin=TIER_C_ORIGIN, acting_user=None)
        if sent.status == OfferSentStatus.SENT:
            result.sent += 1
            result.clients.append((client.pk, offer.name))
        else:
            result.skipped[sent.refused] += 1
            result.clients.append((client.pk, sent.refused))
    if not dry_run:
        with transaction.atomic():
            audit_record(actor=None, action="offers.send_due", object_type="offers",
                         detail={"due": result.due, "sent": result.sent, "skipped": dict(result.skipped)})
    return result


# --- community events ----------------------------------------------------------------------------------
EVENT_FIELDS = ("kind", "title", "place", "starts_at", "capacity", "tiers", "branch", "cancelled")


def _datetime(raw: Any, errors: dict[str, list[str]]) -> dt.datetime | None:
    if raw in (None, ""):
        errors["starts_at"] = [_("Starts: is required.")]
        return None
    value = raw
    if not isinstance(raw, dt.datetime):
        try:
            value = dt.datetime.fromisoformat(str(raw))
        except ValueError:
            errors["starts_at"] = [_("Starts: use the format YYYY-MM-DD HH:MM.")]
            return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


@transaction.atomic
def event_save(*, data: dict[str, Any], acting_user: User, event: CommunityEvent | None = None) -> CommunityEvent:
    """Create or change a salon, community event or lecture. Errors name each field."""
    require(acting_user, Cap.MANAGE_OFFERS)
    if event is not None:
        event = CommunityEvent.objects.select_for_update().get(pk=event.pk)
        if not unit_in_subtree(acting_user, event.branch):
            raise PermissionDenied(_("This event belongs to another part of the organisation."))
    errors: dict[str, list[str]] = {}
    kind = str(data.get("kind") or "")
    if kind not in EventKind.values:
        errors["kind"] = [_("Kind: must be one of: %(values)s") % {"values": ", ".join(EventKind.values)}]
    title = _text(data, "title", _("Title"), 80, errors)
    place = _text(data, "place", _("Place"), 100, errors)
    starts_at = _datetime(data.get("starts_at"), errors)
    if starts_at and event is None and starts_at <= timezone.now():
        errors["starts_at"] = [_("Starts: must be in the future.")]
    capacity: int | None = None
    try:
        capacity = int(str(data.get("capacity")))
    except ValueError:
        errors["capacity"] = [_("Places: must be a whole number.")]
    if capacity is not None and not 1 <= capacity <= 10000:
        errors["capacity"] = [_("Places: from 1 to 10000.")]
    elif capacity is not None and event is not None and capacity < event.registered:
        errors["capacity"] = [_("Places: %(n)s clients are registered already.") % {"n": event.registered}]
    tiers = _tiers(data.get("tiers"), errors)
    branch = _branch(data.get("branch"), acting_user, errors, required=True)
    if errors:
        raise ValidationError(errors)
    assert starts_at is not None and capacity is not None and branch is not None
    key = {"branch": "branch_id"}
    before = {f: str(getattr(event, key.get(f, f))) for f in EVENT_FIELDS} if event else {}
    target = event or CommunityEvent(created_by=acting_user)
    target.kind, target.title, target.place, target.starts_at = kind, title, place, starts_at
    target.capacity, target.tiers, target.branch = capacity, tiers, branch
    target.cancelled = _bool(data.get("cancelled", False))
    target.save()
    after = {f: str(getattr(target, key.get(f, f))) for f in EVENT_FIELDS}
    audit_record(actor=acting_user, action="event.save", obj=target,
                 detail={"created": event is None,
                         "changed": {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}})
    return target


def _require_event_scope(user: User, event: CommunityEvent) -> None:
    if not unit_in_subtree(user, event.branch):
        raise PermissionDenied(_("This event belongs to another part of the organisation."))


def _require_open(event: CommunityEvent) -> None:
    if event.cancelled:
        raise EventConflict({"event": [_("Event: it is cancelled.")]}, code="closed")
    if event.starts_at <= timezone.now():
        raise EventConflict({"event": [_("Event: it has already begun.")]}, code="closed")


def _invitation_context(event: CommunityEvent) -> dict[str, str]:
    start = timezone.localtime(event.starts_at)
    return {"event_title": event.title, "place": event.place,
            "event_time": f"{start.year}年{start.month}月{start.day}日 {start.strftime('%H:%M')}"}


@dataclass
class InviteResult:
    invited: int = 0
    already: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


def invitees(event: CommunityEvent, user: User) -> QuerySet[Client]:
    """Active clients of the invited tiers at the event's branch (and below) whom ``user`` may see."""
    return (clients_visible_to(user).filter(status=ClientStatus.ACTIVE, tier__in=list(event.tiers),
                                            branch__path__startswith=event.branch.path)
            .select_related("branch").order_by("id"))


@transaction.atomic
def event_invite(*, event: CommunityEvent, acting_user: User, channel: str = "sms") -> InviteResult:
    """Invite the event's tiers (one message per client through the outbox, purpose ``event_invitation``).

    A client invited before is not invited again; a client the outbox refuses (no marketing consent, opted
    out, no contact) is skipped with the reason counted and may be invited later."""
    require(acting_user, Cap.ENGAGE_CLIENTS)
    event = CommunityEvent.objects.select_for_update().select_related("branch").get(pk=event.pk)
    _require_event_scope(acting_user, event)
    _require_open(event)
    channel = _channel(channel)
    result = InviteResult()
    context = _invitation_context(event)
    seen = set(EventRegistration.objects.filter(event=event).values_list("client_id", flat=True))
    now = timezone.now()
    rows: list[EventRegistration] = []
    for client in invitees(event, acting_user):
        if client.pk in seen:
            result.already += 1
            continue
        sent = message_enqueue(client=client, purpose="event_invitation", channel=channel, context=context,
                               cause=f"event:{event.pk}", acting_user=acting_user)
        if sent.message is None:
            result.skipped[sent.refused or "refused"] += 1
            continue
        result.invited += 1
        rows.append(EventRegistration(event=event, client=client, status=RegistrationStatus.INVITED,
                                      invitation_message_id=sent.message.pk, invited_at=now, status_at=now,
                                      changed_by=acting_user))
    EventRegistration.objects.bulk_create(rows)
    audit_record(actor=acting_user, action="event.invite", obj=event,
                 detail={"tiers": event.tiers, "channel": channel, "invited": result.invited,
                         "already": result.already, "skipped": dict(result.skipped)})
    return result


def _take_place(event: CommunityEvent) -> None:
    """One conditional UPDATE: two desks registering the last place at once — one wins, one is refused."""
    if not CommunityEvent.objects.filter(pk=event.pk, registered__lt=F("capacity")).update(registered=F("registered") + 1):
        raise EventConflict({"event": [_("Event: all places are taken.")]}, code="full")


@transaction.atomic
def event_register(*, event: CommunityEvent, client: Client, acting_user: User) -> EventRegistration:
    """The client says yes (by phone, at the desk, replying to the invitation): a place is taken."""
    require(acting_user, Cap.ENGAGE_CLIENTS)
    event = CommunityEvent.objects.select_related("branch").get(pk=event.pk)
    _require_event_scope(acting_user, event)
    _client_in_scope(acting_user, client)
    _require_open(event)
    if client.status != ClientStatus.ACTIVE:
        raise ValidationError({"client": [_("Client: only active clients can be registered.")]})
    row = EventRegistration.objects.select_for_update().filter(event=event, client=client).first()
    if row is not None and row.status in HOLDS_PLACE:
        raise EventConflict({"client": [_("Client: already registered for this event.")]}, code="duplicate")
    _take_place(event)
    now = timezone.now()
    if row is None:
        row = EventRegistration.objects.create(event=event, client=client, status=RegistrationStatus.REGISTERED,
                                               status_at=now, changed_by=acting_user)
    else:
        row.status, row.status_at, row.changed_by = RegistrationStatus.REGISTERED, now, acting_user
        row.save(update_fields=["status", "status_at", "changed_by"])
    audit_record(actor=acting_user, action="event.register", obj=row, client=client, detail={"event": event.pk})
    return row


def _locked_registration(registration: EventRegistration, user: User) -> EventRegistration:
    row = (EventRegistration.objects.select_for_update(of=("self",)).select_related("event", "event__branch", "client")
           .get(pk=registration.pk))
    _require_event_scope(user, row.event)
    _client_in_scope(user, row.client)
    return row


@transaction.atomic
def event_registration_decline(*, registration: EventRegistration, acting_user: User) -> EventRegistration:
    """The client says no (or cancels): a held place is released."""
    require(acting_user, Cap.ENGAGE_CLIENTS)
    row = _locked_registration(registration, acting_user)
    if row.status not in (RegistrationStatus.INVITED, RegistrationStatus.REGISTERED):
        raise EventConflict({"status": [_("Status: this registration is already %(status)s.") % {
            "status": row.get_status_display()}]}, code="closed")
    if row.status == RegistrationStatus.REGISTERED:
        CommunityEvent.objects.filter(pk=row.event_id, registered__gt=0).update(registered=F("registered") - 1)
    row.status, row.status_at, row.changed_by = RegistrationStatus.DECLINED, timezone.now(), acting_user
    row.save(update_fields=["status", "status_at", "changed_by"])
    audit_record(actor=acting_user, action="event.decline", obj=row, client=row.client, detail={"event": row.event_id})
    return row


@transaction.atomic
def event_attendance_record(*, registration: EventRegistration, attended: bool,
                            acting_user: User) -> EventRegistration:
    """On the day (or after): the registered client came, or did not."""
    require(acting_user, Cap.ENGAGE_CLIENTS)
    row = _locked_registration(registration, acting_user)
    if row.status != RegistrationStatus.REGISTERED:
        raise EventConflict({"status": [_("Status: only a registered client's attendance can be recorded.")]},
                            code="closed")
    if timezone.localtime(row.event.starts_at).date() > timezone.localdate():
        raise ValidationError({"status": [_("Status: attendance can be recorded from the day of the event.")]})
    row.status = RegistrationStatus.ATTENDED if attended else RegistrationStatus.NO_SHOW
    row.status_at, row.changed_by = timezone.now(), acting_user
    row.save(update_fields=["status", "status_at", "changed_by"])
    audit_record(actor=acting_user, action="event.attendance", obj=row, client=row.client,
                 detail={"event": row.event_id, "attended": attended})
    return row


# --- the quarterly salon (tier A) ------------------------------------------------------------------------
def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = day.replace(month=first_month, day=1)
    end = (start.replace(month=first_month + 2, day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    return start, end


def branches_without_salon(units: QuerySet[OrgUnit] | list[OrgUnit], *,
                           today: dt.date | None = None) -> list[OrgUnit]:
    """Seed 002 "每季度组织专属健康沙龙": the branches among ``units`` with active tier-A clients and no salon
    (not cancelled, inviting tier A) this quarter at the branch, below it or above it (a head-office salon)."""
    today = today or timezone.localdate()
    start, end = quarter_of(today)
    lo = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    hi = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    salons = list(CommunityEvent.objects.filter(kind=EventKind.SALON, cancelled=False, tiers__contains="A",
                                                starts_at__gte=lo, starts_at__lt=hi)
                  .values_list("branch__path", flat=True))
    gaps = []
    for unit in units:
        if any(p.startswith(unit.path) or unit.path.startswith(p) for p in salons):
            continue
        if Client.objects.filter(status=ClientStatus.ACTIVE, tier=Tier.A, branch__path__startswith=unit.path).exists():
            gaps.append(unit)
    return gaps


def salon_gaps_for(user: User) -> list[OrgUnit]:
    """``branches_without_salon`` for the branches of the user's part of the organisation."""
    from careloop.org.models import UnitKind
    from careloop.org.selectors import units_visible_to

    return branches_without_salon(list(units_visible_to(user).filter(kind=UnitKind.BRANCH)))


def salon_gap_text(units: list[OrgUnit], today: dt.date | None = None) -> str:
    start, _end = quarter_of(today or timezone.localdate())
    with translation.override(settings.LANGUAGE_CODE):
        return _("No tier A salon is planned this quarter (from %(start)s) at: %(units)s") % {
            "start": start.isoformat(), "units": "、".join(u.name for u in units)}
