"""FU-6 tier B's monthly health reminder becomes a message rule (issue 9 item 2): each occurrence sends the
health-reminder template through the outbox instead of making an SMS "call" task for a nurse."""

from django.db import migrations

CODE = "FU-6-B"


def forwards(apps, schema_editor):
    # Only the shipped shape is changed; a rule an administrator already edited keeps its action.
    apps.get_model("followups", "FollowupRule").objects.filter(code=CODE, action="task", channel="sms").update(
        action="message", message_purpose="health_reminder")


def backwards(apps, schema_editor):
    apps.get_model("followups", "FollowupRule").objects.filter(code=CODE, action="message").update(
        action="task", message_purpose="")


class Migration(migrations.Migration):
    dependencies = [("followups", "0005_rule_messages"), ("messaging", "0007_health_reminder")]
    operations = [migrations.RunPython(forwards, backwards)]
