"""Referrals point at the plans app's partner hospitals and departments instead of free text (1/3: the new
columns; the free text is kept as hospital_text/department_text until 0009 has copied it)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("chronic", "0007_referral"),
        ("plans", "0002_default_catalogue"),
    ]

    operations = [
        migrations.RenameField("referral", "hospital", "hospital_text"),
        migrations.RenameField("referral", "department", "department_text"),
        migrations.AlterField("referral", "hospital_text", models.CharField(max_length=100, blank=True, default="")),
        migrations.AddField(
            model_name="referral",
            name="note",
            field=models.CharField(blank=True, default="", help_text="The hospital and department as first written, for referrals recorded as free text.", max_length=200, verbose_name="note"),
        ),
        migrations.AddField(
            model_name="referral",
            name="hospital",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="plans.partnerhospital", verbose_name="hospital"),
        ),
        migrations.AddField(
            model_name="referral",
            name="department",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="plans.department", verbose_name="department"),
        ),
    ]
