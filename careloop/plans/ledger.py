"""The purchase side of an enrolment, written through crm's published ledger function.

careloop.crm (helper branch ``crm``) owns the ledger; plans calls only ``ledger_entry_add``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from careloop.clients.models import Client

try:
    from careloop.crm.services import ledger_entry_add
except ImportError:  # crm not merged into this branch yet: enrolments then skip the ledger entry
    ledger_entry_add = None


def record_purchase(*, client: Client, date: dt.date, amount: Decimal, note: str, source: str, acting_user: Any) -> Any:
    if ledger_entry_add is None:
        return None
    return ledger_entry_add(client=client, date=date, kind="purchase", amount=amount, note=note, source=source,
                            acting_user=acting_user)


def record_refund(*, client: Client, date: dt.date, amount: Decimal, note: str, source: str, acting_user: Any) -> Any:
    if ledger_entry_add is None:
        return None
    return ledger_entry_add(client=client, date=date, kind="refund", amount=amount, note=note, source=source,
                            acting_user=acting_user)
