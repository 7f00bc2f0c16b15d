"""Demo data of careloop.chronic: hypertension and diabetes plans with months of logs, some out of control."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from careloop.chronic.models import Condition, Reading
from careloop.chronic.services import monitoring_log_create, monitoring_plan_create
from careloop.org.models import User


def generate_chronic(clients: list, rng: Any, stdout: Any, *, days: int = 120) -> int:
    """Plans for up to 12 active clients, readings every 3–4 days over ``days``; a third out of control."""
    rng = rng if isinstance(rng, random.Random) else random.Random(13)
    actor = User.objects.filter(username="admin").first() or User.objects.filter(is_superuser=True).first()
    nurse = User.objects.filter(username="nurse").first() or actor
    if actor is None:
        return 0
    active = [c for c in clients if getattr(c, "status", "active") == "active"][:12]
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    logs = 0
    for i, client in enumerate(active):
        condition = Condition.HYPERTENSION if i % 2 == 0 else Condition.DIABETES
        monitoring_plan_create(client=client, condition=condition, acting_user=nurse)
        poor = i % 3 == 0
        readings: list[Reading] = []
        for day in range(days, 0, -rng.choice([3, 4])):
            at = now - dt.timedelta(days=day, hours=rng.randint(0, 3))
            if condition == Condition.HYPERTENSION:
                base = 152 if poor else 128
                values = {"sbp": round(rng.gauss(base, 8)), "dbp": round(rng.gauss(base * 0.62, 5))}
            else:
                base = 8.6 if poor else 6.1
                values = {"fasting_glucose": round(rng.gauss(base, 0.8), 1),
                          "postprandial_glucose": round(rng.gauss(base + 2.8, 1.0), 1)}
            result = monitoring_log_create(client=client, at=at, readings=values, acting_user=nurse,
                                           exercise="快走30分钟" if rng.random() < 0.5 else "")
            readings.extend(result.readings)
            logs += 1
        if poor:  # one recent alarming reading: an urgent task for the team
            at = now - dt.timedelta(days=1)
            values = {"sbp": 184, "dbp": 112} if condition == Condition.HYPERTENSION else {"fasting_glucose": 17.2}
            monitoring_log_create(client=client, at=at, readings=values, acting_user=nurse)
            logs += 1
    stdout.write(f"chronic: {len(active)} monitoring plans, {logs} logs\n")
    return logs
