"""Ship the Chinese templates of the purpose plan_change_notice (the written notice of a health-plan change),
from careloop/messaging/defaults/templates.json as 0002 does; existing rows are left alone."""

import json
from pathlib import Path

from django.db import migrations

DEFAULTS = Path(__file__).resolve().parent.parent / "defaults" / "templates.json"
PURPOSE = "plan_change_notice"


def load(apps, schema_editor):
    MessageTemplate = apps.get_model("messaging", "MessageTemplate")
    data = json.loads(DEFAULTS.read_text(encoding="utf-8"))
    spec = data["templates"][PURPOSE]
    for channel in ("sms", "email", "wechat", "letter"):
        if MessageTemplate.objects.filter(purpose=PURPOSE, channel=channel).exists():
            continue
        text = spec[channel]
        subject, body = ("", text) if isinstance(text, str) else text
        MessageTemplate.objects.create(
            purpose=PURPOSE, channel=channel, version=1, subject=subject, body=body,
            sms_signature=data["sms_signature"] if channel == "sms" else "", variables=spec["variables"],
            is_active=True, note="shipped default",
        )


def unload(apps, schema_editor):
    apps.get_model("messaging", "MessageTemplate").objects.filter(
        purpose=PURPOSE, version=1, note="shipped default").delete()


class Migration(migrations.Migration):
    dependencies = [("messaging", "0003_plan_change_notice")]
    operations = [migrations.RunPython(load, unload)]
