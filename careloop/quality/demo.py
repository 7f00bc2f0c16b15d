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
    made = _demo_records(start, today, rng)
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
    stdout.write(f"quality: {made} follow-ups of this quarter recorded and signed by their nurses\n")
    stdout.write(f"quality: {drawn} sampled records, {scored} scored, {pending} to score, {found} findings\n")



def demo_training(clients: list[Any], rng: random.Random, stdout: Any) -> None:
    """This quarter's training of the follow-up staff: a plan per branch, three sessions, attendance,
    exams, practical assessments and the period scores (someone below the pass mark gets retraining)."""
    from datetime import datetime, time

    from careloop.quality import training
    from careloop.quality.models import PracticalItem, QuestionBank, TrainingPlan, TrainingSession

    today = timezone.localdate()
    start, end = quarter_of(today)
    bank = QuestionBank.objects.order_by("pk").first()
    admin = User.objects.filter(username="admin").first()
    if bank is None or admin is None:
        return
    items = list(PracticalItem.objects.filter(active=True).values_list("code", flat=True))
    scored = 0
    for branch in OrgUnit.objects.filter(kind="branch").order_by("path"):
        plan, _created = TrainingPlan.objects.get_or_create(
            role=Role.FOLLOWUP, branch=branch, start=start, end=end, defaults={
                "title": f"{start.year}年第{(start.month - 1) // 3 + 1}季度随访人员培训", "bank": bank,
                "topics": "医学基础知识、健康管理知识、沟通技巧、客户服务规范"})
        topics = [("医学基础与体检异常解读", 10), ("沟通技巧与模拟随访演练", 40), ("客户服务规范与隐私保护", 70)]
        sessions = [TrainingSession.objects.get_or_create(
            plan=plan, title=title, defaults={
                "starts_at": timezone.make_aware(datetime.combine(start + timedelta(days=offset), time(14, 0))),
                "place": f"{branch.name}三楼会议室", "trainer": "健康管理专家组"})[0] for title, offset in topics]
        staff = [u for u in User.objects.filter(role_grants__role=Role.FOLLOWUP, is_active=True,
                                                org_unit__path__startswith=branch.path).distinct().order_by("pk")]
        for index, person in enumerate(staff):
            for session in sessions:
                if session.starts_at.date() <= today:
                    training.attendance_record(session=session, staff=person, present=rng.random() > 0.1,
                                               acting_user=admin)
            weak = index == len(staff) - 1 and len(staff) > 1
            answers = {q["code"]: (q["answer"] if (not weak and rng.random() > 0.1) else (q["answer"] + 1) % len(
                q["choices"])) for q in bank.questions}
            training.exam_submit(plan=plan, answers=answers, acting_user=person)
            marks = {code: (not weak and rng.random() > 0.1) for code in items}
            training.practical_assess(plan=plan, staff=person, marks=marks, acting_user=admin)
            training.period_score_compute(plan=plan, staff=person, acting_user=admin)
            scored += 1
    stdout.write(f"quality: training plans for this quarter, {scored} people scored\n")


def _demo_records(start: Any, today: Any, rng: random.Random, limit: int = 120) -> int:
    """Some of this quarter's past-due follow-ups done and signed by their assignees, through the
    follow-up service (the demo day's own tasks are left alone), so that there is something to sample."""
    from datetime import datetime, time

    from careloop.followups.models import OPEN_STATUSES, FollowupTask
    from careloop.followups.services.records import followup_record_submit, questionnaire_for

    tasks = list(FollowupTask.objects.filter(status__in=OPEN_STATUSES, assignee__isnull=False, due_date__gte=start,
                                             due_date__lt=today).select_related("assignee").order_by("due_date",
                                                                                                      "pk")[:limit])
    guidance = ["低盐低脂饮食，每周运动三次，每次30分钟。", "按时服药，两周后复查血压。", "戒烟限酒，规律作息。"]
    done = 0
    for task in tasks:
        at = timezone.make_aware(datetime.combine(task.due_date, time(9 + done % 8, 15)))
        questionnaire = questionnaire_for(task)
        assert task.assignee is not None  # the query keeps assigned tasks only
        answers = {q["key"]: _demo_answer(q, rng) for q in (questionnaire.questions if questionnaire else [])}
        followup_record_submit(task=task, acting_user=task.assignee, performed_at=at, identity_confirmed=True,
                               answers=answers,
                               client_words="最近身体还好，偶尔头晕。", guidance=rng.choice(guidance),
                               next_step="按计划下次随访")
        done += 1
    return done


def _demo_answer(question: dict[str, Any], rng: random.Random) -> Any:
    if question.get("type") == "yesno":
        return rng.random() < 0.3
    if question.get("type") == "choice":
        return question.get("choices", ["-"])[0]
    return "一切正常"


def demo_agreements(clients: list[Any], rng: random.Random, stdout: Any) -> None:
    """Most staff have signed the current confidentiality agreement; a few have not (the admin's list)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from careloop.quality import agreements

    admin = User.objects.filter(username="admin").first()
    version = agreements.current_version()
    if admin is None or version is None:
        return
    staff = list(User.objects.filter(is_active=True, org_unit__isnull=False).order_by("pk"))
    signed = 0
    for person in staff[: max(1, len(staff) - 4)]:
        upload = SimpleUploadedFile(f"保密协议-{person.username}.pdf", b"%PDF-1.4\n% demo\n", "application/pdf")
        agreements.agreement_record(staff=person, version=version, signed_on=max(
            version.effective_from, timezone.localdate() - timedelta(days=rng.randint(10, 300))), upload=upload,
            acting_user=admin)
        signed += 1
    stdout.write(f"quality: {signed} confidentiality agreements, {len(staff) - signed} staff still to sign\n")
