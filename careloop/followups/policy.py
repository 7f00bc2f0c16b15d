"""Follow-up numbers that are settings: each is declared once in careloop/settings.py (with its default and
its environment variable); this module turns them into the values the follow-up code uses."""

from __future__ import annotations

from datetime import time, timedelta

from django.conf import settings

from careloop.followups.ladder import LadderPolicy


def ladder_policy() -> LadderPolicy:
    return LadderPolicy(
        no_answer_retry=timedelta(minutes=settings.CARELOOP_FU_NO_ANSWER_RETRY_MINUTES),
        no_answer_notice_after=settings.CARELOOP_FU_NO_ANSWER_NOTICE_AFTER,
        unreachable_retry=timedelta(minutes=settings.CARELOOP_FU_UNREACHABLE_RETRY_MINUTES),
        unreachable_notice_after=settings.CARELOOP_FU_UNREACHABLE_NOTICE_AFTER,
        poor_line_retry=timedelta(minutes=settings.CARELOOP_FU_POOR_LINE_RETRY_MINUTES),
        notice_delay=timedelta(hours=settings.CARELOOP_FU_NOTICE_DELAY_HOURS),
        calling_start=time.fromisoformat(settings.CARELOOP_FU_CALLING_START),
        calling_end=time.fromisoformat(settings.CARELOOP_FU_CALLING_END),
        timezone=settings.TIME_ZONE,
        max_calls_per_day=settings.CARELOOP_FU_CARRIER_MAX_CALLS_PER_DAY or None,
    )


def lost_after_failed_tasks() -> int:
    """FU-15: a client is lost to follow-up after this many failed (missed) tasks in a row."""
    return int(settings.CARELOOP_FU_LOST_AFTER_FAILED_TASKS)


def group_call_days() -> int:
    """Open tasks of one client due within this many days show on the worklist as one call."""
    return int(settings.CARELOOP_FU_GROUP_CALL_DAYS)


def default_daily_capacity() -> int:
    return int(settings.CARELOOP_FU_DAILY_CAPACITY)


def history_grace_days() -> int:
    """Occurrences past by more than this many days when planned are skipped (issue 9, historical imports)."""
    return int(settings.CARELOOP_FU_HISTORY_GRACE_DAYS)


def message_hour() -> int:
    """The local hour a message rule's occurrence is asked to go out on its due date."""
    return int(settings.CARELOOP_FU_MESSAGE_HOUR)


def recheck_days() -> int:
    """A general problem found on a call: the recheck reminder and task come this many days later."""
    return int(settings.CARELOOP_FU_RECHECK_DAYS)


def tracking_days() -> tuple[int, ...]:
    """Tracking follow-ups after an expert consultation, days after the client was told."""
    return tuple(settings.CARELOOP_FU_TRACKING_DAYS)


TIER_WEIGHT = {"A": 30, "B": 20, "C": 10}
SEVERITY_WEIGHT = {"complex": 30, "abnormal_stable": 15, "normal": 0, "cured": 0, "": 0}
