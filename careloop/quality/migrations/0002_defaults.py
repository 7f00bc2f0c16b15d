"""Shipped defaults: one sampling plan and the supervision checklist (seed 000 §5.2–5.3, §7, §9)."""

import json
from pathlib import Path

from django.db import migrations

DEFAULTS = Path(__file__).resolve().parent.parent / "defaults" / "supervision.json"


def load(apps, schema_editor):
    data = json.loads(DEFAULTS.read_text(encoding="utf-8"))
    plan_model = apps.get_model("quality", "SamplingPlan")
    item_model = apps.get_model("quality", "ChecklistItem")
    for plan in data["plans"]:
        plan_model.objects.get_or_create(code=plan["code"], defaults=plan)
    for position, item in enumerate(data["checklist"]):
        item_model.objects.get_or_create(code=item["code"], defaults={**item, "position": position})


class Migration(migrations.Migration):
    dependencies = [("quality", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
