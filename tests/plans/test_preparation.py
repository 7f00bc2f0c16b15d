"""The follow-up preparation view's "current plan" (followups.preparation registry, branch loop)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from tests.plans.builders import enrol

preparation = pytest.importorskip("careloop.followups.preparation")
pytestmark = pytest.mark.django_db


@time_machine.travel(dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC), tick=False)
def test_current_plan_lists_what_is_left(world):
    assert preparation.current_plan(world.own) is None
    enrol(world, world.own, "chronic", start=dt.date(2026, 3, 1))
    section = preparation.current_plan(world.own)
    assert section.title == "慢性病诊疗监控和改善计划（至 2027-02-28）"
    assert "健康体检管理：剩余 1/1 次" in section.lines
    assert section.url == f"/plans/client/{world.own.pk}/"
