"""Reads of careloop.workdays."""

from __future__ import annotations

from collections.abc import Iterable

from careloop.workdays.calendar import package_has_year
from careloop.workdays.models import CalendarYear


def years_missing(years: Iterable[int]) -> list[int]:
    """Those of `years` with neither package data nor an administrator's confirmed table."""
    wanted = sorted(set(years))
    confirmed = set(CalendarYear.objects.filter(year__in=wanted).values_list("year", flat=True))
    return [y for y in wanted if not package_has_year(y) and y not in confirmed]
