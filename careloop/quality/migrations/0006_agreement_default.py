"""Shipped default: the first version of the staff confidentiality agreement (seed 000 §7.1)."""

import datetime

from django.db import migrations


def load(apps, schema_editor):
    apps.get_model("quality", "AgreementVersion").objects.get_or_create(
        version="2026-1", defaults={"effective_from": datetime.date(2026, 1, 1)})


class Migration(migrations.Migration):
    dependencies = [("quality", "0005_agreements")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
