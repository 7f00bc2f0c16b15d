"""Shipped LOINC mappings for the default checkup items (careloop/checkups/defaults/loinc.json)."""

import json
from pathlib import Path

from django.db import migrations

DEFAULTS = Path(__file__).resolve().parents[2] / "checkups" / "defaults" / "loinc.json"


def load(apps, schema_editor):
    LoincMapping = apps.get_model("fhir", "LoincMapping")
    for row in json.loads(DEFAULTS.read_text(encoding="utf-8")):
        LoincMapping.objects.update_or_create(item_code=row["item_code"], defaults={
            "loinc": row["loinc"], "display": row["display"], "ucum": row.get("ucum", ""),
            "verified": row.get("verified", False), "note": row.get("note", "")})


class Migration(migrations.Migration):
    dependencies = [("fhir", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
