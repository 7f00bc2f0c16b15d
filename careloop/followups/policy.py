"""Follow-up numbers that are settings (each with its default here, overridable in settings)."""

from __future__ import annotations

from datetime import time, timedelta

from django.conf import settings

from careloop.followups.ladder import LadderPolicy


def ladder_policy() -> LadderPolicy:
    return LadderPolicy(
        no_answer_retry=timedelta(minutes=getattr(settings, "CARELOOP_FU_NO_ANSWER_RETRY_MINUTES", 60)),
        no_answer_notice_after=getattr(settings, "CARELOOP_FU_NO_ANSWER_NOTICE_AFTER", 3),
        unreachable_retry=timedelta(minutes=getattr(settings, "CARELOOP_FU_UNREACHABLE_RETRY_MINUTES", 10)),
        unreachable_notice_after=getattr(settings, "CARELOOP_FU_UNREACHABLE_NOTICE_AFTER", 6),
        poor_line_retry=timedelta(minutes=getattr(settings, "CARELOOP_FU_POOR_LINE_RETRY_MINUTES", 10)),
        notice_delay=timedelta(hours=getattr(settings, "CARELOOP_FU_NOTICE_DELAY_HOURS", 24)),
        calling_start=time.fromisoformat(getattr(settings, "CARELOOP_FU_CALLING_START", "08:00")),
        calling_end=time.fromisoformat(getattr(settings, "CARELOOP_FU_CALLING_END", "21:00")),
        timezone=getattr(settings, "TIME_ZONE", "Asia/Shanghai"),
        max_calls_per_day=getattr(settings, "CARELOOP_FU_CARRIER_MAX_CALLS_PER_DAY", None),
    )


def lost_after_failed_tasks() -> int:
    """FU-15: a client is lost to follow-up after this many failed (missed) tasks in a row."""
    return int(getattr(settings, "CARELOOP_FU_LOST_AFTER_FAILED_TASKS", 3))


def group_call_days() -> int:
    """Open tasks of one client due within this many days show on the worklist as one call."""
    return int(getattr(settings, "CARELOOP_FU_GROUP_CALL_DAYS", 3))


def default_daily_capacity() -> int:
    return int(getattr(settings, "CARELOOP_FU_DAILY_CAPACITY", 40))


def history_grace_days() -> int:
    """Occurrences past by more than this many days when planned are skipped (issue 9, historical imports)."""
    return int(settings.CARELOOP_FU_HISTORY_GRACE_DAYS)


def message_hour() -> int:
    """The local hour a message rule's occurrence is asked to go out on its due date."""
    return int(settings.CARELOOP_FU_MESSAGE_HOUR)


def recheck_days() -> int:
    """A general problem found on a call: the recheck reminder and task come this many days later."""
    return int(getattr(settings, "CARELOOP_FU_RECHECK_DAYS", 14))


def tracking_days() -> tuple[int, ...]:
    """Tracking follow-ups after an expert consultation, days after the client was told."""
    return tuple(getattr(settings, "CARELOOP_FU_TRACKING_DAYS", (7, 30)))


TIER_WEIGHT = {"A": 30, "B": 20, "C": 10}
SEVERITY_WEIGHT = {"complex": 30, "abnormal_stable": 15, "normal": 0, "cured": 0, "": 0}
