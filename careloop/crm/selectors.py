"""Reads of careloop.crm that matter (lists, summaries)."""

from __future__ import annotations

from django.db.models import QuerySet

from careloop.clients.models import Client
from careloop.crm.models import LedgerEntry


def ledger_for(client: Client) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(client=client).select_related("created_by").order_by("-date", "-id")
