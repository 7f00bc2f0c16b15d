"""Service years and service months, anchored on an enrolment's start date."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(day: dt.date, months: int) -> dt.date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def service_year_end(start: dt.date) -> dt.date:
    """Last day of the service year that begins on ``start`` (inclusive)."""
    return add_months(start, 12) - dt.timedelta(days=1)


def service_month(start: dt.date, day: dt.date) -> tuple[dt.date, dt.date]:
    """The service month (first and last day) of an enrolment starting on ``start`` that contains ``day``."""
    months = (day.year - start.year) * 12 + (day.month - start.month)
    begin = add_months(start, months)
    if begin > day:
        months -= 1
        begin = add_months(start, months)
    return begin, add_months(start, months + 1) - dt.timedelta(days=1)
