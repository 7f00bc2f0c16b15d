"""Message templates' text: ``{{ name }}`` placeholders, optionally with a fallback ``{{ name|默认 }}``.

Deliberately not the Django template language: an administrator edits these texts, and a placeholder
can only name a value from the context — no attribute access, filters or tags.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from django.utils import timezone

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\|([^{}]*?))?\s*\}\}")


class TemplateContextError(ValueError):
    """A placeholder without a fallback has no value in the context."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("missing template variables: " + ", ".join(missing))
        self.missing = missing


def placeholders(text: str) -> dict[str, str | None]:
    """Placeholder name → its fallback (None when it has none), in order of appearance."""
    found: dict[str, str | None] = {}
    for match in PLACEHOLDER.finditer(text):
        name, fallback = match.group(1), match.group(2)
        if name not in found or found[name] is None:
            found[name] = fallback.strip() if fallback is not None else None
    return found


def format_value(value: Any) -> str:
    if isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return "" if value is None else str(value)


def render_text(text: str, context: Mapping[str, Any]) -> str:
    missing = [name for name, fallback in placeholders(text).items()
               if fallback is None and (context.get(name) in (None, ""))]
    if missing:
        raise TemplateContextError(missing)

    def substitute(match: re.Match[str]) -> str:
        value = context.get(match.group(1))
        if value in (None, ""):
            return (match.group(2) or "").strip()
        return format_value(value)

    return PLACEHOLDER.sub(substitute, text)
