"""The rollup equals the raw count, figure by figure, on generated data; definitions checked by hand."""

from __future__ import annotations

import datetime as dt

from careloop.followups.models import CallAttempt, TaskStatus
from careloop.stats.models import FollowupDaily, FollowupDailyBranch
from careloop.stats.permissions import StatsScope
from careloop.stats.rollup import DIMENSIONS, FIGURES, counted_tasks, rollup_refresh, task_figures
from careloop.stats.selectors import Drill, drilldown_tasks, followup_table, followup_totals
from tests.stats.conftest import TODAY, make_task


def _all(world) -> StatsScope:
    return StatsScope(unit_ids=[world.hq.pk, world.bj.pk, world.bj_site.pk, world.sh.pk])


def test_rollup_equals_the_raw_group_by_per_day_and_dimension(world, data) -> None:
    raw = {
        (r["due_date"], r["client__branch_id"], r["team_id"], r["assignee_id"], r["rule_id"]): tuple(r[f] for f in FIGURES)
        for r in task_figures(counted_tasks(data.day_from, data.day_to), ["due_date", *DIMENSIONS.values()], TODAY)
    }
    kept = {
        (r.day, r.branch_id, r.team_id, r.staff_id, r.rule_id): tuple(getattr(r, f) for f in FIGURES)
        for r in FollowupDaily.objects.filter(day__gte=data.day_from, day__lte=data.day_to)
    }
    assert kept == raw
    assert sum(v[0] for v in raw.values()) == counted_tasks(data.day_from, data.day_to).count() > 150


def test_branch_rollup_equals_the_raw_group_by_per_day_and_branch(world, data) -> None:
    raw = {
        (r["due_date"], r["client__branch_id"]): tuple(r[f] for f in FIGURES)
        for r in task_figures(counted_tasks(data.day_from, data.day_to), ["due_date", "client__branch_id"], TODAY)
    }
    kept = {
        (r.day, r.branch_id): tuple(getattr(r, f) for f in FIGURES)
        for r in FollowupDailyBranch.objects.filter(day__gte=data.day_from, day__lte=data.day_to)
    }
    assert kept == raw


def test_totals_equal_the_drilldown_counts(world, data) -> None:
    scope = _all(world)
    totals = followup_totals(scope, data.day_from, data.day_to)
    for metric in ("planned", "done", "on_time", "overdue", "missed", "lost", "attempted", "reached"):
        behind = drilldown_tasks(scope, data.day_from, data.day_to, Drill(metric=metric), TODAY).count()
        assert totals[metric] == behind, metric
    assert totals["lost"] > 0 and totals["overdue"] > 0


def test_definitions_by_hand(world, today) -> None:
    day = TODAY - dt.timedelta(days=3)
    make_task(world.own, due=day, status=TaskStatus.DONE, assignee=world.nurse, closed=day, attempts=["answered"])
    make_task(world.own, due=day, status=TaskStatus.DONE, assignee=world.nurse, closed=day + dt.timedelta(days=2),
              window_end=day + dt.timedelta(days=1), attempts=["no_answer", "busy", "answered"])
    make_task(world.own, due=day, status=TaskStatus.PENDING, assignee=world.nurse, attempts=["no_answer"])
    make_task(world.own, due=day, status=TaskStatus.PENDING, assignee=world.nurse, window_end=TODAY)
    make_task(world.own, due=day, status=TaskStatus.MISSED, assignee=world.nurse, closed=day, attempts=["busy"])
    make_task(world.own, due=day, status=TaskStatus.CANCELLED, assignee=world.nurse)
    rollup_refresh(day_from=day, day_to=day, today=TODAY)
    [row] = followup_table(_all(world), day, day, "staff")
    assert row["key"] == "nurse"
    assert {f: row[f] for f in FIGURES} == {
        "planned": 5, "done": 2, "on_time": 1, "overdue": 1, "missed": 1, "lost": 0,
        "attempted": 4, "reached": 2, "attempts": 6,
    }
    assert row["contact_rate"] == 50.0 and row["attempts_per_task"] == 1.5


def test_refresh_replaces_the_days_it_covers(world, today) -> None:
    day = TODAY - dt.timedelta(days=1)
    task = make_task(world.own, due=day, assignee=world.nurse)
    rollup_refresh(day_from=day, day_to=day, today=TODAY)
    task.status = TaskStatus.DONE
    task.save(update_fields=["status"])
    CallAttempt.objects.create(task=task, client=world.own, outcome="answered", at=task.created_at)
    rollup_refresh(day_from=day, day_to=day, today=TODAY)
    assert FollowupDaily.objects.filter(day=day).count() == 1
    assert FollowupDaily.objects.get(day=day).done == 1
