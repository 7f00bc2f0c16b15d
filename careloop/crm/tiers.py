"""Tier computation (CRM-1, seed 002) from the ledger and the visit history.

One aggregation per run, streamed from the database: per active client the value (net ledger sum)
and the visits (ledger visits and checkups, or follow-up encounters, whichever counts more — the
same visit is often in both) in the window. Only the clients whose tier would change come back to
Python, so memory follows the number of moves, not the number of clients.

Long-term chronic management is known to other business apps (chronic, plans): they register a
callable returning the ids of such clients in ``CHRONIC_SOURCES`` (in their AppConfig.ready()).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from careloop.clients.models import Client, ClientStatus
from careloop.crm.models import LedgerEntry, LedgerKind, TierOverride, TierPolicy
from careloop.followups.models import Encounter, EncounterKind

CHRONIC_SOURCES: list[Callable[[], Iterable[int]]] = []
VISIT_KINDS = (LedgerKind.VISIT.value, LedgerKind.CHECKUP.value)


def active_policy() -> TierPolicy:
    policy = TierPolicy.objects.filter(active=True).order_by("-created_at", "-id").first()
    return policy or TierPolicy(active=True)


@dataclass(frozen=True)
class Move:
    client_id: int
    old: str
    new: str
    reason: str
    overridden: bool = False


@dataclass
class Facts:
    value: Decimal
    visits: int
    recent_visits: int
    chronic: bool
    top: bool  # among the top share of active clients by value


@dataclass
class Preview:
    active_clients: int
    threshold: Decimal | None
    moves: list[Move] = field(default_factory=list)

    @property
    def by_pair(self) -> Counter[tuple[str, str]]:
        return Counter((m.old, m.new) for m in self.moves)


def windows(policy: TierPolicy, today: dt.date) -> tuple[dt.date, dt.date]:
    start = today - dt.timedelta(days=max(policy.value_window_days, 1) - 1)
    recent = today - dt.timedelta(days=max(min(policy.a_visit_window_days, policy.value_window_days), 1) - 1)
    return start, recent


def visits_needed_for_a(policy: TierPolicy) -> int:
    """"≥ 2 visits a month" over the frequency window (90 days → 6 visits)."""
    months = Decimal(max(min(policy.a_visit_window_days, policy.value_window_days), 1)) / Decimal(30)
    return max(1, math.ceil(policy.a_visits_per_month * months))


def _value_sql() -> str:
    ledger = LedgerEntry._meta.db_table
    client = Client._meta.db_table
    return (
        f"SELECT l.client_id, SUM(l.amount) AS v FROM {ledger} l JOIN {client} c ON c.id = l.client_id "  # noqa: S608  (table names from _meta, values bound)
        f"WHERE l.date >= %s AND l.date <= %s AND c.status = %s GROUP BY l.client_id"
    )


def value_threshold(policy: TierPolicy, today: dt.date, active_clients: int) -> Decimal | None:
    """The value of the client at the top-share boundary (e.g. the 20%-th of all active clients)."""
    if policy.a_top_share <= 0 or active_clients == 0:
        return None
    k = max(1, math.floor(active_clients * policy.a_top_share))
    start, _recent = windows(policy, today)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT v FROM ({_value_sql()}) t WHERE v > 0 ORDER BY v DESC LIMIT 1 OFFSET %s",  # noqa: S608  (table names from _meta, values bound)
            [start, today, ClientStatus.ACTIVE, k - 1],
        )
        row = cursor.fetchone()
        if row is None:  # fewer paying clients than the share: every paying client is in the top
            cursor.execute(f"SELECT MIN(v) FROM ({_value_sql()}) t WHERE v > 0", [start, today, ClientStatus.ACTIVE])  # noqa: S608  (table names from _meta, values bound)
            row = cursor.fetchone()
    return Decimal(str(row[0])).quantize(Decimal("0.01")) if row and row[0] is not None else None


def facts_rows(policy: TierPolicy, today: dt.date, *, client_ids: Iterable[int] | None = None
               ) -> Iterator[tuple[int, str, Decimal, int, int, int, int]]:
    """(client id, current tier, value, visits, recent visits, value rank, active clients) per active client.

    One statement, streamed: the ledger and encounter aggregations joined to the clients, with the
    client's rank by value (ties share a rank) and the number of active clients as window functions,
    so the top-share test needs no second pass over the ledger. ``client_ids`` narrows the output
    after ranking (the rank is always among all active clients).
    """
    start, recent = windows(policy, today)
    ledger, client, encounter = LedgerEntry._meta.db_table, Client._meta.db_table, Encounter._meta.db_table
    kinds = ", ".join(["%s"] * len(VISIT_KINDS))
    sql = (
        f"SELECT c.id, c.tier, COALESCE(l.v, 0) AS v, COALESCE(l.vis, 0) AS lvis, COALESCE(l.rvis, 0) AS lrvis, "  # noqa: S608
        f"COALESCE(e.vis, 0) AS evis, COALESCE(e.rvis, 0) AS ervis, "
        f"RANK() OVER (ORDER BY COALESCE(l.v, 0) DESC) AS rk, COUNT(*) OVER () AS n FROM {client} c "
        f"LEFT JOIN (SELECT client_id, SUM(amount) AS v, "
        f"SUM(CASE WHEN kind IN ({kinds}) THEN 1 ELSE 0 END) AS vis, "
        f"SUM(CASE WHEN kind IN ({kinds}) AND date >= %s THEN 1 ELSE 0 END) AS rvis "
        f"FROM {ledger} WHERE date >= %s AND date <= %s GROUP BY client_id) l ON l.client_id = c.id "
        f"LEFT JOIN (SELECT client_id, COUNT(*) AS vis, SUM(CASE WHEN date >= %s THEN 1 ELSE 0 END) AS rvis "
        f"FROM {encounter} WHERE date >= %s AND date <= %s AND status <> %s AND kind <> %s GROUP BY client_id) e "
        f"ON e.client_id = c.id WHERE c.status = %s"
    )
    params: list[Any] = [*VISIT_KINDS, *VISIT_KINDS, recent, start, today, recent, start, today,
                         Encounter.Status.CANCELLED, EncounterKind.PURCHASE, ClientStatus.ACTIVE]
    if client_ids is not None:
        ids = [int(i) for i in client_ids]
        if not ids:
            return
        sql = f"SELECT * FROM ({sql}) ranked WHERE id IN ({', '.join(['%s'] * len(ids))})"  # noqa: S608
        params += ids
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(2000)
            if not rows:
                break
            for cid, tier, value, lvis, lrvis, evis, ervis, rank, n in rows:
                yield (cid, tier, value if isinstance(value, Decimal) else Decimal(str(value)),
                       max(int(lvis), int(evis)), max(int(lrvis), int(ervis)), int(rank), int(n))


def chronic_clients() -> set[int]:
    found: set[int] = set()
    for source in CHRONIC_SOURCES:
        found.update(int(i) for i in source())
    return found


def active_overrides(today: dt.date) -> dict[int, TierOverride]:
    rows = TierOverride.objects.filter(lifted_at__isnull=True).exclude(expires_on__lt=today).order_by("created_at", "id")
    return {o.client_id: o for o in rows}


def _money(value: Decimal) -> str:
    return f"¥{value:,.2f}"


def top_count(policy: TierPolicy, active_clients: int) -> int:
    """How many clients the top share is (at least one when the share is not zero)."""
    if policy.a_top_share <= 0 or active_clients == 0:
        return 0
    return max(1, math.floor(active_clients * policy.a_top_share))


def decide(policy: TierPolicy, facts: Facts, visits_for_a: int) -> str:
    """The tier alone (the hot path: run for every active client; the reason is written for moves only)."""
    if (facts.top and facts.value > 0) or facts.recent_visits >= visits_for_a or (policy.a_chronic and facts.chronic):
        return "A"
    if facts.visits >= policy.b_min_visits or (facts.value >= policy.b_min_value and facts.value > 0):
        return "B"
    return "C"


def classify(policy: TierPolicy, facts: Facts) -> tuple[str, str]:
    """(tier, why) for one client's facts. ``why`` is stored text, in the system language."""
    days = policy.value_window_days
    if facts.top and facts.value > 0:
        return "A", _("top %(share)s%% by value (%(value)s in %(days)s days)") % {
            "share": int(policy.a_top_share * 100), "value": _money(facts.value), "days": days}
    if facts.recent_visits >= visits_needed_for_a(policy):
        return "A", _("%(n)s visits in %(days)s days (at least %(per)s a month)") % {
            "n": facts.recent_visits, "days": policy.a_visit_window_days, "per": policy.a_visits_per_month}
    if policy.a_chronic and facts.chronic:
        return "A", _("long-term chronic management")
    if facts.visits >= policy.b_min_visits or (facts.value >= policy.b_min_value and facts.value > 0):
        return "B", _("mid frequency (%(n)s visits, %(value)s in %(days)s days)") % {
            "n": facts.visits, "value": _money(facts.value), "days": days}
    return "C", _("new or low frequency (%(n)s visits, %(value)s in %(days)s days)") % {
        "n": facts.visits, "value": _money(facts.value), "days": days}


