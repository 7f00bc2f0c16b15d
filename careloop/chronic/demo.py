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
    if nurse is None:
        return 0
    # VIP clients are the family doctor's (seed 004): the demo plans for the others.
    active = [c for c in clients if getattr(c, "status", "active") == "active" and not getattr(c, "is_vip", False)][:12]
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
                base: float = 152 if poor else 128
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
    plans = _demo_health_plans(active[:6], nurse)
    stdout.write(f"chronic: {len(active)} monitoring plans, {logs} logs, {plans} health plans\n")
    return logs


def _demo_health_plans(clients: list, nurse: Any) -> int:
    """Health plans for the first clients: one approved adjustment (version 2) and one pending review."""
    from careloop.chronic.healthplans import (
        health_plan_create,
        plan_adjustment_request,
        plan_adjustment_review,
    )

    expert = User.objects.filter(username="expert").first()
    made = 0
    for i, client in enumerate(clients):
        plan = health_plan_create(client=client, acting_user=nurse, fields={
            "goals": "血压控制在140/90 mmHg以下\n体重每月减少0.5~1 kg",
            "diet": "每日食盐不超过5 g，少油少糖，每天蔬菜300~500 g",
            "exercise": "每周至少5天、每天30分钟中等强度运动（快走、游泳）",
            "medication_reminders": [{"medicine": "氨氯地平片", "dosage": "5 mg", "times": ["08:00"]}] if i % 2 == 0
            else [{"medicine": "二甲双胍片", "dosage": "0.5 g", "times": ["07:30", "18:30"]}],
            "rechecks": [{"item": "糖化血红蛋白", "due": ""}] if i % 2 else [{"item": "血脂、肾功能", "due": ""}],
        })
        made += 1
        if i == 0 and expert is not None:
            adj = plan_adjustment_request(plan=plan, reason="近3个月血压控制率不足50%", expected_effect="3个月内血压达标",
                                          content={"goals": "血压控制在130/80 mmHg以下", "medication_reminders": [
                                              {"medicine": "氨氯地平片", "dosage": "5 mg", "times": ["08:00"]},
                                              {"medicine": "缬沙坦胶囊", "dosage": "80 mg", "times": ["08:00"]}]},
                                          acting_user=nurse)
            plan_adjustment_review(adjustment=adj, decision="approve", opinion="同意加用缬沙坦，两周后复测血压",
                                   acting_user=expert)
        if i == 1:
            plan_adjustment_request(plan=plan, reason="空腹血糖多次高于8 mmol/L", content={
                "diet": "主食定量，每餐不超过1两半；以粗杂粮替代部分精米白面"}, expected_effect="空腹血糖降至7 mmol/L以下",
                acting_user=nurse)
    return made
