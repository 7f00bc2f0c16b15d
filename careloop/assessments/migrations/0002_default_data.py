"""Ship the default questionnaires and prescription rules (data, editable in the admin)."""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "engine" / "data"


def _load(name):
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


def forwards(apps, schema_editor):
    Questionnaire = apps.get_model("assessments", "Questionnaire")
    PrescriptionRule = apps.get_model("assessments", "PrescriptionRule")
    for name in ("health_questionnaire", "tcm_elderly_33"):
        data = _load(name)
        Questionnaire.objects.update_or_create(
            code=data["code"], version=data["version"], defaults={"name": data["name_zh"], "definition": data}
        )
    for rule in _load("prescription_rules")["rules"]:
        PrescriptionRule.objects.update_or_create(
            code=rule["code"],
            defaults={
                "findings": rule["finding"],
                "category": rule["category"],
                "order": rule["order"],
                "text": rule["text_zh"],
            },
        )


def backwards(apps, schema_editor):
    apps.get_model("assessments", "PrescriptionRule").objects.all().delete()
    apps.get_model("assessments", "Questionnaire").objects.filter(
        code__in=["health_standard", "tcm_elderly_33"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
