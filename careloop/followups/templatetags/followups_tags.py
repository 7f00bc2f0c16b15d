"""Template filters of careloop.followups."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import template
from django.utils.translation import gettext as _

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


_TIMING_PATTERNS: tuple[tuple[Any, Any], ...] = ()


def _timing_patterns() -> tuple[tuple[Any, Any], ...]:
    import re

    from django.utils.translation import gettext_lazy as _lazy

    return (
        (re.compile(r"^day (\d+)$"), _lazy("day %(n)s")),
        (re.compile(r"^week (\d+)$"), _lazy("week %(n)s")),
        (re.compile(r"^end\s*[−-]\s*(\d+)$"), _lazy("%(n)s days before the prescription ends")),
        (re.compile(r"^within (\d+) days$"), _lazy("within %(n)s days")),
        (re.compile(r"^every (\d+) months$"), _lazy("every %(n)s months")),
    )


@register.filter
def timing(labels: Any) -> str:
    """The shipped rules' timing labels ("day 3, end − 3", "monthly") in the reader's language.

    Labels are data written in English by the shipped rules; a label an administrator wrote in
    another form is shown as written.
    """
    from django.utils.translation import gettext

    global _TIMING_PATTERNS
    if not _TIMING_PATTERNS:
        _TIMING_PATTERNS = _timing_patterns()
    words = {
        "monthly": gettext("monthly"), "quarterly": gettext("quarterly"), "yearly": gettext("yearly"),
        "half-yearly": gettext("half-yearly"), "monthly reminder": gettext("monthly reminder"),
        "quarterly salon": gettext("quarterly salon"),
    }
    parts = labels if isinstance(labels, list | tuple) else [p.strip() for p in str(labels or "").split(",")]
    out = []
    for part in parts:
        part = str(part).strip()
        if not part:
            continue
        shown = words.get(part)
        if shown is None:
            for pattern, text in _TIMING_PATTERNS:
                match = pattern.match(part)
                if match:
                    shown = str(text) % {"n": match.group(1)}
                    break
        out.append(shown or part)
    return gettext(", ").join(out)


@register.filter
def kind_labels(kinds: Any) -> str:
    """Encounter kinds as their labels (检查, 门诊…), never the stored codes."""
    return "、".join(str(EncounterKind(k).label) if k in EncounterKind.values else str(k) for k in kinds or ())
