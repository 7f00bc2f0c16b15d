"""Template filters of careloop.followups."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import template
from django.utils.translation import gettext as _

from careloop.followups.labels import timing_text
from careloop.followups.models import EncounterKind

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
    return _("day %(n)s") % {"n": (value - start).days}


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """``{{ names|get_item:task.assignee_id }}``: a dict lookup in a template (None when absent)."""
    if not isinstance(mapping, dict):
        return None
    return mapping.get(key)


@register.filter
def timing(labels: Any) -> str:
    """The shipped rules' timing labels ("day 3, end − 3", "monthly") in the reader's language."""
    return timing_text(labels)


@register.filter
def kind_labels(kinds: Any) -> str:
    """Encounter kinds as their labels (检查, 门诊…), never the stored codes."""
    return "、".join(str(EncounterKind(k).label) if k in EncounterKind.values else str(k) for k in kinds or ())
