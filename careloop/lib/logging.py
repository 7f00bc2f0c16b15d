"""A log filter that hides phone and ID numbers wherever they appear in a log message."""

from __future__ import annotations

import logging
import re

_SENSITIVE = re.compile(r"(?<!\d)(\d{17}[\dXx]|1[3-9]\d{9})(?!\d)")


def redact(text: str) -> str:
    return _SENSITIVE.sub(lambda m: m.group(0)[:3] + "*" * (len(m.group(0)) - 3), text)


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix here
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
