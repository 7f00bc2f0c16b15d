"""Timing labels of follow-up occurrences in the reader's language (issue 9 item 7).

The shipped rules write their occurrences' labels in English ("day 15", "monthly", "within 7 days");
they are stored on each task and planned message. They are translated when shown: known words through
gettext, numbered forms by pattern. A label an administrator wrote in another form is shown as written.
"""

from __future__ import annotations

from typing import Any

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


def timing_text(labels: Any) -> str:
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
