"""The KPI targets of seed 002 (客户维护与服务升级方案), shipped as data; edited on the targets screen."""

from django.db import migrations

TARGETS = [
    ("retention", "年度客户留存率", "%", 90, "gte", 1,
     "上一年内有到访（体检、门诊、中医、出院、购买等就诊记录，或客户台账中的消费、就诊、体检）的客户中，本期内再次到访的比例。"
     "来源：就诊记录与客户台账。种子 002：客户留存率≥90%（年度）。"),
    ("upgrade_coverage", "服务升级覆盖率", "%", 85, "gte", 2,
     "目标客户群体（在管的 A、B 类客户）中本期有生效中的健康管理计划的比例。"
     "来源：健康管理计划的加入记录。种子 002：服务升级覆盖率≥85%（目标客户群体）。"),
    ("nps", "客户净推荐值（NPS）", "", 60, "gte", 3,
     "满意度调查“您有多大可能向亲友推荐我们”（0–10 分）中推荐者（9–10 分）比例减去贬损者（0–6 分）比例。"
     "来源：客服中心满意度调查。种子 002：NPS≥60。"),
    ("complaint_rate", "客户投诉率", "%", 3, "lte", 4,
     "本期投诉的客户数占本期到访（服务）客户数的比例（医疗纠纷不计）。来源：客服中心工单与就诊记录。种子 002：客户投诉率≤3%。"),
    ("urgent_response_minutes", "紧急需求响应时间", "分钟", 30, "lte", 5,
     "本期答复的紧急工单从登记到答复的平均分钟数。来源：客服中心工单。种子 002：紧急需求≤30分钟。"),
    ("value_added_revenue_share", "增值服务营收占比", "%", 20, "gte", 6,
     "本期客户台账中增值服务（健康管理计划的购买，扣除退款）净收入占全部净收入的比例。"
     "来源：客户台账。种子 002 要求该占比“提升≥20%”，此处以占比≥20% 作为默认目标，可在目标页修改。"),
]


def forwards(apps, schema_editor):
    KpiTarget = apps.get_model("stats", "KpiTarget")
    for code, name, unit, target, comparison, order, definition in TARGETS:
        KpiTarget.objects.update_or_create(code=code, defaults={
            "name": name, "unit": unit, "target": target, "comparison": comparison, "order": order,
            "definition": definition})


def backwards(apps, schema_editor):
    apps.get_model("stats", "KpiTarget").objects.filter(code__in=[t[0] for t in TARGETS]).delete()


class Migration(migrations.Migration):
    dependencies = [("stats", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
