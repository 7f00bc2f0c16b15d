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
    moves: list[Move] = field(default_factory=list)  # empty when computed with keep_moves=False
    moved: int = 0
    by_pair: Counter[tuple[str, str]] = field(default_factory=Counter)

    def count(self, move: Move) -> Move:
        self.moved += 1
        self.by_pair[(move.old, move.new)] += 1
        return move


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


def _share_ratio(policy: TierPolicy) -> tuple[int, int]:
    """The top share as an exact fraction (numerator, denominator), so SQL integer arithmetic gives the same
    top count as ``top_count`` (floor(active × share), at least one) on every backend."""
    share = Decimal(policy.a_top_share)
    if share <= 0:
        return 0, 1
    num, den = share.as_integer_ratio()
    return num, den


def _decision_sql(policy: TierPolicy, today: dt.date, client_ids: list[int] | None) -> tuple[str, list[Any]]:
    """One statement: per active client the facts, the rank by value and the computed tier (without overrides
    and chronic management, which Python applies); only the rows Python needs come back.

    Levels: ``f`` the ledger and encounter aggregations joined to the active clients (visits = the larger of
    the two counts), with the number of active clients from a one-row join; ``r`` the rank by value (ties
    share a rank), the row number and the next value in the same order (one sort); ``d`` the top flag and
    the tier. Returned: every client whose computed tier differs from its tier, plus marker rows for the
    summary — the first row (the number of active clients) and the last rows of the top share (the value
    threshold). With ``client_ids``, exactly those clients' rows (ranked among all active clients).
    """
    start, recent = windows(policy, today)
    ledger, client, encounter = LedgerEntry._meta.db_table, Client._meta.db_table, Encounter._meta.db_table
    kinds = ", ".join(["%s"] * len(VISIT_KINDS))
    num, den = _share_ratio(policy)
    top_k = f"CASE WHEN cnt.n * {num} / {den} > 1 THEN cnt.n * {num} / {den} ELSE 1 END" if num else "0"
    facts = (
        f"SELECT c.id, c.tier, COALESCE(l.v, 0) AS v, "  # noqa: S608  (table names from _meta, values bound)
        f"CASE WHEN COALESCE(l.vis, 0) >= COALESCE(e.vis, 0) THEN COALESCE(l.vis, 0) ELSE COALESCE(e.vis, 0) END AS vis, "
        f"CASE WHEN COALESCE(l.rvis, 0) >= COALESCE(e.rvis, 0) THEN COALESCE(l.rvis, 0) ELSE COALESCE(e.rvis, 0) END "
        f"AS rvis, cnt.n AS n, {top_k} AS k FROM {client} c "
        f"CROSS JOIN (SELECT COUNT(*) AS n FROM {client} WHERE status = %s) cnt "
        f"LEFT JOIN (SELECT client_id, SUM(amount) AS v, "
        f"SUM(CASE WHEN kind IN ({kinds}) THEN 1 ELSE 0 END) AS vis, "
        f"SUM(CASE WHEN kind IN ({kinds}) AND date >= %s THEN 1 ELSE 0 END) AS rvis "
        f"FROM {ledger} WHERE date >= %s AND date <= %s GROUP BY client_id) l ON l.client_id = c.id "
        f"LEFT JOIN (SELECT client_id, COUNT(*) AS vis, SUM(CASE WHEN date >= %s THEN 1 ELSE 0 END) AS rvis "
        f"FROM {encounter} WHERE date >= %s AND date <= %s AND status <> %s AND kind <> %s GROUP BY client_id) e "
        f"ON e.client_id = c.id WHERE c.status = %s"
    )
    params: list[Any] = [ClientStatus.ACTIVE, *VISIT_KINDS, *VISIT_KINDS, recent, start, today, recent, start, today,
                         Encounter.Status.CANCELLED, EncounterKind.PURCHASE, ClientStatus.ACTIVE]
    ranked = (f"SELECT f.*, RANK() OVER w AS rk, ROW_NUMBER() OVER w AS rn, LEAD(v) OVER w AS nxt "  # noqa: S608
              f"FROM ({facts}) f WINDOW w AS (ORDER BY v DESC)")
    decided = (
        f"SELECT r.*, CASE WHEN r.v > 0 AND r.rk <= r.k THEN 1 ELSE 0 END AS top FROM ({ranked}) r"  # noqa: S608
    )
    tier = ("CASE WHEN d.top = 1 OR d.rvis >= %s THEN 'A' "
            "WHEN d.vis >= %s OR (d.v >= CAST(%s AS NUMERIC) AND d.v > 0) THEN 'B' ELSE 'C' END")
    sql = f"SELECT d.id, d.tier, d.v, d.vis, d.rvis, d.top, d.rn, d.k, d.nxt, d.n, {tier} AS new FROM ({decided}) d "  # noqa: S608
    tier_params = [visits_needed_for_a(policy), policy.b_min_visits, str(Decimal(policy.b_min_value))]
    params = tier_params + params  # the tier's CASE comes first in the text, then the facts
    if client_ids is not None:
        sql += f"WHERE d.id IN ({', '.join(['%s'] * len(client_ids))})"
        params += client_ids
    else:
        sql += (f"WHERE {tier} <> d.tier OR d.rn = 1 "
                "OR (d.top = 1 AND (d.rn = d.k OR d.nxt IS NULL OR d.nxt <= 0))")
        params += tier_params
    return sql, params


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
    """The tier alone, in Python (the same rule as the SQL of ``_decision_sql``, which decides the bulk)."""
    if (facts.top and facts.value > 0) or facts.recent_visits >= visits_for_a or (policy.a_chronic and facts.chronic):
        return "A"
    if facts.visits >= policy.b_min_visits or (facts.value >= policy.b_min_value and facts.value > 0):
        return "B"
    return "C"


