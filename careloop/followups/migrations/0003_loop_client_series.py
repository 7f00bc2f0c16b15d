"""Per-client series on rules (issue 9 item 2), the consultation encounter kind, and the FU-7 default rule."""

from django.db import migrations, models

SERIES = {"FU-1-normal": "vip_cycle", "FU-1-stable": "vip_cycle", "FU-1-complex": "vip_cycle", "FU-4": "cured",
          "FU-6-B": "upkeep", "FU-6-A": "upkeep"}


def forwards(apps, schema_editor):
    from careloop.followups.defaults import load, rule_row

    FollowupRule = apps.get_model("followups", "FollowupRule")
    for code, series in SERIES.items():
        FollowupRule.objects.filter(code=code, client_series="").update(client_series=series)
    for raw in load("rules"):
        if raw["code"] == "FU-7":
            FollowupRule.objects.get_or_create(code="FU-7", defaults=rule_row(raw))


def backwards(apps, schema_editor):
    apps.get_model("followups", "FollowupRule").objects.filter(code="FU-7").delete()


class Migration(migrations.Migration):
    dependencies = [("followups", "0002_default_rules")]
    operations = [
        migrations.AddField(
            model_name="followuprule",
            name="client_series",
            field=models.CharField(
                blank=True, max_length=40, verbose_name="per-client series",
                help_text="Empty: every matching encounter runs its own series. Set: the client has one running "
                          "series of this name; a newer encounter's series replaces the pending rest of the earlier one.",
            ),
        ),
        migrations.AlterField(
            model_name="encounter",
            name="kind",
            field=models.CharField(
                choices=[("checkup", "Checkup"), ("outpatient", "Outpatient visit"), ("tcm_first_visit", "TCM first visit"),
                         ("tcm_return_visit", "TCM return visit"), ("discharge", "Inpatient discharge"),
                         ("purchase", "Service purchase"), ("consultation", "Consultation")],
                max_length=20, verbose_name="kind",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
