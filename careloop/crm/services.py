"""Writes of careloop.crm. Each function is atomic, checks the right itself and writes its audit row."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.clients.models import Client, ClientStatus, Tier
from careloop.clients.selectors import clients_visible_to
from careloop.clients.services import client_set_tier, clients_set_tier_many
from careloop.core import events
from careloop.crm.followup_link import open_lead_followups_many, open_team_followup
from careloop.crm.models import (
    SLOT_MINUTES,
    Appointment,
    AppointmentStatus,
    LedgerEntry,
    LedgerKind,
    Slot,
    SlotTemplate,
    TierOverride,
    TierPolicy,
)
from careloop.crm.permissions import require
from careloop.crm.tiers import Move, Preview, active_policy, compute_moves, iter_moves, value_threshold
from careloop.followups.models import OPEN_STATUSES, FollowupTask
from careloop.messaging.models import PENDING_STATUSES, Message
from careloop.messaging.services import EnqueueResult, message_cancel, message_enqueue
from careloop.org.models import OrgUnit, UnitKind, User
from careloop.org.permissions import Cap
from careloop.org.selectors import unit_in_subtree
from careloop.workdays.calendar import is_working_day

MAX_AMOUNT = Decimal("9999999999.99")


def _in_scope(user: User, client: Client) -> None:
    if not clients_visible_to(user).filter(pk=client.pk).exists():
        raise PermissionDenied(_("This client is outside your part of the organisation."))


@transaction.atomic
def ledger_entry_add(*, client: Client, date: dt.date, kind: str, amount: Decimal | int | str, note: str = "",
                     source: str = "", acting_user: User) -> LedgerEntry:
    """Record one purchase, visit, checkup or refund in the client's ledger.

    Purchases, visits and checkups need an amount >= 0; a refund's amount must not be zero and is
    stored negative whatever sign it is given with (so a ledger's sum is the client's net value).
    ``source`` says where the entry came from (e.g. ``plan:12``); empty for entries typed in.
    """
    require(acting_user, Cap.MANAGE_LEDGER)
    _in_scope(acting_user, client)
    errors: dict[str, list[str]] = {}
    if kind not in LedgerKind.values:
        errors["kind"] = [_("Kind: must be one of: %(values)s") % {"values": ", ".join(LedgerKind.values)}]
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        errors["date"] = [_("Date: use the format YYYY-MM-DD.")]
    elif date > timezone.localdate():
        errors["date"] = [_("Date: cannot be in the future.")]
    elif date.year < 1900:
        errors["date"] = [_("Date: must be 1900 or later.")]
    value: Decimal | None = None
    try:
        value = Decimal(str(amount)) if not isinstance(amount, bool) and amount is not None else None
    except (InvalidOperation, ValueError):
        value = None
    if value is None or not value.is_finite():
        errors["amount"] = [_("Amount: must be a number, e.g. 199.00.")]
    elif value.as_tuple().exponent < -2:  # type: ignore[operator]
        errors["amount"] = [_("Amount: at most two decimal places.")]
    elif abs(value) > MAX_AMOUNT:
        errors["amount"] = [_("Amount: too large.")]
    elif kind == LedgerKind.REFUND and value == 0:
        errors["amount"] = [_("Amount: a refund cannot be zero.")]
    elif kind in LedgerKind.values and kind != LedgerKind.REFUND and value < 0:
        errors["amount"] = [_("Amount: cannot be negative for a purchase, visit or checkup; record a refund instead.")]
    note = (note or "").strip()
    source = (source or "").strip()
    if len(note) > 200:
        errors["note"] = [_("Note: at most 200 characters.")]
    if len(source) > 60:
        errors["source"] = [_("Source: at most 60 characters.")]
    if errors:
        raise ValidationError(errors)
    assert value is not None
    if kind == LedgerKind.REFUND:
        value = -abs(value)
    entry = LedgerEntry.objects.create(client=client, date=date, kind=kind, amount=value.quantize(Decimal("0.01")),
                                       note=note, source=source, created_by=acting_user)
    audit_record(actor=acting_user, action="ledger.add", obj=entry, client=client,
                 detail={"kind": kind, "amount": str(entry.amount), "date": date.isoformat(), "source": source})
    return entry


# --- tiers (CRM-1, CRM-2) ------------------------------------------------------------------------
@dataclass
class RecomputeResult:
    active_clients: int
    moves: list[Move]  # empty when run with keep_moves=False
    applied: bool
    moved: int = 0
    by_pair: Counter[tuple[str, str]] = field(default_factory=Counter)


def _tier_a_missing_reason(client: Client) -> str:
    """The lead's worklist text for a tier-A client without a dedicated manager or doctor ("" when both are set)."""
    missing = [str(label) for label, value in ((_("health manager"), client.health_manager_id),
                                                (_("family doctor"), client.family_doctor_id)) if not value]
    if not missing:
        return ""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Tier A client: assign a dedicated %(missing)s") % {"missing": _(" and ").join(
            str(_(m)) for m in missing)}