class _Texts:
    """The reason templates of one run, translated once (in the system language), formatted per move."""

    def __init__(self, policy: TierPolicy) -> None:
        self.top = _("top %(share)s%% by value (%(value)s in %(days)s days)")
        self.frequent = _("%(n)s visits in %(days)s days (at least %(per)s a month)")
        self.chronic = _("long-term chronic management")
        self.mid = _("mid frequency (%(n)s visits, %(value)s in %(days)s days)")
        self.low = _("new or low frequency (%(n)s visits, %(value)s in %(days)s days)")
        self.computed = _("computed: %(why)s")
        self.override = _("manual override: %(reason)s")
        self.share = int(policy.a_top_share * 100)
        self.visits_for_a = visits_needed_for_a(policy)


def classify(policy: TierPolicy, facts: Facts, texts: _Texts | None = None) -> tuple[str, str]:
    """(tier, why) for one client's facts. ``why`` is stored text, in the system language."""
    t = texts or _Texts(policy)
    days = policy.value_window_days
    if facts.top and facts.value > 0:
        return "A", t.top % {"share": t.share, "value": _money(facts.value), "days": days}
    if facts.recent_visits >= t.visits_for_a:
        return "A", t.frequent % {"n": facts.recent_visits, "days": policy.a_visit_window_days,
                                  "per": policy.a_visits_per_month}
    if policy.a_chronic and facts.chronic:
        return "A", t.chronic
    if facts.visits >= policy.b_min_visits or (facts.value >= policy.b_min_value and facts.value > 0):
        return "B", t.mid % {"n": facts.visits, "value": _money(facts.value), "days": days}
    return "C", t.low % {"n": facts.visits, "value": _money(facts.value), "days": days}


def _override_move(cid: int, tier: str, override: TierOverride, texts: _Texts) -> Move | None:
    if override.tier == tier:
        return None
    return Move(cid, tier, override.tier, texts.override % {"reason": override.reason}, overridden=True)


