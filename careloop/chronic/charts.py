"""Each indicator's readings against its target band as a server-rendered SVG (checkups' chart function)."""

from __future__ import annotations

from django.utils import timezone

from careloop.checkups.charts import Point, trend_svg
from careloop.chronic.selectors import Trend

SEVERITY = {"": "", "low": "minor", "high": "minor", "alarm_low": "critical", "alarm_high": "critical"}


def trend_chart(trend: Trend) -> str:
    ind = trend.indicator
    points = [Point(timezone.localtime(r.at).date(), r.value, SEVERITY.get(r.flag, ""), r.get_flag_display())
              for r in trend.readings]
    if not points:
        return ""
    return trend_svg(points, title=ind.name, unit=ind.unit, ref_low=ind.target_low, ref_high=ind.target_high)
