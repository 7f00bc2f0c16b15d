"""Writes of training and assessment (QA-1): attendance, the theory exam (scored automatically),
the practical assessment, and the combined period score that opens retraining below the pass mark."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.org.models import User
from careloop.quality import satisfaction
from careloop.quality.models import (
    Attendance,
    ExamAttempt,
    PeriodScore,
    PracticalAssessment,
    PracticalItem,
    TrainingPlan,
    TrainingSession,
    TrainingTask,
)
from careloop.quality.permissions import can_assess, plan_applies_to

HUNDRED = Decimal(100)


def _share(got: int, possible: int) -> Decimal:
    return (Decimal(got) * HUNDRED / possible).quantize(Decimal("0.1")) if possible else Decimal(0)


@transaction.atomic
def attendance_record(*, session: TrainingSession, staff: User, present: bool, acting_user: User) -> Attendance:
    if not can_assess(acting_user, staff):
        raise PermissionDenied(_("You may not record the training of this staff member."))
    if not plan_applies_to(session.plan, staff):
        raise ValidationError({"staff": _("This training plan is not for this staff member.")})
    row, _created = Attendance.objects.update_or_create(
        session=session, staff=staff, defaults={"present": present, "recorded_by": acting_user})
    audit_record(actor=acting_user, action="quality.training.attendance", obj=row,
                 detail={"session": session.pk, "staff": staff.pk, "present": present})
    return row


def grade_exam(questions: list[dict[str, Any]], answers: dict[str, Any]) -> tuple[Decimal, dict[str, str]]:
    """Choice questions are right when the chosen index is the answer; returns (0–100, errors)."""
    errors: dict[str, str] = {}
    got = possible = 0
    for question in questions:
        code, points = question["code"], int(question.get("points", 1))
        possible += points
        chosen = answers.get(code)
        try:
            index = int(str(chosen))
        except (TypeError, ValueError):
            errors[code] = _("Choose an answer.")
            continue
        if not 0 <= index < len(question.get("choices", [])):
            errors[code] = _("Choose one of the answers offered.")
        elif index == int(question["answer"]):
            got += points
    return _share(got, possible), errors


@transaction.atomic
def exam_submit(*, plan: TrainingPlan, answers: dict[str, Any], acting_user: User) -> ExamAttempt:
    """A staff member takes the plan's theory exam; the choice questions are scored at once."""
    if not plan_applies_to(plan, acting_user):
        raise Http404(_("No such training plan."))
    today = timezone.localdate()
    if not plan.start <= today <= plan.end:
        raise ValidationError({"plan": _("The exam is open only during the plan's period.")})
    score, errors = grade_exam(plan.bank.questions, answers)
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    attempt = ExamAttempt.objects.create(plan=plan, staff=acting_user, answers={k: answers[k] for k in sorted(
        q["code"] for q in plan.bank.questions)}, score=score, taken_at=timezone.now())
    audit_record(actor=acting_user, action="quality.training.exam", obj=attempt, detail={"plan": plan.pk,
                                                                                          "score": score})
    return attempt


@transaction.atomic
def practical_assess(*, plan: TrainingPlan, staff: User, marks: dict[str, Any], acting_user: User
                     ) -> PracticalAssessment:
    if not can_assess(acting_user, staff):
        raise PermissionDenied(_("You may not record the training of this staff member."))
    if not plan_applies_to(plan, staff):
        raise ValidationError({"staff": _("This training plan is not for this staff member.")})
    items = list(PracticalItem.objects.filter(active=True))
    clean: dict[str, bool] = {}
    errors: dict[str, list[str]] = {}
    for item in items:
        value = marks.get(item.code)
        if value in (True, "1", "true", "on", 1):
            clean[item.code] = True
        elif value in (False, "0", "false", 0):
            clean[item.code] = False
        else:
            errors[item.code] = [_("Say whether this point is met.")]
    if errors:
        raise ValidationError(errors)
    score = _share(sum(i.points for i in items if clean[i.code]), sum(i.points for i in items))
    row = PracticalAssessment.objects.create(plan=plan, staff=staff, marks=clean, score=score,
                                             assessed_by=acting_user, assessed_at=timezone.now())
    audit_record(actor=acting_user, action="quality.training.practical", obj=row,
                 detail={"plan": plan.pk, "staff": staff.pk, "score": score})
    return row