def _tier_a_upkeep(client: Client, acting_user: User | None) -> None:
    """CRM-2: a tier-A client has a dedicated health manager and doctor; a lead's worklist item when not."""
    client.refresh_from_db(fields=["health_manager", "family_doctor"])
    _tier_a_upkeep_many([client], acting_user)


def _tier_a_upkeep_many(clients: list[Client], acting_user: User | None) -> int:
    """``_tier_a_upkeep`` for clients just moved to A (fresh rows): one query for the items the leads already
    have, then one worklist item per client still missing a manager or doctor. Returns how many were opened."""
    reasons = {c.pk: r for c in clients if (r := _tier_a_missing_reason(c))}
    if not reasons:
        return 0
    existing = set(FollowupTask.objects.filter(client_id__in=list(reasons), reason__in=set(reasons.values()),
                                               status__in=OPEN_STATUSES).values_list("client_id", "reason"))
    items = [(c, reasons[c.pk]) for c in clients
             if c.pk in reasons and (c.pk, reasons[c.pk]) not in existing]  # else the lead already has this item
    if len(items) == 1:
        open_team_followup(client=items[0][0], due_date=timezone.localdate(), reason=items[0][1],
                           acting_user=acting_user, origin="tier_a_upkeep", to_lead=True, window_days=7)
    elif items:
        open_lead_followups_many(items=items, due_date=timezone.localdate(), acting_user=acting_user,
                                 origin="tier_a_upkeep", window_days=7)
    return len(items)


def _apply_move(move: Move, *, acting_user: User | None) -> None:
    client = Client.objects.select_related("branch").get(pk=move.client_id)
    client = client_set_tier(client=client, tier=move.new, reason=move.reason, acting_user=acting_user,
                             automatic=True)
    if move.new == "A":
        _tier_a_upkeep(client, acting_user)


APPLY_BATCH = 500


@transaction.atomic
def tier_moves_apply(*, moves: list[Move], acting_user: User | None) -> int:
    """Apply computed moves in one transaction (a batch of a recompute): per client a tier-history row, a
    ``client.tier`` audit row and the follow-up re-plan (FU-6 upkeep follows the tier), written in bulk by
    ``clients_set_tier_many``; then the tier-A upkeep of the clients moved to A. Returns how many moved (a
    client moved by someone since the computation is skipped)."""
    changes = clients_set_tier_many(moves=[(m.client_id, m.old, m.new, m.reason) for m in moves],
                                    acting_user=acting_user)
    _tier_a_upkeep_many([ch.client for ch in changes if ch.new == "A"], acting_user)
    return len(changes)


def tiers_recompute(*, acting_user: User | None = None, today: dt.date | None = None, dry_run: bool = False,
                    client_ids: list[int] | None = None, keep_moves: bool = True) -> RecomputeResult:
    """Recompute every active client's tier (CRM-1); the moves are applied in batches of APPLY_BATCH clients as
    they stream from the computation, each batch one transaction (``tier_moves_apply``), so a failure loses at
    most one batch, not the run. ``keep_moves=False`` (the nightly job) keeps counts only: flat memory.

    Called by the nightly job, `careloop tiers recompute` and the criteria screen (dry run = preview).
    """
    policy = active_policy()
    today = today or timezone.localdate()
    preview = Preview(active_clients=0, threshold=None)
    moves = iter_moves(policy, today, preview, client_ids=client_ids)
    if not dry_run and connection.vendor != "postgresql":
        # Applying while reading: PostgreSQL's cursor reads its own snapshot; SQLite gives no such isolation
        # within a connection, so there the moves are collected first (small installations).
        moves = iter(list(moves))
    kept: list[Move] = []
    applied = 0
    batch: list[Move] = []
    for move in moves:
        if keep_moves:
            kept.append(move)
        if dry_run:
            continue
        batch.append(move)
        if len(batch) == APPLY_BATCH:
            applied += tier_moves_apply(moves=batch, acting_user=acting_user)
            batch = []
    if batch:
        applied += tier_moves_apply(moves=batch, acting_user=acting_user)
    if client_ids is not None:
        preview.active_clients = Client.objects.filter(status=ClientStatus.ACTIVE).count()
        preview.threshold = value_threshold(policy, today, preview.active_clients)
    elif preview.threshold is not None:
        preview.threshold = preview.threshold.quantize(Decimal("0.01"))
    if not dry_run:
        with transaction.atomic():
            audit_record(actor=acting_user, action="tiers.recompute", object_type="tiers",
                         detail={"active_clients": preview.active_clients, "moves": preview.moved,
                                 **({"skipped": preview.moved - applied} if applied != preview.moved else {}),
                                 "threshold": str(preview.threshold) if preview.threshold is not None else None})
    return RecomputeResult(active_clients=preview.active_clients, moves=kept, applied=not dry_run,
                           moved=preview.moved, by_pair=preview.by_pair)


