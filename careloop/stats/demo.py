"""`careloop demo`: the rollup refreshed over the demo's tasks, and the reports a manager would have received."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone


def demo_stats(clients: list[Any], rng: object, stdout: Any) -> None:
    from careloop.org.models import OrgUnit
    from careloop.stats.models import ReportPeriod
    from careloop.stats.rollup import rollup_refresh_all
    from careloop.stats.services import stats_report_generate

    _work_done(rng, timezone.localdate())
    rows = rollup_refresh_all()
    today = timezone.localdate()
    made = 0
    for unit in OrgUnit.objects.filter(parent__isnull=True):
        for days_back in range(1, 4):
            stats_report_generate(period=ReportPeriod.DAILY, day=today - dt.timedelta(days=days_back), unit=unit,
                                  mail=False)
            made += 1
        last_month = today.replace(day=1) - dt.timedelta(days=1)
        stats_report_generate(period=ReportPeriod.MONTHLY, day=last_month, unit=unit, mail=False)
        made += 1
    if hasattr(stdout, "write"):
        stdout.write(f"stats: rollup {rows} rows, {made} reports kept\n")


def _work_done(rng: Any, today: dt.date) -> None:
    """The demo's past follow-ups as a team would have left them: most done (calls answered, some after a
    second try), some missed, a few still overdue — so that the figures and the funnel have something to show."""
    from careloop.followups.models import CallAttempt, FollowupRecord, FollowupTask, TaskStatus

    past = list(FollowupTask.objects.filter(status=TaskStatus.PENDING, due_date__lt=today - dt.timedelta(days=3),
                                            assignee__isnull=False)
                .select_related("client").order_by("pk")[:5000])
    attempts: list[CallAttempt] = []
    records: list[FollowupRecord] = []
    changed: list[FollowupTask] = []
    for task in past:
        roll = rng.random()
        if roll > 0.9:
            continue  # still overdue
        tries = ["answered"] if roll < 0.55 else ["no_answer", "answered"] if roll < 0.78 else ["no_answer", "busy"]
        at = timezone.make_aware(dt.datetime.combine(task.due_date + dt.timedelta(days=rng.randint(0, 4)), dt.time(10)))
        for i, outcome in enumerate(tries):
            attempts.append(CallAttempt(task=task, client=task.client, outcome=outcome, at=at + dt.timedelta(hours=i),
                                        by_id=task.assignee_id))
        task.attempt_count = len(tries)
        task.status = TaskStatus.DONE if tries[-1] == "answered" else TaskStatus.MISSED
        task.closed_at = at + dt.timedelta(hours=len(tries))
        changed.append(task)
        if task.status == TaskStatus.DONE:
            records.append(FollowupRecord(
                task=task, client=task.client, channel=task.channel, performed_at=task.closed_at,
                performed_by_id=task.assignee_id or 0, identity_confirmed=True, guidance="按医嘱服药，定期复查。",
                signed_by_id=task.assignee_id, signed_at=task.closed_at))
    CallAttempt.objects.bulk_create(attempts, batch_size=2000)
    FollowupTask.objects.bulk_update(changed, ["attempt_count", "status", "closed_at"], batch_size=2000)
    FollowupRecord.objects.bulk_create(records, batch_size=2000)
