"""Referrals point at the plans app's partner hospitals and departments instead of free text (2/3: the data).

Every existing row keeps its text in ``note`` ("医院：…；科室：…"); where the text names a partner
hospital (and one of its departments) exactly, the row also gets the foreign keys. Nothing is lost.
"""

from django.db import migrations


def link_free_text(apps, schema_editor):
    Referral = apps.get_model("chronic", "Referral")
    PartnerHospital = apps.get_model("plans", "PartnerHospital")
    Department = apps.get_model("plans", "Department")
    hospitals = {h.name.strip(): h for h in PartnerHospital.objects.all()}
    for ref in Referral.objects.all().iterator():
        name, dept = (ref.hospital_text or "").strip(), (ref.department_text or "").strip()
        hospital = hospitals.get(name)
        department = (Department.objects.filter(hospital=hospital, name=dept).first()
                      if hospital is not None and dept else None)
        note = f"医院：{name}" + (f"；科室：{dept}" if dept else "")
        Referral.objects.filter(pk=ref.pk).update(hospital=hospital, department=department, note=note[:200])


def back_to_text(apps, schema_editor):
    Referral = apps.get_model("chronic", "Referral")
    for ref in Referral.objects.select_related("hospital", "department").iterator():
        hospital = ref.hospital.name if ref.hospital_id else ref.note.removeprefix("医院：").split("；")[0]
        department = ref.department.name if ref.department_id else ""
        Referral.objects.filter(pk=ref.pk).update(hospital_text=hospital[:100], department_text=department[:60])


class Migration(migrations.Migration):

    dependencies = [("chronic", "0008_referral_partner_hospital")]

    operations = [migrations.RunPython(link_free_text, back_to_text)]
