"""Parsing of the statistics query parameters, shared by the pages and the API (errors name the field)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.stats.selectors import GROUPS, METRICS, Drill

MAX_SPAN_DAYS = 3 * 366


def _date(params: Mapping[str, Any], name: str, label: str, errors: dict[str, list[str]]) -> dt.date | None:
    raw = params.get(name) or ""
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        errors[name] = [_("%(field)s: must be a date written YYYY-MM-DD") % {"field": label}]
        return None


def period_params(params: Mapping[str, Any], *, default_days: int = 30) -> tuple[dt.date, dt.date]:
    """``from``/``to`` (or ``year``); default: the last ``default_days`` days up to today."""
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    year_raw = str(params.get("year") or "")
    if year_raw:
        if not year_raw.isdigit() or not 2000 <= int(year_raw) <= 2100:
            raise ValidationError({"year": [_("Year: must be a year from 2000 to 2100")]})
        return dt.date(int(year_raw), 1, 1), dt.date(int(year_raw), 12, 31)
    date_from = _date(params, "from", _("From"), errors)
    date_to = _date(params, "to", _("To"), errors)
    if errors:
        raise ValidationError(errors)
    date_to = date_to or today
    date_from = date_from or date_to - dt.timedelta(days=default_days - 1)
    if date_from > date_to:
        raise ValidationError({"from": [_("From: must not be after To")]})
    if (date_to - date_from).days > MAX_SPAN_DAYS:
        raise ValidationError({"to": [_("To: the period may span at most three years")]})
    return date_from, date_to


def group_param(params: Mapping[str, Any]) -> str:
    by = str(params.get("by") or "branch")
    if by not in GROUPS:
        raise ValidationError({"by": [_("By: must be one of: %(values)s") % {"values": ", ".join(GROUPS)}]})
    return by


def drill_param(params: Mapping[str, Any]) -> Drill:
    errors: dict[str, list[str]] = {}
    metric = str(params.get("metric") or "planned")
    if metric not in METRICS:
        errors["metric"] = [_("Metric: must be one of: %(values)s") % {"values": ", ".join(METRICS)}]
    ids: dict[str, int | None] = {}
    for name, label in (("branch", _("Branch")), ("team", _("Team")), ("staff", _("Staff member")), ("rule", _("Rule"))):
        raw = str(params.get(name) or "")
        if raw and not raw.isdigit():
            errors[name] = [_("%(field)s: must be a whole number") % {"field": label}]
        ids[name] = int(raw) if raw.isdigit() else None
    if errors:
        raise ValidationError(errors)
    return Drill(metric=metric, **ids)


def format_param(params: Mapping[str, Any], allowed: tuple[str, ...]) -> str:
    fmt = str(params.get("format") or allowed[0])
    if fmt not in allowed:
        raise ValidationError({"format": [_("Format: must be one of: %(values)s") % {"values": ", ".join(allowed)}]})
    return fmt


def day_param(params: Mapping[str, Any]) -> dt.date:
    errors: dict[str, list[str]] = {}
    day = _date(params, "date", _("Date"), errors)
    if errors:
        raise ValidationError(errors)
    return day or timezone.localdate()
