"""STA-2: blood-pressure and glucose control in chronic plans, from the chronic app's readings."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from careloop.chronic.services import monitoring_log_create, monitoring_plan_create
from careloop.stats.permissions import stats_scope
from careloop.stats.selectors import control_figures

pytestmark = pytest.mark.django_db
SH = dt.timezone(dt.timedelta(hours=8))


@time_machine.travel(dt.datetime(2026, 11, 20, 10, tzinfo=SH), tick=False)
def test_control_rates_count_readings_in_target_and_controlled_clients(world) -> None:
    monitoring_plan_create(client=world.own, condition="hypertension", acting_user=world.lead)
    monitoring_plan_create(client=world.other_team, condition="hypertension", acting_user=world.lead)
    for day, (sbp, dbp) in enumerate([(128, 82), (132, 84), (150, 96), (126, 80)], start=1):  # 3 of 4 in target
        monitoring_log_create(client=world.own, at=dt.datetime(2026, 11, day, 8, tzinfo=SH), acting_user=world.lead,
                              readings={"sbp": sbp, "dbp": dbp})
    for day in (1, 2):  # both out of target
        monitoring_log_create(client=world.other_team, at=dt.datetime(2026, 11, day, 8, tzinfo=SH),
                              acting_user=world.lead, readings={"sbp": 158, "dbp": 99})
    rows = {r["code"]: r for r in control_figures(stats_scope(world.manager), dt.date(2026, 11, 1),
                                                  dt.date(2026, 11, 20))}
    assert rows["sbp"] == {"code": "sbp", "name": "收缩压", "clients": 2, "controlled_clients": 1, "readings": 6,
                           "in_target": 3, "rate": 50.0}
    assert (rows["dbp"]["in_target"], rows["dbp"]["controlled_clients"]) == (3, 1)
    # Outside the period: nothing.
    assert control_figures(stats_scope(world.manager), dt.date(2026, 10, 1), dt.date(2026, 10, 31)) == []
