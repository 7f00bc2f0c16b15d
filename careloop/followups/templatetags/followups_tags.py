"""Template filters of careloop.followups."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import template

register = template.Library()


@register.filter
def safe_json(value: Any) -> str:
    """Rule data as readable JSON for a textarea (autoescaped by the template as usual)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=1)


@register.filter
def day_number(value: dt.date, start: dt.date) -> str:
    """"day N" of a follow-up counted from the encounter date."""
    if not value or not start:
        return ""
    return f"day {(value - start).days}"
