"""Issue 9 "Measure and report" on the demo: no orphan task, no overlapping series, lists within capacity."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings

from careloop.followups.selectors import followups_health

TODAY = dt.date(2026, 11, 23)


@pytest.mark.django_db
@override_settings(DEMO_PASSWORD="", CARELOOP_FU_HISTORY_GRACE_DAYS=14)
def test_the_demo_day_has_owners_one_series_and_fits_capacity() -> None:
    with time_machine.travel(dt.datetime(2026, 11, 23, 1, tzinfo=dt.UTC), tick=False):
        call_command("demo", "--base-clients", "60", stdout=io.StringIO())
        report = followups_health(today=TODAY)
        out = io.StringIO()
        call_command("followups_check", stdout=out)
    assert report["orphans"] == 0
    assert report["overlapping_clients"] == 0
    assert report["worklists"] and all(row["today"] <= row["capacity"] for row in report["worklists"])
    assert "open tasks without an owner: 0" in out.getvalue()
