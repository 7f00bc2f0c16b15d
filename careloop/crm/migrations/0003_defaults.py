"""Shipped defaults: the tier criteria of seed 002 and the bookable services (both editable data)."""

from django.db import migrations

SERVICES = [
    ("checkup", "健康体检", "体检中心一楼前台", "体检前一日晚餐后禁食,请携带身份证。"),
    ("interpretation", "报告解读", "二楼健康管理室", "请携带体检报告。"),
    ("consultation", "健康咨询", "二楼健康管理室", "请提前10分钟到达。"),
    ("tcm", "中医诊疗", "三楼中医馆", "请提前10分钟到达,如正在服药请带上药方。"),
]


def forwards(apps, schema_editor):
    TierPolicy = apps.get_model("crm", "TierPolicy")
    AppointmentService = apps.get_model("crm", "AppointmentService")
    if not TierPolicy.objects.filter(active=True).exists():
        TierPolicy.objects.create(active=True, note="方案默认值(种子文档002)")
    for code, name, place, notes in SERVICES:
        AppointmentService.objects.get_or_create(code=code, defaults={"name": name, "place": place, "notes": notes})


class Migration(migrations.Migration):
    dependencies = [("crm", "0002_appointmentservice_slot_appointment_slottemplate_and_more")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
