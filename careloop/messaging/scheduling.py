"""When a message may go out: quiet hours and the per-client daily cap (SPEC MSG-4).

Pure functions over aware datetimes. Both rules only ever move a message later; nothing is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class QuietHours:
    """A nightly window, e.g. 21:00–08:00; ``start == end`` means no quiet hours."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """``"21:00-08:00"`` → QuietHours; ``""`` or ``"off"`` → None."""
        if not text or text.strip().lower() in {"off", "none"}:
            return None
        match = _RANGE.match(text)
        if not match:
            raise ValueError(f"quiet hours {text!r}: expected HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(f"quiet hours {text!r}: hour 0–23, minute 0–59")
        return cls(time(h1, m1), time(h2, m2))

    def contains(self, moment: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


def _at(day: date, moment: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=tz)


def next_allowed(when: datetime, quiet: QuietHours | None, tz: tzinfo) -> datetime:
    """``when`` itself, or the end of the quiet window it falls into."""
    if when.tzinfo is None:
        raise ValueError("aware datetimes only")
    if quiet is None:
        return when
    local = when.astimezone(tz)
    if not quiet.contains(local.time().replace(tzinfo=None)):
        return when
    day = local.date()
    if quiet.start > quiet.end and local.time().replace(tzinfo=None) >= quiet.start:
        day += timedelta(days=1)
    return _at(day, quiet.end, tz)


def plan_send_time(
    *,
    requested: datetime,
    quiet: QuietHours | None,
    tz: tzinfo,
    daily_cap: int,
    count_on_day: Callable[[date], int],
    day_start: time = time(8, 0),
    horizon_days: int = 366,
) -> datetime:
    """The earliest moment at or after ``requested`` outside quiet hours on a day still under the cap.

    ``count_on_day(day)`` says how many messages the client already has on that local day;
    ``daily_cap`` ≤ 0 turns the cap off. A full day moves the message to the next day at
    ``day_start`` (or the end of the quiet window, whichever is later).
    """
    candidate = next_allowed(requested, quiet, tz)
    if daily_cap <= 0:
        return candidate
    for _ in range(horizon_days):
        day = candidate.astimezone(tz).date()
        if count_on_day(day) < daily_cap:
            return candidate
        candidate = next_allowed(_at(day + timedelta(days=1), day_start, tz), quiet, tz)
    raise ValueError("no day under the daily cap within the horizon")
