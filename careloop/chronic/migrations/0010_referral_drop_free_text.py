"""Referrals point at the plans app's partner hospitals and departments (3/3: the free-text columns go; their
text lives on in ``note``)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [("chronic", "0009_referral_free_text_to_note")]

    operations = [
        migrations.RemoveField("referral", "hospital_text"),
        migrations.RemoveField("referral", "department_text"),
    ]
