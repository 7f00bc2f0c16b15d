"""Ship the default follow-up rules (SPEC FU-1…FU-6) and questionnaires (FU-8) as data."""

from django.db import migrations


def load_defaults(apps, schema_editor):
    from careloop.followups.defaults import load, rule_row

    FollowupRule = apps.get_model("followups", "FollowupRule")
    Questionnaire = apps.get_model("followups", "Questionnaire")
    known = {f.name for f in FollowupRule._meta.get_fields()}
    for raw in load("rules"):  # fields added later (client_series) are set by their own migration
        row = {k: v for k, v in rule_row(raw).items() if k in known}
        FollowupRule.objects.update_or_create(code=raw["code"], defaults=row)
    for raw in load("questionnaires"):
        Questionnaire.objects.update_or_create(
            code=raw["code"],
            defaults={k: raw[k] for k in ("series", "position", "name", "questions")},
        )


def unload(apps, schema_editor):
    from careloop.followups.defaults import load

    apps.get_model("followups", "FollowupRule").objects.filter(code__in=[r["code"] for r in load("rules")]).delete()
    apps.get_model("followups", "Questionnaire").objects.filter(
        code__in=[q["code"] for q in load("questionnaires")]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("followups", "0001_initial")]
    operations = [migrations.RunPython(load_defaults, unload)]
