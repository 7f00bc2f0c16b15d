"""Writes of careloop.crm. Each function is atomic, checks the right itself and writes its audit row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.clients.models import Client
from careloop.clients.selectors import clients_visible_to
from careloop.crm.models import LedgerEntry, LedgerKind
from careloop.crm.permissions import require
from careloop.org.models import User
from careloop.org.permissions import Cap

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
