"""The call-attempt ladder (SPEC FU-12, seed 001 接打电话礼仪标准), as a pure function of the history.

The seed: no answer after 5 rings or 20 s → hang up and try again in one hour; three in a row
unanswered → an SMS telling the purpose and proposing a time, and call then. The client's line
faulty/unreachable → every ten minutes; after the sixth → the same SMS naming the next call time.
Poor line → tell the client we call back in ten minutes. Every try is moved into calling hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

OUTCOMES = ("answered", "no_answer", "busy", "unreachable", "poor_line", "wrong_number")
# "busy" is an unanswered call: the client did not pick up.
UNANSWERED = frozenset({"no_answer", "busy"})


@dataclass(frozen=True)
class LadderPolicy:
    """The numbers of the ladder; defaults are the seed's. All are settings (see followups.policy)."""

    no_answer_retry: timedelta = timedelta(hours=1)
    no_answer_notice_after: int = 3
    unreachable_retry: timedelta = timedelta(minutes=10)
    unreachable_notice_after: int = 6
    poor_line_retry: timedelta = timedelta(minutes=10)
    notice_delay: timedelta = timedelta(days=1)
    calling_start: time = time(8, 0)
    calling_end: time = time(21, 0)
    timezone: str = "Asia/Shanghai"
    # Carrier limits for calls placed through a call platform; None = off.
    max_calls_per_day: int | None = None


@dataclass(frozen=True)
class Attempt:
    outcome: str
    at: datetime


@dataclass(frozen=True)
class Decision:
    """What happens after the latest attempt."""

    next_attempt_at: datetime | None
    send_notice: bool = False  # a followup_notice SMS proposing `next_attempt_at`
    close: str = ""  # "done" (reached) or "wrong_number"; "" while the ladder continues


def into_calling_hours(moment: datetime, policy: LadderPolicy) -> datetime:
    """The earliest time at or after `moment` inside calling hours (local to policy.timezone)."""
    zone = ZoneInfo(policy.timezone)
    local = moment.astimezone(zone)
    start = local.replace(
        hour=policy.calling_start.hour, minute=policy.calling_start.minute, second=0, microsecond=0
    )
    end = local.replace(hour=policy.calling_end.hour, minute=policy.calling_end.minute, second=0, microsecond=0)
    if local < start:
        return start
    if local >= end:
        return start + timedelta(days=1)
    return local


def within_carrier_limit(candidate: datetime, history: Sequence[Attempt], policy: LadderPolicy) -> datetime:
    """Move `candidate` to a later day while that day already has the allowed number of calls."""
    limit = policy.max_calls_per_day
    if limit is None:
        return candidate
    zone = ZoneInfo(policy.timezone)
    per_day: dict[object, int] = {}
    for attempt in history:
        day = attempt.at.astimezone(zone).date()
        per_day[day] = per_day.get(day, 0) + 1
    while per_day.get(candidate.astimezone(zone).date(), 0) >= limit:
        local = candidate.astimezone(zone)
        next_day = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
        candidate = into_calling_hours(next_day, policy)
    return candidate


def trailing_streak(history: Sequence[Attempt], kinds: frozenset[str]) -> int:
    count = 0
    for attempt in reversed(history):
        if attempt.outcome not in kinds:
            break
        count += 1
    return count


def decide(history: Sequence[Attempt], policy: LadderPolicy | None = None) -> Decision:
    """The decision after the last attempt of `history` (oldest first, the new attempt last).

    `history` holds this callee's attempts (all tasks) when carrier limits are on, else the task's.
    """
    policy = policy or LadderPolicy()
    if not history:
        raise ValueError("history: at least one attempt")
    latest = history[-1]
    if latest.outcome not in OUTCOMES:
        raise ValueError(f"outcome: unknown outcome {latest.outcome!r}")
    if latest.outcome == "answered":
        return Decision(None, close="done")
    if latest.outcome == "wrong_number":
        return Decision(None, close="wrong_number")

    notice = False
    if latest.outcome in UNANSWERED:
        streak = trailing_streak(history, UNANSWERED)
        notice = streak % policy.no_answer_notice_after == 0
        wait = policy.notice_delay if notice else policy.no_answer_retry
    elif latest.outcome == "unreachable":
        streak = trailing_streak(history, frozenset({"unreachable"}))
        notice = streak % policy.unreachable_notice_after == 0
        wait = policy.notice_delay if notice else policy.unreachable_retry
    else:  # poor_line
        wait = policy.poor_line_retry
    candidate = into_calling_hours(latest.at + wait, policy)
    candidate = within_carrier_limit(candidate, history, policy)
    return Decision(candidate, send_notice=notice)
