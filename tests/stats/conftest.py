"""Generated follow-up data for the statistics tests (hermetic: today is pinned)."""

from __future__ import annotations

import datetime as dt
import random
from types import SimpleNamespace

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from careloop.clients.models import ClientStatus
from careloop.followups.models import CallAttempt, FollowupRule, FollowupTask, TaskStatus
from careloop.stats.rollup import rollup_refresh
from tests.factories import make_client

TODAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def today():
    with time_machine.travel(dt.datetime(2026, 11, 20, 4, tzinfo=dt.UTC), tick=False):
        yield TODAY


def make_task(client, *, due: dt.date, status: str = TaskStatus.PENDING, assignee=None, team=None, rule=None,
              window_end: dt.date | None = None, closed: dt.date | None = None, attempts: list[str] = ()) -> FollowupTask:
    task = FollowupTask.objects.create(
        client=client, due_date=due, window_end=window_end, status=status, assignee=assignee, team=team, rule=rule,
        attempt_count=len(attempts),
        closed_at=timezone.make_aware(dt.datetime.combine(closed, dt.time(10))) if closed else None,
    )
    for i, outcome in enumerate(attempts):
        CallAttempt.objects.create(task=task, client=client, outcome=outcome,
                                   at=timezone.make_aware(dt.datetime.combine(due, dt.time(9, i))))
    return task


def generate(world, n: int = 240, seed: int = 7) -> list[FollowupTask]:
    """Tasks over two months for every position in the world: every status, on time and late, attempts."""
    rng = random.Random(seed)
    rules = list(FollowupRule.objects.all()[:3]) or [FollowupRule.objects.create(code="t1", name="测试规则")]
    lost_client = make_client(branch=world.bj, name="失访客户", health_manager=world.nurse,
                              status=ClientStatus.LOST)
    places = [
        (world.own, world.nurse, world.team_a), (world.other_team, world.nurse_b, world.team_b),
        (world.other_branch, world.nurse2, world.team_sh), (lost_client, world.nurse, world.team_a),
        (world.own, None, world.team_a),
    ]
    outcomes = [o for o, _l in CallAttempt.Outcome.choices]
    tasks = []
    for _i in range(n):
        client, nurse, team = rng.choice(places)
        due = TODAY - dt.timedelta(days=rng.randint(-10, 50))
        status = rng.choice([TaskStatus.PENDING, TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.DONE,
                             TaskStatus.MISSED, TaskStatus.CANCELLED])
        window = due + dt.timedelta(days=rng.choice([0, 3, 7])) if rng.random() < 0.6 else None
        closed = due + dt.timedelta(days=rng.randint(-1, 9)) if status in (TaskStatus.DONE, TaskStatus.MISSED) else None
        attempts = [rng.choice(outcomes) for _a in range(rng.randint(0, 3))]
        tasks.append(make_task(client, due=due, status=status, assignee=nurse, team=team, rule=rng.choice(rules),
                               window_end=window, closed=closed, attempts=attempts))
    return tasks


@pytest.fixture
def data(world, today):
    tasks = generate(world)
    rollup_refresh(day_from=TODAY - dt.timedelta(days=80), day_to=TODAY + dt.timedelta(days=40), today=TODAY)
    return SimpleNamespace(tasks=tasks, day_from=TODAY - dt.timedelta(days=60), day_to=TODAY + dt.timedelta(days=20))