POLICY_FIELDS = ("value_window_days", "a_top_share", "a_visit_window_days", "a_visits_per_month", "a_chronic",
                 "b_min_visits", "b_min_value", "override_days", "booking_days_a", "booking_days_b", "booking_days_c",
                 "a_reserved_share", "reminder_hours", "c_offer_after_days", "c_offer_within_days")


def _label(name: str) -> str:
    return capfirst(str(getattr(TierPolicy._meta.get_field(name), "verbose_name", name)))


def _offer_window_errors(policy: TierPolicy, errors: dict[str, list[str]]) -> None:
    """The tier C offer window (seed 002: within 3 months of the first consumption)."""
    for name in ("c_offer_after_days", "c_offer_within_days"):
        if name not in errors and not 0 <= int(getattr(policy, name)) <= 366:
            errors[name] = [_("%(field)s: must be from 0 to 366.") % {"field": _label(name)}]
    if not {"c_offer_after_days", "c_offer_within_days"} & set(errors) \
            and policy.c_offer_after_days > policy.c_offer_within_days:
        errors["c_offer_after_days"] = [_("%(field)s: cannot be after the end of the offer window.") % {
            "field": _label("c_offer_after_days")}]


def tier_policy_clean(data: dict[str, Any]) -> TierPolicy:
    """An unsaved policy from the current one and ``data``; errors name each field."""
    current = active_policy()
    policy = TierPolicy(**{f: getattr(current, f) for f in POLICY_FIELDS})
    errors: dict[str, list[str]] = {}
    for name in POLICY_FIELDS:
        if name not in data:
            continue
        model_field: Any = TierPolicy._meta.get_field(name)
        try:
            value = model_field.to_python(data[name])
        except ValidationError:
            errors[name] = [_("%(field)s: enter a valid number.") % {"field": _label(name)}]
            continue
        setattr(policy, name, value)
    for name in ("a_top_share", "a_reserved_share"):
        value = getattr(policy, name)
        if name not in errors and not (Decimal(0) <= Decimal(value) <= Decimal(1)):
            errors[name] = [_("%(field)s: must be between 0 and 1.") % {
                "field": _label(name)}]
    for name in ("value_window_days", "a_visit_window_days"):
        if name not in errors and not 1 <= int(getattr(policy, name)) <= 3660:
            errors[name] = [_("%(field)s: must be from 1 to 3660.") % {
                "field": _label(name)}]
    if "a_visit_window_days" not in errors and "value_window_days" not in errors \
            and policy.a_visit_window_days > policy.value_window_days:
        errors["a_visit_window_days"] = [_("%(field)s: cannot be longer than the value window.") % {
            "field": _label("a_visit_window_days")}]
    if "a_visits_per_month" not in errors and policy.a_visits_per_month <= 0:
        errors["a_visits_per_month"] = [_("%(field)s: must be more than 0.") % {
            "field": _label("a_visits_per_month")}]
    if "b_min_value" not in errors and policy.b_min_value < 0:
        errors["b_min_value"] = [_("%(field)s: cannot be negative.") % {
            "field": _label("b_min_value")}]
    for name in ("booking_days_a", "booking_days_b", "booking_days_c"):
        if name not in errors and not 0 <= int(getattr(policy, name)) <= 90:
            errors[name] = [_("%(field)s: must be from 0 to 90.") % {
                "field": _label(name)}]
    _offer_window_errors(policy, errors)
    if errors:
        raise ValidationError(errors)
    return policy


