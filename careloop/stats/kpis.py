"""The KPIs of SPEC CRM-4 against their targets (``KpiTarget`` rows are the data).

Each KPI has one computing function ``(scope, date_from, date_to) -> value``. A KPI whose source app is not
built raises ``SourceNotBuilt``: the dashboard and the API then say so (value null, ``available`` false),
never a made-up zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
SOURCE_CRM, SOURCE_DESK, SOURCE_PLANS = "crm", "servicedesk", "plans"

KpiFunction = Callable[[StatsScope, dt.date, dt.date], float | None]


def _retention(scope: StatsScope, date_from: dt.date, date_to: dt.date) -> float | None:
    return retention(scope, date_from, date_to)["retention_rate"]


def _not_built(source: Any) -> KpiFunction:
    def compute(scope: StatsScope, date_from: dt.date, date_to: dt.date) -> float | None:
        raise SourceNotBuilt(source)

    return compute


COMPUTE: dict[str, KpiFunction] = {
    "retention": _retention,
    "upgrade_coverage": _not_built(SOURCE_PLANS),
    "nps": _not_built(SOURCE_DESK),
    "complaint_rate": _not_built(SOURCE_DESK),
    "urgent_response_minutes": _not_built(SOURCE_DESK),
    "value_added_revenue_share": _not_built(SOURCE_CRM),
}

CACHE_SECONDS = 600


def _value(code: str, scope: StatsScope, date_from: dt.date, date_to: dt.date) -> tuple[float | None, str]:
    """(value, source not built or "") — cached for ten minutes per scope and period."""
    key = f"stats:kpi:{code}:{date_from}:{date_to}:{hash((tuple(scope.unit_ids), tuple(scope.team_ids or ())))}"
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
