"""Ship the diet templates per condition (careloop/chronic/defaults/diet_templates.json)."""

import json
from pathlib import Path

from django.db import migrations

DEFAULTS = Path(__file__).resolve().parent.parent / "defaults" / "diet_templates.json"


def load(apps, schema_editor):
    DietTemplate = apps.get_model("chronic", "DietTemplate")
    for condition, spec in json.loads(DEFAULTS.read_text(encoding="utf-8")).items():
        DietTemplate.objects.update_or_create(condition=condition, defaults={
            k: spec[k] for k in ("name", "source", "key_improvements", "foods", "tips", "menu")})


class Migration(migrations.Migration):
    dependencies = [("chronic", "0005_diet_plans")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