def tier_policy_preview(*, data: dict[str, Any], acting_user: User) -> Preview:
    """How many clients would move under the criteria in ``data`` (nothing is saved)."""
    require(acting_user, Cap.MANAGE_RULES)
    return compute_moves(tier_policy_clean(data), keep_moves=False)


@transaction.atomic
def tier_policy_save(*, data: dict[str, Any], note: str = "", acting_user: User) -> TierPolicy:
    """Put new criteria in force (the previous row stays as history). Clients move at the next recompute."""
    require(acting_user, Cap.MANAGE_RULES)
    policy = tier_policy_clean(data)
    before = active_policy()
    TierPolicy.objects.filter(active=True).update(active=False)
    policy.active, policy.note, policy.created_by = True, (note or "").strip()[:200], acting_user
    policy.save()
    changed = {f: [str(getattr(before, f)), str(getattr(policy, f))] for f in POLICY_FIELDS
               if str(getattr(before, f)) != str(getattr(policy, f))}
    audit_record(actor=acting_user, action="tier_policy.save", obj=policy, detail={"changed": changed})
    return policy


@transaction.atomic
def tier_override_set(*, client: Client, tier: str, reason: str, acting_user: User,
                      expires_on: dt.date | None = None) -> TierOverride:
    """A manual tier with a reason; it survives recomputation until ``expires_on`` or until lifted."""
    require(acting_user, Cap.MANAGE_TIERS)
    _in_scope(acting_user, client)
    errors: dict[str, list[str]] = {}
    if tier not in Tier.values:
        errors["tier"] = [_("Tier: must be one of: %(values)s") % {"values": ", ".join(Tier.values)}]
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("Reason: is required when the tier changes")]
    elif len(reason) > 180:
        errors["reason"] = [_("Reason: at most 180 characters.")]
    today = timezone.localdate()
    if expires_on is None:
        days = active_policy().override_days
        expires_on = today + dt.timedelta(days=days) if days else None
    elif expires_on <= today:
        errors["expires_on"] = [_("Expires: must be after today.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    for old in TierOverride.objects.select_for_update().filter(client=client, lifted_at__isnull=True):
        old.lifted_at, old.lifted_by = now, acting_user
        old.save(update_fields=["lifted_at", "lifted_by"])
    override = TierOverride.objects.create(client=client, tier=tier, reason=reason, expires_on=expires_on,
                                           created_by=acting_user)
    audit_record(actor=acting_user, action="tier.override", obj=override, client=client,
                 detail={"tier": tier, "reason": reason, "expires_on": expires_on.isoformat() if expires_on else None})
    with translation.override(settings.LANGUAGE_CODE):
        why = _("manual override: %(reason)s") % {"reason": reason}
    client = client_set_tier(client=client, tier=tier, reason=why, acting_user=acting_user)
    if tier == "A":
        _tier_a_upkeep(client, acting_user)
    return override


@transaction.atomic
def tier_override_lift(*, client: Client, reason: str, acting_user: User) -> int:
    """End the client's override; the computed tier applies again at once."""
    require(acting_user, Cap.MANAGE_TIERS)
    _in_scope(acting_user, client)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Reason: is required when the tier changes")]})
    now = timezone.now()
    lifted = TierOverride.objects.filter(client=client, lifted_at__isnull=True).update(lifted_at=now, lifted_by=acting_user)
    audit_record(actor=acting_user, action="tier.override_lift", obj=client, client=client,
                 detail={"reason": reason.strip()[:200], "lifted": lifted})
    if lifted:
        for move in compute_moves(client_ids=[client.pk]).moves:
            _apply_move(move, acting_user=acting_user)
    return lifted


# --- appointments (CRM-3) -------------------------------------------------------------------------
class BookingConflict(ValidationError):
    """The booking cannot be made as asked (full slot, outside the tier's window, already booked): HTTP 409.

    ``conflict`` says which: ``full``, ``held`` (the rest is held for tier A), ``window``, ``duplicate``, ``closed``.
    """

    def __init__(self, errors: dict[str, list[str]], *, code: str) -> None:
        super().__init__(errors)
        self.conflict = code


def _require_site(user: User, site: OrgUnit) -> None:
    if not unit_in_subtree(user, site):
        raise PermissionDenied(_("This site is outside your part of the organisation."))


def _is_holiday(day: dt.date) -> bool:
    """A weekday the working-day calendar marks as a day off (public holidays); weekends follow their templates."""
    return day.weekday() < 5 and not is_working_day(day)


@transaction.atomic
def slots_publish(*, site: OrgUnit, start_date: dt.date, end_date: dt.date, acting_user: User | None,
                  automatic: bool = False) -> int:
    """Create the 30-minute slots of ``site``'s weekly templates for each day of the range (holidays skipped).

    Idempotent: a slot that exists already is left as it is (with its bookings).
    """
    if not automatic:
        require(acting_user, Cap.MANAGE_SLOTS)  # type: ignore[arg-type]
        _require_site(acting_user, site)  # type: ignore[arg-type]
    errors: dict[str, list[str]] = {}
    if site.kind != UnitKind.SITE:
        errors["site"] = [_("Site: choose a site (a clinic or checkup centre), not a branch.")]
    if end_date < start_date:
        errors["end_date"] = [_("Until: must not be before the start.")]
    elif (end_date - start_date).days > 92:
        errors["end_date"] = [_("Until: at most 92 days at a time.")]
    if errors:
        raise ValidationError(errors)
    templates = list(SlotTemplate.objects.filter(site=site, active=True, service__active=True))
    step = dt.timedelta(minutes=SLOT_MINUTES)
    rows: list[Slot] = []
    day = start_date
    while day <= end_date:
        if not _is_holiday(day):
            for template in templates:
                if template.weekday != day.weekday():
                    continue
                start = timezone.make_aware(dt.datetime.combine(day, template.start))
                end = timezone.make_aware(dt.datetime.combine(day, template.end))
                while start + step <= end:
                    rows.append(Slot(site=site, service_id=template.service_id, start=start,
                                     capacity=template.capacity))
                    start += step
        day += dt.timedelta(days=1)
    before = Slot.objects.filter(site=site).count()
    Slot.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    created = Slot.objects.filter(site=site).count() - before
    audit_record(actor=acting_user, action="slots.publish", obj=site,
                 detail={"from": start_date.isoformat(), "to": end_date.isoformat(), "created": created})
    return created


def held_for_tier_a(capacity: int, share: Decimal) -> int:
    """Places of a slot only tier A may take (rounded down, so a one-place slot is open to everyone)."""
    return int(Decimal(capacity) * Decimal(share)) if capacity > 1 else 0


def _local(when: dt.datetime) -> dt.datetime:
    return timezone.localtime(when)


def _message_context(appointment: Appointment) -> dict[str, str]:
    slot = appointment.slot
    start = _local(slot.start)
    with translation.override(settings.LANGUAGE_CODE):
        when = _("%(date)s %(time)s") % {"date": f"{start.year}年{start.month}月{start.day}日",
                                        "time": start.strftime("%H:%M")}
    place = " ".join(p for p in (slot.site.name, slot.service.place) if p)
    notes = " ".join(p for p in (slot.service.notes, appointment.notes) if p)
    return {"appointment_time": f"{when} {slot.service.name}", "place": place, "notes": notes or ""}


def _enqueue_messages(appointment: Appointment, acting_user: User | None) -> EnqueueResult:
    context = _message_context(appointment)
    if not context["notes"]:
        context.pop("notes")
    confirmation = message_enqueue(client=appointment.client, purpose="appointment_confirmation", context=context,
                                   cause=f"appointment:{appointment.pk}", acting_user=acting_user)
    remind_at = appointment.slot.start - dt.timedelta(hours=active_policy().reminder_hours)
    if remind_at > timezone.now():
        reminder = message_enqueue(client=appointment.client, purpose="appointment_reminder", context=context,
                                   scheduled_at=remind_at, cause=f"appointment:{appointment.pk}",
                                   acting_user=acting_user)
        appointment.reminder_message_id = reminder.message.pk if reminder.message else None
    appointment.confirmation_message_id = confirmation.message.pk if confirmation.message else None
    appointment.save(update_fields=["confirmation_message_id", "reminder_message_id"])
    return confirmation


def _take_place(slot: Slot, client: Client, policy: TierPolicy) -> None:
    """One conditional UPDATE: two desks booking the last place at once — one wins, one is refused."""
    limit = slot.capacity if client.tier == "A" else slot.capacity - held_for_tier_a(slot.capacity,
                                                                                      policy.a_reserved_share)
    taken = Slot.objects.filter(pk=slot.pk, booked__lt=limit).update(booked=F("booked") + 1)
    if taken:
        return
    current = Slot.objects.filter(pk=slot.pk).values_list("booked", flat=True).first() or 0
    if current < slot.capacity:
        raise BookingConflict({"slot": [_("Slot: the remaining places are held for tier A clients.")]},
                              code="held")
    raise BookingConflict({"slot": [_("Slot: this time is fully booked.")]}, code="full")


def _check_bookable(client: Client, slot: Slot, policy: TierPolicy) -> None:
    if client.status != ClientStatus.ACTIVE:
        raise ValidationError({"client": [_("Client: only active clients can be booked (now %(status)s).") % {
            "status": client.get_status_display()}]})
    now = timezone.now()
    if slot.start <= now:
        raise ValidationError({"slot": [_("Slot: this time has already begun.")]})
    days = policy.booking_days(client.tier)
    last_day = timezone.localdate() + dt.timedelta(days=days)
    if _local(slot.start).date() > last_day:
        raise BookingConflict({"slot": [_(
            "Slot: tier %(tier)s clients may book up to %(days)s days ahead (until %(last)s).") % {
            "tier": client.tier, "days": days, "last": last_day.isoformat()}]}, code="window")
    if Appointment.objects.filter(client=client, slot=slot, status=AppointmentStatus.BOOKED).exists():
        raise BookingConflict({"slot": [_("Slot: this client is already booked at this time.")]}, code="duplicate")


def _book(*, client: Client, slot: Slot, notes: str, acting_user: User | None,
          rescheduled_from: Appointment | None = None) -> Appointment:
    policy = active_policy()
    notes = (notes or "").strip()
    if len(notes) > 200:
        raise ValidationError({"notes": [_("Notes: at most 200 characters.")]})
    slot = Slot.objects.select_related("site", "service").get(pk=slot.pk)
    _check_bookable(client, slot, policy)
    _take_place(slot, client, policy)
    appointment = Appointment.objects.create(client=client, slot=slot, notes=notes, booked_by=acting_user,
                                             rescheduled_from=rescheduled_from)
    appointment.slot = slot
    return appointment


@transaction.atomic
def appointment_book(*, client: Client, slot: Slot, acting_user: User, notes: str = "") -> Appointment:
    """Book one place (CRM-3): within the tier's window, tier A's share respected, confirmation and reminder queued."""
    require(acting_user, Cap.BOOK_APPOINTMENTS)
    _in_scope(acting_user, client)
    appointment = _book(client=client, slot=slot, notes=notes, acting_user=acting_user)
    confirmation = _enqueue_messages(appointment, acting_user)
    audit_record(actor=acting_user, action="appointment.book", obj=appointment, client=client,
                 detail={"slot": slot.pk, "start": appointment.slot.start.isoformat(),
                         "confirmation": appointment.confirmation_message_id, "refused": confirmation.refused})
    _emit_booked(appointment)
    return appointment


def _emit_booked(appointment: Appointment) -> None:
    """The ``crm.appointment_booked`` event (a reschedule books anew and names the booking it replaces)."""
    slot = appointment.slot
    events.emit("crm.appointment_booked", lambda: {
        "appointment": appointment.pk, "client": appointment.client_id, "slot": slot.pk, "site": slot.site_id,
        "service": slot.service.code, "start": timezone.localtime(slot.start).isoformat(timespec="seconds"),
        "rescheduled_from": appointment.rescheduled_from_id,
    }, branch_id=appointment.client.branch_id)


def _locked(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update(of=("self",)).select_related("slot", "slot__site", "slot__service",
                                                                             "client").get(pk=appointment.pk)


def _require_booked(appointment: Appointment) -> None:
    if appointment.status != AppointmentStatus.BOOKED:
        raise BookingConflict({"status": [_("Status: this appointment is already %(status)s.") % {
            "status": appointment.get_status_display()}]}, code="closed")


def _release(appointment: Appointment, reason: str) -> None:
    Slot.objects.filter(pk=appointment.slot_id, booked__gt=0).update(booked=F("booked") - 1)
    if appointment.reminder_message_id:
        reminder = Message.objects.filter(pk=appointment.reminder_message_id, status__in=PENDING_STATUSES).first()
        if reminder is not None:
            message_cancel(message=reminder, reason=reason, acting_user=None)  # type: ignore[arg-type]  # the system


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, reason: str, acting_user: User) -> Appointment:
    require(acting_user, Cap.BOOK_APPOINTMENTS)
    appointment = _locked(appointment)
    _in_scope(acting_user, appointment.client)
    _require_booked(appointment)
    reason = (reason or "").strip() or _("cancelled")
    appointment.status, appointment.status_at, appointment.status_reason = (
        AppointmentStatus.CANCELLED, timezone.now(), reason[:200])
    appointment.save(update_fields=["status", "status_at", "status_reason"])
    _release(appointment, reason)
    audit_record(actor=acting_user, action="appointment.cancel", obj=appointment, client=appointment.client,
                 detail={"reason": reason[:200]})
    return appointment


@transaction.atomic
def appointment_reschedule(*, appointment: Appointment, slot: Slot, acting_user: User) -> Appointment:
    """Move a booking to another slot: the new place is taken first, then the old one is released."""
    require(acting_user, Cap.BOOK_APPOINTMENTS)
    old = _locked(appointment)
    _in_scope(acting_user, old.client)
    _require_booked(old)
    if slot.pk == old.slot_id:
        raise ValidationError({"slot": [_("Slot: choose a different time.")]})
    new = _book(client=old.client, slot=slot, notes=old.notes, acting_user=acting_user, rescheduled_from=old)
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("rescheduled")
    old.status, old.status_at, old.status_reason = AppointmentStatus.CANCELLED, timezone.now(), reason
    old.save(update_fields=["status", "status_at", "status_reason"])
    _release(old, reason)
    _enqueue_messages(new, acting_user)
    audit_record(actor=acting_user, action="appointment.reschedule", obj=new, client=new.client,
                 detail={"from": old.pk, "slot": slot.pk})
    _emit_booked(new)
    return new


@transaction.atomic
def appointment_check_in(*, appointment: Appointment, acting_user: User) -> Appointment:
    """The client arrived: recorded, and the visit goes into the ledger (amount 0; charges are their own entries)."""
    require(acting_user, Cap.BOOK_APPOINTMENTS)
    appointment = _locked(appointment)
    _in_scope(acting_user, appointment.client)
    _require_booked(appointment)
    if _local(appointment.slot.start).date() != timezone.localdate():
        raise ValidationError({"status": [_("Status: check-in is only possible on the day of the appointment.")]})
    appointment.status, appointment.status_at = AppointmentStatus.CHECKED_IN, timezone.now()
    appointment.save(update_fields=["status", "status_at"])
    LedgerEntry.objects.create(client=appointment.client, date=timezone.localdate(), kind=LedgerKind.VISIT,
                               amount=Decimal("0.00"), note=appointment.slot.service.name[:200],
                               source=f"appointment:{appointment.pk}", created_by=acting_user)
    audit_record(actor=acting_user, action="appointment.check_in", obj=appointment, client=appointment.client)
    return appointment


@transaction.atomic
def appointment_no_show(*, appointment: Appointment, acting_user: User, reason: str = "") -> Appointment:
    """The client did not come: recorded, and a follow-up opens for the team to call and rebook."""
    require(acting_user, Cap.BOOK_APPOINTMENTS)
    appointment = _locked(appointment)
    _in_scope(acting_user, appointment.client)
    _require_booked(appointment)
    if appointment.slot.start > timezone.now():
        raise ValidationError({"status": [_("Status: a no-show can only be recorded after the appointment time.")]})
    start = _local(appointment.slot.start)
    with translation.override(settings.LANGUAGE_CODE):
        why = _("No-show at %(time)s (%(service)s): call the client and rebook") % {
            "time": start.strftime("%Y-%m-%d %H:%M"), "service": appointment.slot.service.name}
    task = open_team_followup(client=appointment.client, due_date=timezone.localdate(), reason=why,
                              acting_user=acting_user, origin="no_show", window_days=3)
    appointment.status, appointment.status_at = AppointmentStatus.NO_SHOW, timezone.now()
    appointment.status_reason, appointment.followup_task_id = (reason or "").strip()[:200], task.pk
    appointment.save(update_fields=["status", "status_at", "status_reason", "followup_task_id"])
    audit_record(actor=acting_user, action="appointment.no_show", obj=appointment, client=appointment.client,
                 detail={"task": task.pk})
    return appointment
