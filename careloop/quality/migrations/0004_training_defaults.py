"""Shipped defaults: a theory question bank and the practical assessment checklist (seed 000 §5, §8)."""

import json
from pathlib import Path

from django.db import migrations

DEFAULTS = Path(__file__).resolve().parent.parent / "defaults" / "training.json"


def load(apps, schema_editor):
    data = json.loads(DEFAULTS.read_text(encoding="utf-8"))
    bank_model = apps.get_model("quality", "QuestionBank")
    item_model = apps.get_model("quality", "PracticalItem")
    for bank in data["banks"]:
        bank_model.objects.get_or_create(code=bank["code"], defaults=bank)
    for position, item in enumerate(data["practical"]):
        item_model.objects.get_or_create(code=item["code"], defaults={**item, "position": position})


class Migration(migrations.Migration):
    dependencies = [("quality", "0003_training")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
