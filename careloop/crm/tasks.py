"""Background jobs of careloop.crm (run by `careloop worker`)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from careloop.crm.engagement import offers_send_due
from careloop.crm.services import tiers_recompute


@db_periodic_task(crontab(minute="40", hour="1"))
def recompute_tiers() -> int:
    """Nightly: every active client's tier from the ledger and visit history (CRM-1); returns the moves."""
    return tiers_recompute(keep_moves=False).moved


@db_periodic_task(crontab(minute="30", hour="9"))
def send_due_offers() -> int:
    """Daily: tier C clients within 3 months of their first consumption get a fitting offer, once; returns sent."""
    return offers_send_due().sent
