"""The written notice of a plan change: a Chinese letter PDF with the project's CJK font (assessments' PDF base)."""

from __future__ import annotations

from django.utils import timezone

from careloop.assessments.pdf import ReportPDF
from careloop.chronic.healthplans import plan_diff
from careloop.chronic.models import PlanAdjustment


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
