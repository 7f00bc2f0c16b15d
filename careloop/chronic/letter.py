"""The written notice of a plan change and the diet plan: Chinese PDFs on the shared base (careloop/lib/pdf.py)."""

from __future__ import annotations

from django.utils import timezone

from careloop.chronic.healthplans import plan_diff
from careloop.chronic.models import DietPlan, PlanAdjustment
from careloop.lib.pdf import ReportPDF


def adjustment_letter_pdf(adjustment: PlanAdjustment) -> bytes:
    plan = adjustment.next_plan
    assert plan is not None
    client = plan.client
    pdf = ReportPDF("个人健康管理方案调整通知书", footer_text=client.name)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.heading("个人健康管理方案调整通知书")
    pdf.paragraph(f"尊敬的{client.name}：")
    pdf.paragraph(f"根据您近期的健康监测情况，经专家团队审核，您的个人健康管理方案已更新为第 {plan.version} 版，"
                  f"自 {timezone.localtime(adjustment.reviewed_at or plan.created_at).strftime('%Y年%m月%d日')} 起执行。")
    pdf.heading("调整原因")
    pdf.paragraph(adjustment.reason)
    pdf.heading("预期效果")
    pdf.paragraph(adjustment.expected_effect)
    pdf.heading("专家意见")
    pdf.paragraph(adjustment.opinion)
    previous = adjustment.plan
    for row in plan_diff(previous, plan):
        pdf.heading(f"{row['label']}（调整后）")
        pdf.paragraph(row["after"] or "无")
    pdf.paragraph("如有疑问，请联系您的健康管理师。我们将在两周内回访，了解方案执行情况。")
    pdf.paragraph("健康管理中心")
    pdf.paragraph(timezone.localdate().strftime("%Y年%m月%d日"))
    return bytes(pdf.output())


def diet_plan_pdf(plan: DietPlan) -> bytes:
    from careloop.chronic.diet import menu_days

    client = plan.client
    pdf = ReportPDF("个性化膳食方案", footer_text=client.name)
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.heading(f"{client.name} 的个性化膳食方案（{plan.get_condition_display()}）")
    pdf.paragraph(f"营养师：{plan.nutritionist}    制定日期：{timezone.localtime(plan.created_at):%Y年%m月%d日}")
    pdf.heading("重点改善")
    pdf.paragraph(plan.key_improvements)
    pdf.heading("推荐食物及每日用量")
    pdf.grid(["食物", "每日用量"], [[f.get("food", ""), f.get("amount", "")] for f in plan.foods], (120, 60))
    pdf.heading("一周食谱")
    pdf.grid(["", "早餐", "午餐", "晚餐"], [[d["day"], d["breakfast"], d["lunch"], d["dinner"]] for d in menu_days(plan)],
             (16, 52, 56, 56), size=8)
    pdf.heading("温馨提示")
    pdf.paragraph(plan.tips)
    return bytes(pdf.output())
