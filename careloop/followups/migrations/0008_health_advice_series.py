"""FU-6 health advice becomes a per-client series (issue 9 item 2): a newer checkup's or discharge's advice call
replaces the earlier one still pending, so two reports of one client on one day give one advice call, about the
latest results (the 600,000-row import measure found a client with two)."""

from django.db import migrations

CODE = "FU-6-advice"


def forwards(apps, schema_editor):
    # Only the shipped shape changes; a rule an administrator already put in a series keeps it.
    apps.get_model("followups", "FollowupRule").objects.filter(code=CODE, client_series="").update(
        client_series="health_advice")


def backwards(apps, schema_editor):
    apps.get_model("followups", "FollowupRule").objects.filter(code=CODE, client_series="health_advice").update(
        client_series="")


class Migration(migrations.Migration):
    dependencies = [("followups", "0007_alter_followuprule_message_purpose_and_more")]
    operations = [migrations.RunPython(forwards, backwards)]
