"""Reads of careloop.chronic. ``control_rate`` and ``control_rates`` are published for statistics."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from careloop.chronic.models import MonitoringLog, MonitoringPlan, PlanIndicator, Reading
from careloop.clients.models import Client
from careloop.org.models import OrgUnit


def _span(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


def control_rate(*, client: Client | int, indicator: str, start: dt.date, end: dt.date) -> float | None:
    """Share of the client's judged readings of ``indicator`` within target between start and end
    (inclusive dates); None when there is none to judge."""
    lo, hi = _span(start, end)
    client_id = client if isinstance(client, int) else client.pk
    row = Reading.objects.filter(client_id=client_id, code=indicator, at__gte=lo, at__lt=hi,
                                 in_target__isnull=False).aggregate(n=Count("id"), ok=Count("id", filter=Q(in_target=True)))
    return row["ok"] / row["n"] if row["n"] else None


@dataclass(frozen=True)
class ControlRate:
    indicator: str
    clients: int  # clients with judged readings
    readings: int
    in_target: int
    controlled_clients: int  # clients with at least 75% of readings in target

    @property
    def rate(self) -> float | None:
        return self.in_target / self.readings if self.readings else None


CONTROLLED_SHARE = 0.75


def control_rates(*, units: list[OrgUnit] | QuerySet[OrgUnit], start: dt.date, end: dt.date) -> list[ControlRate]:
    """Per indicator, over clients of the given units and their subtrees: readings in target, and clients
    controlled (≥ 75% in target). One query."""
    lo, hi = _span(start, end)
    unit_q = Q()
    for unit in units:
        unit_q |= Q(client__branch__path__startswith=unit.path)
    per_client = (Reading.objects.filter(unit_q, at__gte=lo, at__lt=hi, in_target__isnull=False)
                  .values("code", "client_id").annotate(n=Count("id"), ok=Count("id", filter=Q(in_target=True))))
    totals: dict[str, list[int]] = {}
    for row in per_client:
        t = totals.setdefault(row["code"], [0, 0, 0, 0])
        t[0] += 1
        t[1] += row["n"]
        t[2] += row["ok"]
        t[3] += 1 if row["ok"] >= CONTROLLED_SHARE * row["n"] else 0
    return [ControlRate(code, *t) for code, t in sorted(totals.items())]


def active_plans(client: Client) -> list[MonitoringPlan]:
    return list(MonitoringPlan.objects.filter(client=client, active=True).prefetch_related("indicators"))


def indicator_names(client: Client) -> dict[str, str]:
    """Indicator code → name (with unit): the guideline defaults, overridden by the client's plans."""
    from careloop.chronic.models import IndicatorDefault

    names = {d.code: f"{d.name}" for d in IndicatorDefault.objects.only("code", "name")}
    names.update({i.code: i.name for i in PlanIndicator.objects.filter(plan__client=client).only("code", "name")})
    return names


def recent_logs(client: Client, limit: int = 20) -> list[MonitoringLog]:
    """The latest logs, each reading with its indicator's name as ``label``."""
    logs = list(MonitoringLog.objects.filter(client=client).select_related("entered_by")
                .prefetch_related("readings")[:limit])
    names = indicator_names(client)
    for log in logs:
        for reading in log.readings.all():
            reading.label = names.get(reading.code, reading.code)  # type: ignore[attr-defined]
    return logs


@dataclass
class Trend:
    indicator: Any  # PlanIndicator or IndicatorDefault
    readings: list[Reading]
    rate: float | None


def trends(client: Client, *, today: dt.date, days: int = 92) -> list[Trend]:
    """Each planned indicator's readings of the last ``days`` with its control rate (two queries)."""
    lo, _hi = _span(today - dt.timedelta(days=days), today)
    indicators: dict[str, PlanIndicator] = {}
    for ind in PlanIndicator.objects.filter(plan__client=client, plan__active=True).order_by("plan_id", "order"):
        indicators.setdefault(ind.code, ind)
    by_code: dict[str, list[Reading]] = {c: [] for c in indicators}
    for r in Reading.objects.filter(client=client, code__in=list(indicators), at__gte=lo).order_by("at"):
        by_code[r.code].append(r)
    out = []
    for code, ind in indicators.items():
        rs = by_code[code]
        judged = [r for r in rs if r.in_target is not None]
        rate = sum(1 for r in judged if r.in_target) / len(judged) if judged else None
        out.append(Trend(ind, rs, rate))
    return out


def clients_with_plans(qs: QuerySet[Client]) -> QuerySet[Client]:
    return qs.filter(monitoring_plans__active=True).distinct()