def compute_moves(policy: TierPolicy | None = None, *, today: dt.date | None = None,
                  client_ids: Iterable[int] | None = None) -> Preview:
    """What a recomputation would do now: every active client whose tier would change, and why."""
    policy = policy or active_policy()
    today = today or timezone.localdate()
    chronic = chronic_clients() if policy.a_chronic else set()
    overrides = active_overrides(today)
    preview = Preview(active_clients=0, threshold=None)
    visits_for_a = visits_needed_for_a(policy)
    top_k = -1
    with translation.override(settings.LANGUAGE_CODE):
        for cid, tier, value, visits, recent, rank, active in facts_rows(policy, today, client_ids=client_ids):
            if top_k < 0:
                preview.active_clients, top_k = active, top_count(policy, active)
            top = value > 0 and rank <= top_k
            if top and (preview.threshold is None or value < preview.threshold):
                preview.threshold = value
            override = overrides.get(cid)
            if override is not None:
                if override.tier != tier:
                    preview.moves.append(Move(cid, tier, override.tier, _("manual override: %(reason)s") % {
                        "reason": override.reason}, overridden=True))
                continue
            facts = Facts(value, visits, recent, cid in chronic, top)
            if decide(policy, facts, visits_for_a) != tier:
                new, why = classify(policy, facts)
                preview.moves.append(Move(cid, tier, new, _("computed: %(why)s") % {"why": why}))
    if client_ids is not None:
        preview.active_clients = Client.objects.filter(status=ClientStatus.ACTIVE).count()
        preview.threshold = value_threshold(policy, today, preview.active_clients)
    return preview
