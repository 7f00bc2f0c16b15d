"""Ship the Chinese default templates (careloop/messaging/defaults/templates.json) as version 1."""

import json
from pathlib import Path

from django.db import migrations

DEFAULTS = Path(__file__).resolve().parent.parent / "defaults" / "templates.json"


def load(apps, schema_editor):
    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    data = json.loads(DEFAULTS.read_text(encoding="utf-8"))
    signature = data["sms_signature"]
    for purpose, spec in data["templates"].items():
        for channel in ("sms", "email", "wechat", "letter"):
            if MessageTemplate.objects.filter(purpose=purpose, channel=channel).exists():
                continue
            text = spec[channel]
            subject, body = ("", text) if isinstance(text, str) else text
            MessageTemplate.objects.create(
                purpose=purpose, channel=channel, version=1, subject=subject, body=body,
                sms_signature=signature if channel == "sms" else "", variables=spec["variables"],
                is_active=True, note="shipped default",
            )


def unload(apps, schema_editor):
    apps.get_model("messaging", "MessageTemplate").objects.filter(version=1, note="shipped default").delete()


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
