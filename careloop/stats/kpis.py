"""The KPIs of SPEC CRM-4 against their targets (``KpiTarget`` rows are the data).

Each KPI has one computing function ``(scope, date_from, date_to) -> value`` reading its source app's published
figures (servicedesk.selectors) or tables (plans enrolments, crm ledger, follow-up encounters). A value is
None when the period has no base (no answers, no revenue…): "no data yet", never a made-up zero. A KPI whose
source app is missing raises ``SourceNotBuilt`` and says so (``available`` false).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careloop.org.models import OrgUnit
from careloop.stats.models import KpiTarget
from careloop.stats.permissions import StatsScope
from careloop.stats.selectors import retention


class SourceNotBuilt(Exception):
    def __init__(self, source: Any) -> None:
        super().__init__(str(source))
        self.source = source


SOURCES = {
    "crm": gettext_lazy("customer ledger and tiers (crm)"),
    "servicedesk": gettext_lazy("service desk and surveys (servicedesk)"),
    "plans": gettext_lazy("service plans and enrolments (plans)"),
}

KpiFunction = Callable[[StatsScope, dt.date, dt.date], float | None]


def _retention(scope: StatsScope, date_from: dt.date, date_to: dt.date) -> float | None:
    return retention(scope, date_from, date_to, by_team=True)["retention_rate"]


def _not_built(source: Any) -> KpiFunction:
    """For a KPI whose source app is missing from a deployment: it says so instead of a number."""

    def compute(scope: StatsScope, date_from: dt.date, date_to: dt.date) -> float | None:
        raise SourceNotBuilt(source)

    return compute


def _roots(scope: StatsScope) -> list[OrgUnit]:
    return list(OrgUnit.objects.filter(pk__in=scope.root_ids or scope.unit_ids))


def _team_clients(scope: StatsScope) -> QuerySet[Any] | None:
    """For a team lead, the ids of his teams' clients (the KPIs are his teams', not the branch's); else None."""
    from careloop.clients.models import Client

    return Client.objects.filter(scope.client_q()).values("pk") if scope.team_scoped else None


def _nps(scope: StatsScope, date_from: dt.date, date_to: dt.date) -> float | None:
    from careloop.servicedesk import selectors as desk

    return desk.nps(start=date_from, end=date_to, units=_roots(scope), clients=_team_clients(scope)).score


def _complaint_rate(scope: StatsScope, date_from: dt.date, date_to: dt.date) -> float | None:
    from careloop.servicedesk import selectors as desk

    return desk.complaint_rate(start=date_from, end=date_to, units=_roots(scope), clients=_team_clients(scope)).value


def _urgent_response(scope: StatsScope, date_from: dt.date, date_to: dt.date) -> float | None:
    from careloop.servicedesk import selectors as desk

    return desk.urgent_response_minutes(start=date_from, end=date_to, units=_roots(scope),
                                        clients=_team_clients(scope))


def _upgrade_coverage(scope: StatsScope, date_from: dt.date, date_to: dt.date) -> float | None:
    """Tier A and B clients (the target group) with a plan in force at some time in the period."""
    from careloop.clients.models import Client, ClientStatus
    from careloop.plans.models import Enrolment, EnrolmentStatus

    target = Client.objects.filter(scope.client_q(), tier__in=["A", "B"], status=ClientStatus.ACTIVE)
    base = target.count()
    if not base:
        return None
    covered = target.filter(pk__in=Enrolment.objects.filter(
        status=EnrolmentStatus.ACTIVE, start_date__lte=date_to, end_date__gte=date_from).values("client_id")).count()
    return round(100 * covered / base, 1)


def _value_added_share(scope: StatsScope, date_from: dt.date, date_to: dt.date) -> float | None:
    """Net revenue of value-added services (plan enrolments, sold through the plans app) / all net revenue."""
    from careloop.crm.models import LedgerEntry

    row = LedgerEntry.objects.filter(scope.client_q("client"), date__gte=date_from,
                                     date__lte=date_to).aggregate(
        total=Sum("amount"), value_added=Sum("amount", filter=Q(source__startswith="plans.")))
    total = row["total"]
    if not total or total <= 0:
        return None
    return round(float(100 * (row["value_added"] or 0) / total), 1)


COMPUTE: dict[str, KpiFunction] = {
    "retention": _retention,
    "upgrade_coverage": _upgrade_coverage,
    "nps": _nps,
    "complaint_rate": _complaint_rate,
    "urgent_response_minutes": _urgent_response,
    "value_added_revenue_share": _value_added_share,
}

CACHE_SECONDS = 600


def _value(code: str, scope: StatsScope, date_from: dt.date, date_to: dt.date) -> tuple[float | None, str]:
    """(value, source not built or "") — cached for ten minutes per scope and period."""
    teams = None if scope.team_ids is None else (tuple(scope.team_ids), tuple(scope.staff_ids or ()))
    key = f"stats:kpi:{code}:{date_from}:{date_to}:{hash((tuple(scope.unit_ids), teams))}"
    cached = cache.get(key)
    if cached is not None:
        return cached[0], cached[1]
    compute = COMPUTE.get(code)
    try:
        if compute is None:
            raise SourceNotBuilt("unknown")
        found: tuple[float | None, str] = (compute(scope, date_from, date_to), "")
    except SourceNotBuilt as missing:
        found = (None, str(missing.source))
    cache.set(key, found, CACHE_SECONDS)
    return found


def _month_ends(date_from: dt.date, date_to: dt.date) -> list[dt.date]:
    ends = []
    cursor = date_from
    while cursor <= date_to:
        end = (cursor.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        ends.append(min(end, date_to))
        cursor = end + dt.timedelta(days=1)
    return ends


def kpi_values(scope: StatsScope, date_from: dt.date, date_to: dt.date, *, trend: bool = False) -> list[dict[str, Any]]:
    """Every KPI of the period with its target, whether it is met, its definition and (optionally) its trend:
    the value from the start of the period to each month's end."""
    out = []
    for target in KpiTarget.objects.all():
        value, missing = _value(target.code, scope, date_from, date_to)
        row: dict[str, Any] = {
            "code": target.code, "name": target.name, "value": value, "target": target.target,
            "comparison": target.comparison, "unit": target.unit, "met": target.met_by(value),
            "available": not missing, "source_missing": missing,
            "source_missing_label": str(SOURCES.get(missing, _("no computation for this code"))) if missing else "",
            "definition": target.definition,
        }
        if trend and not missing:
            row["trend"] = [{"date": end, "value": _value(target.code, scope, date_from, end)[0]}
                            for end in _month_ends(date_from, date_to)]
        out.append(row)
    return out
