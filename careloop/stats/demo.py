"""`careloop demo`: the rollup refreshed over the demo's tasks, and the reports a manager would have received."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone


def demo_stats(clients: list[Any], rng: object, stdout: Any) -> None:
    from careloop.org.models import OrgUnit
    from careloop.stats.models import ReportPeriod
    from careloop.stats.rollup import rollup_refresh_all
    from careloop.stats.services import stats_report_generate

    rows = rollup_refresh_all()
    today = timezone.localdate()
    made = 0
    for unit in OrgUnit.objects.filter(parent__isnull=True):
        for days_back in range(1, 4):
            stats_report_generate(period=ReportPeriod.DAILY, day=today - dt.timedelta(days=days_back), unit=unit,
                                  mail=False)
            made += 1
        last_month = today.replace(day=1) - dt.timedelta(days=1)
        stats_report_generate(period=ReportPeriod.MONTHLY, day=last_month, unit=unit, mail=False)
        made += 1
    if hasattr(stdout, "write"):
        stdout.write(f"stats: rollup {rows} rows, {made} reports kept\n")
