"""The event invitation purpose (salons and community events, crm; marketing consent) and its shipped templates."""

import json
from pathlib import Path

from django.db import migrations, models

DEFAULTS = Path(__file__).resolve().parent.parent / "defaults" / "templates.json"
PURPOSE = "event_invitation"


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
    apps.get_model("messaging", "MessageTemplate").objects.filter(purpose=PURPOSE, version=1,
                                                                  note="shipped default").delete()


class Migration(migrations.Migration):

    dependencies = [
        ('messaging', '0008_purpose_choices'),
    ]

    operations = [
        migrations.AlterField(
            model_name='message',
            name='purpose',
            field=models.CharField(choices=[('report_ready', 'Report ready'), ('followup_notice', 'Follow-up notice'), ('recheck_reminder', 'Recheck reminder'), ('medication_reminder', 'Medication reminder'), ('monitoring_reminder', 'Monitoring reminder'), ('health_reminder', 'Health reminder'), ('appointment_confirmation', 'Appointment confirmation'), ('appointment_reminder', 'Appointment reminder'), ('health_tips', 'Health tips'), ('newsletter', 'Newsletter'), ('satisfaction_survey', 'Satisfaction survey'), ('plan_change_notice', 'Health plan change notice'), ('offer', 'Offer'), ('event_invitation', 'Event invitation'), ('webhook_event', 'Event for an integrator')], max_length=32, verbose_name='purpose'),
        ),
        migrations.AlterField(
            model_name='messagetemplate',
            name='purpose',
            field=models.CharField(choices=[('report_ready', 'Report ready'), ('followup_notice', 'Follow-up notice'), ('recheck_reminder', 'Recheck reminder'), ('medication_reminder', 'Medication reminder'), ('monitoring_reminder', 'Monitoring reminder'), ('health_reminder', 'Health reminder'), ('appointment_confirmation', 'Appointment confirmation'), ('appointment_reminder', 'Appointment reminder'), ('health_tips', 'Health tips'), ('newsletter', 'Newsletter'), ('satisfaction_survey', 'Satisfaction survey'), ('plan_change_notice', 'Health plan change notice'), ('offer', 'Offer'), ('event_invitation', 'Event invitation'), ('webhook_event', 'Event for an integrator')], max_length=32, verbose_name='purpose'),
        ),
        migrations.AlterField(
            model_name='subscription',
            name='purpose',
            field=models.CharField(choices=[('report_ready', 'Report ready'), ('followup_notice', 'Follow-up notice'), ('recheck_reminder', 'Recheck reminder'), ('medication_reminder', 'Medication reminder'), ('monitoring_reminder', 'Monitoring reminder'), ('health_reminder', 'Health reminder'), ('appointment_confirmation', 'Appointment confirmation'), ('appointment_reminder', 'Appointment reminder'), ('health_tips', 'Health tips'), ('newsletter', 'Newsletter'), ('satisfaction_survey', 'Satisfaction survey'), ('plan_change_notice', 'Health plan change notice'), ('offer', 'Offer'), ('event_invitation', 'Event invitation'), ('webhook_event', 'Event for an integrator')], max_length=32, verbose_name='purpose'),
        ),
        migrations.AlterField(
            model_name='subscriptionchange',
            name='purpose',
            field=models.CharField(choices=[('report_ready', 'Report ready'), ('followup_notice', 'Follow-up notice'), ('recheck_reminder', 'Recheck reminder'), ('medication_reminder', 'Medication reminder'), ('monitoring_reminder', 'Monitoring reminder'), ('health_reminder', 'Health reminder'), ('appointment_confirmation', 'Appointment confirmation'), ('appointment_reminder', 'Appointment reminder'), ('health_tips', 'Health tips'), ('newsletter', 'Newsletter'), ('satisfaction_survey', 'Satisfaction survey'), ('plan_change_notice', 'Health plan change notice'), ('offer', 'Offer'), ('event_invitation', 'Event invitation'), ('webhook_event', 'Event for an integrator')], max_length=32),
        ),
        migrations.RunPython(load, unload),
    ]