def _unstreamed_moves(ids: list[int], overrides: dict[int, TierOverride], texts: _Texts) -> Iterator[Move]:
    """Clients with an override or a chronic source whose computed tier is their tier: the database did not
    return them, their override or chronic management may still move them."""
    for i in range(0, len(ids), 500):
        rows = Client.objects.filter(pk__in=ids[i:i + 500], status=ClientStatus.ACTIVE).order_by("pk")
        for cid, tier in rows.values_list("pk", "tier"):
            override = overrides.get(cid)
            if override is not None:
                if (move := _override_move(cid, tier, override, texts)) is not None:
                    yield move
            elif tier != "A":  # chronic, neither top nor frequent (or the database would have said A)
                yield Move(cid, tier, "A", texts.computed % {"why": texts.chronic})


def _as_decimal(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def iter_moves(policy: TierPolicy, today: dt.date, preview: Preview, *,
               client_ids: Iterable[int] | None = None) -> Iterator[Move]:
    """Every active client whose tier would change, and why, streamed (memory does not grow with the clients
    or the moves); ``preview`` receives the number of active clients, the value threshold and the counts.

    The database decides the bulk (``_decision_sql``); Python applies the manual overrides and the chronic
    sources, and writes the reasons. A client with an override or a chronic source whose computed tier equals
    its tier does not come back from the database: those (few) are looked up after the stream.
    """
    chronic = chronic_clients() if policy.a_chronic else set()
    overrides = active_overrides(today)
    ids = None if client_ids is None else [int(i) for i in client_ids]
    if ids is not None and not ids:
        return
    special = set(overrides) | chronic
    if ids is not None:
        special &= set(ids)
    seen: set[int] = set()
    with translation.override(settings.LANGUAGE_CODE):
        texts = _Texts(policy)  # not held across the yields: the caller applies moves meanwhile
    sql, params = _decision_sql(policy, today, ids)
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(2000):
            for cid, tier, value, visits, recent, top, rn, k, nxt, n, computed in rows:
                if rn == 1:
                    preview.active_clients = int(n)
                if top and (rn == k or nxt is None or nxt <= 0):  # a last row of the top share: the threshold
                    edge = _as_decimal(value)
                    preview.threshold = edge if preview.threshold is None else min(preview.threshold, edge)
                new = computed
                if cid in special:
                    seen.add(cid)
                    if cid in overrides:
                        if (move := _override_move(cid, tier, overrides[cid], texts)) is not None:
                            yield preview.count(move)
                        continue
                    new = "A"  # chronic
                if new == tier:
                    continue  # a marker row (the summary) of a client who stays
                _new, why = classify(policy, Facts(_as_decimal(value), int(visits), int(recent), cid in chronic,
                                                   bool(top)), texts)
                yield preview.count(Move(cid, tier, new, texts.computed % {"why": why}))
    for move in _unstreamed_moves(sorted(special - seen), overrides, texts):
        yield preview.count(move)


def compute_moves(policy: TierPolicy | None = None, *, today: dt.date | None = None,
                  client_ids: Iterable[int] | None = None, keep_moves: bool = True) -> Preview:
    """What a recomputation would do now: every active client whose tier would change, and why.

    ``keep_moves=False`` counts the moves (``moved``, ``by_pair``) without keeping them: flat memory for a
    preview of many clients."""
    policy = policy or active_policy()
    today = today or timezone.localdate()
    preview = Preview(active_clients=0, threshold=None)
    ids = None if client_ids is None else [int(i) for i in client_ids]
    for move in iter_moves(policy, today, preview, client_ids=ids):
        if keep_moves:
            preview.moves.append(move)
    if ids is not None:
        preview.active_clients = Client.objects.filter(status=ClientStatus.ACTIVE).count()
        preview.threshold = value_threshold(policy, today, preview.active_clients)
    elif preview.threshold is not None:
        preview.threshold = preview.threshold.quantize(Decimal("0.01"))
    return preview
