"""Issue 20 item 3: the worklist's rows are built once per page, with the same output as before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from careloop.followups.api import TaskSerializer, task_row
from careloop.followups.models import FollowupRule, FollowupTask
from careloop.followups.selectors import worklist_calls
from careloop.followups.services.planning import encounter_create

D = dt.date(2026, 11, 2)


@pytest.fixture
def some_tasks(world):
    encounter_create(client=world.own, kind="tcm_first_visit", date=D, prescription_days=30, acting_user=world.nurse)
    encounter_create(client=world.own, kind="checkup", date=D, health_status="abnormal_stable",
                     acting_user=world.nurse)
    tasks = list(FollowupTask.objects.select_related("rule", "encounter").order_by("pk"))
    tasks[0].next_attempt_at = dt.datetime(2026, 11, 3, 1, 30, tzinfo=dt.UTC)
    tasks[0].window_end = D + dt.timedelta(days=3)
    rule = FollowupRule.objects.order_by("pk").first()
    # a task without encounter (from a rule) and one with a written reason
    tasks[1].encounter, tasks[1].rule = None, rule
    tasks[2].reason = "写好的原因"
    return tasks


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_task_row_is_what_the_serializer_gives(some_tasks, language) -> None:
    with translation.override(language):
        for task in some_tasks:
            assert task_row(task) == dict(TaskSerializer(task).data)


def test_reason_text_in_both_languages(some_tasks) -> None:
    task = next(t for t in some_tasks if t.encounter and t.encounter.prescription_days and not t.reason)
    with translation.override("en"):
        assert task.reason_text.startswith("TCM first visit, 30-day prescription, follow-up ")
    with translation.override("zh-hans"):
        assert task.reason_text.startswith("中医初诊，30天处方，第")
    checkup = next(t for t in some_tasks if t.encounter and t.encounter.kind == "checkup" and not t.reason)
    with translation.override("zh-hans"):
        assert "异常但稳定" in checkup.reason_text


def test_calls_carry_the_page_day_and_channel_label(some_tasks) -> None:
    with translation.override("zh-hans"):
        [call] = worklist_calls(some_tasks[:1], today=some_tasks[0].due_date + dt.timedelta(days=2))
    assert call.days_overdue == 2
    assert call.channel_label and call.channel_label != call.task.channel
