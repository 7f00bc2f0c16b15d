"""Ship the default item catalogue, grading rules and checkup packages (data, editable in admin)."""

import json
from pathlib import Path

from django.db import migrations

DEFAULTS = Path(__file__).resolve().parent.parent / "defaults"


def load(apps, schema_editor):
    CheckupItem = apps.get_model("checkups", "CheckupItem")
    GradingRule = apps.get_model("checkups", "GradingRule")
    CheckupPackage = apps.get_model("checkups", "CheckupPackage")
    for item in json.loads((DEFAULTS / "items.json").read_text(encoding="utf-8")):
        CheckupItem.objects.update_or_create(
            code=item["code"],
            defaults={"name": item["name"], "unit": item["unit"], "category": item["category"],
                      "numeric": item["numeric"], "sort_order": item["sort"]},
        )
    if not GradingRule.objects.exists():
        rules = json.loads((DEFAULTS / "grading_rules.json").read_text(encoding="utf-8"))
        GradingRule.objects.bulk_create(
            [GradingRule(item_code=r.pop("item"), **r) for r in rules]
        )
    for package in json.loads((DEFAULTS / "packages.json").read_text(encoding="utf-8")):
        CheckupPackage.objects.update_or_create(code=package.pop("code"), defaults=package)


def unload(apps, schema_editor):
    apps.get_model("checkups", "GradingRule").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("checkups", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
