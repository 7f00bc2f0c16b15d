"""Demo data for staff quality: this quarter's supervision sample of each branch, about half of it
scored, and a few findings with corrective actions (one closed). Dates are relative to today."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.utils import timezone

from careloop.org.models import OrgUnit, Role, User
from careloop.quality import services
from careloop.quality.models import ChecklistItem, SampledRecord
from careloop.quality.selectors import quarter_of

FINDINGS = [
    ("未记录客户对生活方式的回答。", "补充询问并在记录中补记；下次随访按问题清单逐项询问。"),
    ("异常指标复查情况未追问。", "本周内回访客户确认复查结果，并学习复查追问话术。"),
    ("随访晚于计划日期五天。", "调整每日工作量安排，逾期前向组长报告。"),
]


def demo_quality(clients: list[Any], rng: random.Random, stdout: Any) -> None:
    today = timezone.localdate()
    start, end = quarter_of(today)
    inspector = User.objects.filter(role_grants__role=Role.INSPECTOR, is_active=True).order_by("pk").first()
    if inspector is None:
        stdout.write("quality: no inspector, nothing to do\n")
        return
    codes = list(ChecklistItem.objects.filter(active=True).values_list("code", flat=True))
    branches = [inspector.org_unit] if inspector.org_unit and inspector.org_unit.kind != "hq" else list(
        OrgUnit.objects.filter(kind="branch"))
    drawn = scored = found = 0
    for branch in branches:
        period = services.supervision_period_draw(branch=branch, start=start, end=min(end, today),
                                                  acting_user=inspector)
        samples = list(period.samples.select_related("period__branch", "record"))
        drawn += len(samples)
        for sample in samples[: (len(samples) + 1) // 2]:
            marks = {code: rng.random() > 0.15 for code in codes}
            services.sample_score(sample=sample, marks=marks, comment="", acting_user=inspector)
            scored += 1
            if not all(marks.values()) and found < 3:
                text, action = FINDINGS[found]
                owner = User.objects.get(pk=sample.staff_id)
                finding = services.finding_record(sample=sample, description=text, action=action, owner=owner,
                                                  due_date=today + timedelta(days=7 + 3 * found),
                                                  acting_user=inspector)
                found += 1
                if found == 1:
                    services.finding_close(finding=finding, closure_note="已回访补记，组长已核对。", acting_user=owner)
    pending = SampledRecord.objects.filter(status=SampledRecord.Status.PENDING).count()
    stdout.write(f"quality: {drawn} sampled records, {scored} scored, {pending} to score, {found} findings\n")

