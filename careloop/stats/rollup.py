"""The daily follow-up rollup (docs/decisions/0001-stats-rollup.md).

One definition of every figure, used twice: ``task_figures`` groups raw tasks (the rollup refresh, the
"bare GROUP BY" baseline of the bench, and the test that the rollup equals the raw count), and the
rollup rows store its result per day × branch × team × staff member × rule.

Figures (tasks bucketed by due date; cancelled tasks are not counted at all):
- planned: tasks due; done: closed with a record; on time: done by the end of the window (the due date
  when there is none); overdue: still open after the end of the window; missed: closed as failed;
  lost: missed tasks of clients now lost to follow-up (FU-15);
- attempted: done or at least one call attempt; reached: done or at least one answered attempt;
  attempts: call attempts made.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from careloop.clients.models import ClientStatus
from careloop.followups.models import CallAttempt, FollowupTask, TaskStatus
from careloop.stats.models import FollowupDaily, FollowupDailyBranch, RollupRun

FIGURES = ("planned", "done", "on_time", "overdue", "missed", "lost", "attempted", "reached", "attempts")
DIMENSIONS = {"branch": "client__branch_id", "team": "team_id", "staff": "assignee_id", "rule": "rule_id"}

# How far back the frequent refresh recomputes; older days are recomputed by the nightly full refresh.
RECENT_DAYS_BACK = 62
RECENT_DAYS_AHEAD = 31


def counted_tasks(day_from: dt.date, day_to: dt.date) -> QuerySet[FollowupTask]:
    return FollowupTask.objects.filter(due_date__gte=day_from, due_date__lte=day_to).exclude(
        status=TaskStatus.CANCELLED
    )


def figure_aggregates(today: dt.date) -> dict[str, Any]:
    """The aggregate expressions of every figure over FollowupTask rows."""
    window_end = Coalesce(F("window_end"), F("due_date"))
    open_q = Q(status__in=[TaskStatus.PENDING, TaskStatus.IN_PROGRESS])
    answered = CallAttempt.objects.filter(task_id=OuterRef("pk"), outcome=CallAttempt.Outcome.ANSWERED)
    return {
        "planned": Count("id"),
        "done": Count("id", filter=Q(status=TaskStatus.DONE)),
        "on_time": Count("id", filter=Q(status=TaskStatus.DONE, closed_at__date__lte=window_end)),
        "overdue": Count("id", filter=open_q & Q(window_end__lt=today) | open_q & Q(window_end__isnull=True,
                                                                                      due_date__lt=today)),
        "missed": Count("id", filter=Q(status=TaskStatus.MISSED)),
        "lost": Count("id", filter=Q(status=TaskStatus.MISSED, client__status=ClientStatus.LOST)),
        "attempted": Count("id", filter=Q(status=TaskStatus.DONE) | Q(attempt_count__gt=0)),
        "reached": Count("id", filter=Q(status=TaskStatus.DONE) | Q(Exists(answered))),
        "attempts": Coalesce(Sum("attempt_count"), Value(0)),
    }


def task_figures(tasks: QuerySet[FollowupTask], group: list[str], today: dt.date) -> QuerySet[Any]:
    """Raw tasks grouped by ``group`` (ORM paths) with every figure."""
    return tasks.values(*group).annotate(**figure_aggregates(today)).order_by(*group)


@transaction.atomic
def rollup_refresh(*, day_from: dt.date, day_to: dt.date, today: dt.date | None = None) -> int:
    """Recompute the rollup rows of the days ``day_from``…``day_to`` (replace, in one transaction)."""
    started = timezone.now()
    today = today or timezone.localdate()
    rows = task_figures(counted_tasks(day_from, day_to), ["due_date", *DIMENSIONS.values()], today)
    FollowupDaily.objects.filter(day__gte=day_from, day__lte=day_to).delete()
    FollowupDailyBranch.objects.filter(day__gte=day_from, day__lte=day_to).delete()
    batch: list[FollowupDaily] = []
    coarse: dict[tuple[dt.date, int], dict[str, int]] = {}
    written = 0
    for row in rows.iterator(chunk_size=5000):
        sums = coarse.setdefault((row["due_date"], row["client__branch_id"]), dict.fromkeys(FIGURES, 0))
        for f in FIGURES:
            sums[f] += row[f]
        batch.append(FollowupDaily(
            day=row["due_date"], branch_id=row["client__branch_id"], team_id=row["team_id"],
            staff_id=row["assignee_id"], rule_id=row["rule_id"], **{f: row[f] for f in FIGURES},
        ))
        if len(batch) >= 5000:
            FollowupDaily.objects.bulk_create(batch)
            written += len(batch)
            batch = []
    FollowupDaily.objects.bulk_create(batch)
    written += len(batch)
    FollowupDailyBranch.objects.bulk_create(
        [FollowupDailyBranch(day=day, branch_id=branch, **sums) for (day, branch), sums in coarse.items()],
        batch_size=5000)
    RollupRun.objects.create(day_from=day_from, day_to=day_to, rows=written, started_at=started,
                             finished_at=timezone.now())
    return written


def rollup_refresh_recent(today: dt.date | None = None) -> int:
    """The frequent refresh: the days whose tasks the day's work changes (overdue moves daily too)."""
    today = today or timezone.localdate()
    return rollup_refresh(day_from=today - dt.timedelta(days=RECENT_DAYS_BACK),
                          day_to=today + dt.timedelta(days=RECENT_DAYS_AHEAD), today=today)


def rollup_refresh_all(today: dt.date | None = None) -> int:
    """The nightly refresh: every day that has tasks, a month per transaction."""
    today = today or timezone.localdate()
    bounds = FollowupTask.objects.aggregate(lo=Min("due_date"), hi=Max("due_date"))
    if bounds["lo"] is None:
        return 0
    written = 0
    start: dt.date = bounds["lo"].replace(day=1)
    while start <= bounds["hi"]:
        following = (start + dt.timedelta(days=32)).replace(day=1)
        written += rollup_refresh(day_from=start, day_to=following - dt.timedelta(days=1), today=today)
        start = following
    return written


def last_run() -> RollupRun | None:
    return RollupRun.objects.order_by("-finished_at").first()
