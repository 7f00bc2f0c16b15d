"""The purchase side of an enrolment, written through crm's published ledger function only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from careloop.clients.models import Client
from careloop.crm.services import ledger_entry_add
from careloop.org.models import User


def _booked_on(date: dt.date) -> dt.date:
    # The ledger refuses future dates: a plan sold today that starts next month is a purchase of today.
    return min(date, timezone.localdate())


def record_purchase(*, client: Client, date: dt.date, amount: Decimal, note: str, source: str, acting_user: User) -> Any:
    return ledger_entry_add(client=client, date=_booked_on(date), kind="purchase", amount=amount, note=note[:200],
                            source=source[:60], acting_user=acting_user)


def record_refund(*, client: Client, date: dt.date, amount: Decimal, note: str, source: str, acting_user: User) -> Any:
    return ledger_entry_add(client=client, date=_booked_on(date), kind="refund", amount=amount, note=note[:200],
                            source=source[:60], acting_user=acting_user)
