"""Ship the condition templates from the Chinese guidelines (careloop/chronic/defaults/guidelines.json)."""

import json
from pathlib import Path

from django.db import migrations

DEFAULTS = Path(__file__).resolve().parent.parent / "defaults" / "guidelines.json"
BOUNDS = ("target_low", "target_high", "alarm_low", "alarm_high", "critical_low", "critical_high")


def load(apps, schema_editor):
    ConditionTemplate = apps.get_model("chronic", "ConditionTemplate")
    IndicatorDefault = apps.get_model("chronic", "IndicatorDefault")
    data = json.loads(DEFAULTS.read_text(encoding="utf-8"))
    for condition, spec in data.items():
        template, _created = ConditionTemplate.objects.update_or_create(
            condition=condition, defaults={"name": spec["name"], "source": spec["source"], "notes": spec["notes"]})
        for order, ind in enumerate(spec["indicators"]):
            IndicatorDefault.objects.update_or_create(
                template=template, code=ind["code"],
                defaults={"name": ind["name"], "unit": ind["unit"], "method": ind["method"],
                          "frequency": ind["frequency"], "order": order,
                          **{b: ind.get(b) for b in BOUNDS}})


class Migration(migrations.Migration):
    dependencies = [("chronic", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
