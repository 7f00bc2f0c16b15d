"""The mainland-China working-day calendar (statutory holidays off, adjusted weekend workdays on).

Order of truth for a date: an administrator's CalendarDay row, then the chinese-calendar package for
the years it has data for, then plain Monday–Friday (and the year shows in `years_missing`).
"""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import chinese_calendar

# Rows are cached per process for a short while: scheduling asks for thousands of dates at once.
_CACHE_SECONDS = 60.0
_lock = threading.Lock()
_cache: dict[int, tuple[float, dict[date, bool]]] = {}


def package_has_year(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def _overrides(year: int) -> dict[date, bool]:
    now = time.monotonic()
    with _lock:
        hit = _cache.get(year)
        if hit is not None and now - hit[0] < _CACHE_SECONDS:
            return hit[1]
    from careloop.workdays.models import CalendarDay

    rows = CalendarDay.objects.filter(date__year=year).values_list("date", "kind")
    data = {d: kind == CalendarDay.Kind.ADJUSTED_WORKDAY for d, kind in rows}
    with _lock:
        _cache[year] = (now, data)
    return data


def clear_cache() -> None:
    """Forget cached rows (called by the services that edit them)."""
    with _lock:
        _cache.clear()


def is_working_day(d: date) -> bool:
    override = _overrides(d.year).get(d)
    if override is not None:
        return override
    if package_has_year(d.year):
        return bool(chinese_calendar.is_workday(d))
    return d.weekday() < 5


def add_working_days(d: date, n: int) -> date:
    """The date `n` working days after `d` (before it when n < 0); `d` itself when n == 0.

    "Within 5 working days of the checkup" is `add_working_days(checkup_date, 5)`.
    """
    step = timedelta(days=1 if n >= 0 else -1)
    remaining = abs(n)
    current = d
    while remaining:
        current += step
        if is_working_day(current):
            remaining -= 1
    return current


def next_working_day(d: date) -> date:
    """`d` when it is a working day, else the first working day after it."""
    while not is_working_day(d):
        d += timedelta(days=1)
    return d