@transaction.atomic
def period_score_compute(*, plan: TrainingPlan, staff: User, acting_user: User) -> PeriodScore:
    """Combine the latest theory and practical scores and the period's client satisfaction with the
    plan's weights. A missing exam or assessment counts 0; satisfaction when not available is left
    out and the other weights count proportionally. Below the pass mark a training task is opened;
    failing the previous plan of the same role too flags the person for the manager."""
    if not can_assess(acting_user, staff):
        raise PermissionDenied(_("You may not record the training of this staff member."))
    if not plan_applies_to(plan, staff):
        raise ValidationError({"staff": _("This training plan is not for this staff member.")})
    exam = plan.attempts.filter(staff=staff).order_by("-taken_at", "-pk").first()
    practical = plan.practicals.filter(staff=staff).order_by("-assessed_at", "-pk").first()
    theory = exam.score if exam else Decimal(0)
    practical_score = practical.score if practical else Decimal(0)
    sat = satisfaction.staff_satisfaction(staff.pk, plan.start, plan.end)
    parts = [(plan.theory_weight, theory), (plan.practical_weight, practical_score)]
    if sat is not None:
        parts.append((plan.satisfaction_weight, sat))
    weights = sum(w for w, _s in parts)
    if not weights:
        raise ValidationError({"plan": _("The plan's weights add up to nothing.")})
    total = (sum(w * s for w, s in parts) / weights).quantize(Decimal("0.1"))
    passed = total >= plan.pass_mark
    previous = (PeriodScore.objects.filter(staff=staff, plan__role=plan.role, plan__end__lt=plan.start)
                .order_by("-plan__end").first())
    repeated = not passed and previous is not None and not previous.passed
    score, _created = PeriodScore.objects.update_or_create(plan=plan, staff=staff, defaults={
        "theory": exam.score if exam else None, "practical": practical.score if practical else None,
        "satisfaction": sat, "total": total, "passed": passed, "repeated_failure": repeated,
        "computed_at": timezone.now()})
    opened = None
    if not passed and not plan.tasks.filter(staff=staff, status=TrainingTask.Status.OPEN).exists():
        days = int(settings.CARELOOP_QUALITY_RETRAINING_DAYS)
        opened = TrainingTask.objects.create(
            plan=plan, staff=staff, due_date=timezone.localdate() + timedelta(days=days),
            reason=_("Score %(total)s below the pass mark %(mark)s: retraining and a new exam.") % {
                "total": total, "mark": plan.pass_mark})
    audit_record(actor=acting_user, action="quality.training.score", obj=score,
                 detail={"plan": plan.pk, "staff": staff.pk, "total": total, "passed": passed,
                         "repeated_failure": repeated, "training_task": opened.pk if opened else None})
    return score


@transaction.atomic
def training_task_done(*, task: TrainingTask, acting_user: User) -> TrainingTask:
    staff = User.objects.get(pk=task.staff_id)
    if not can_assess(acting_user, staff):
        raise PermissionDenied(_("You may not record the training of this staff member."))
    if task.status == TrainingTask.Status.DONE:
        raise ValidationError({"status": _("This training task is already done.")})
    task.status = TrainingTask.Status.DONE
    task.closed_at = timezone.now()
    task.save(update_fields=["status", "closed_at"])
    audit_record(actor=acting_user, action="quality.training.task_done", obj=task, detail={"staff": task.staff_id})
    return task
