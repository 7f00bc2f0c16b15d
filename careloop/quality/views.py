"""Pages of staff quality (Chinese first): the inspector's home, a period's sample, a sampled record
with its score sheet and findings, and the findings list."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.org.models import User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import units_visible_to
from careloop.quality import selectors, services, training
from careloop.quality.models import ChecklistItem, Finding
from careloop.quality.permissions import (
    can_assess,
    finding_for,
    periods_visible_to,
    plan_applies_to,
    plan_for,
    require_inspect,
    sample_for,
    staff_visible_to,
)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    labels = {"end": _("To"), "start": _("From"), "description": _("Finding"), "action": _("Corrective action"),
              "owner": _("Owner"), "due_date": _("Due date"), "closure_note": _("How it was closed"),
              "plan": _("Sampling plan"), "status": _("Status"), "branch": _("Branch")}
    labels.update({i.code: i.text for i in ChecklistItem.objects.all()})
    for field, reasons in exc.message_dict.items():
        for reason in reasons:
            messages.error(request, reason if field == "__all__" else "{}: {}".format(labels.get(field) or _("Field"), reason))


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


@login_required
def home_view(request: HttpRequest) -> HttpResponse:
    require_inspect(_user(request))
    context = selectors.inspector_home(_user(request), today=timezone.localdate())
    context["branches"] = units_visible_to(_user(request)).exclude(kind="site").order_by("path")
    return render(request, "quality/home.html", context)


@login_required
@require_POST
def draw_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require_inspect(user)
    branch = units_visible_to(user).filter(pk=request.POST.get("branch") or 0).first()
    start, end = _date(request.POST.get("start")), _date(request.POST.get("end"))
    try:
        if branch is None:
            raise ValidationError({"branch": _("Choose a branch of your part of the organisation.")})
        if start is None or end is None:
            raise ValidationError({"start" if start is None else "end": _("Enter a date as YYYY-MM-DD.")})
        period = services.supervision_period_draw(branch=branch, start=start, end=end, acting_user=user)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("quality:home")
    messages.success(request, _("Sample drawn: %(n)d records.") % {"n": period.samples.count()})
    return redirect("quality:period", pk=period.pk)


@login_required
def period_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    require_inspect(user)
    period = periods_visible_to(user).select_related("branch", "plan").filter(pk=pk).first()
    if period is None:
        raise Http404(_("No such supervision period."))
    samples = list(selectors.period_samples(user, period.pk))
    return render(request, "quality/period.html", {"period": period, "samples": samples})


@login_required
def record_view(request: HttpRequest, record_id: int) -> HttpResponse:
    """The sampled record, its score sheet and findings: inspectors only, sampled records only, audited."""
    context = selectors.sampled_record_read(_user(request), record_id)
    sample = context["sample"]
    context["owners"] = User.objects.filter(
        is_active=True, org_unit__in=units_visible_to(_user(request))).order_by("username")
    context["default_owner"] = sample.staff_id
    return render(request, "quality/record.html", context)


@login_required
@require_POST
def score_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    sample = sample_for(user, pk)
    marks: dict[str, Any] = {i.code: request.POST.get(f"mark_{i.code}") for i in ChecklistItem.objects.filter(
        active=True)}
    try:
        services.sample_score(sample=sample, marks=marks, comment=request.POST.get("comment", ""), acting_user=user)
        messages.success(request, _("Score saved."))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("quality:record", record_id=sample.record_id)


@login_required
@require_POST
def finding_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    sample = sample_for(user, pk)
    owner = User.objects.filter(pk=request.POST.get("owner") or 0).select_related("org_unit").first()
    try:
        services.finding_record(sample=sample, description=request.POST.get("description", ""),
                                action=request.POST.get("action", ""), owner=owner,
                                due_date=_date(request.POST.get("due_date")), acting_user=user)
        messages.success(request, _("Finding recorded."))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("quality:record", record_id=sample.record_id)


@login_required
def findings_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    status = request.GET.get("status", "")
    if status not in ("", *Finding.Status.values):
        status = ""
    findings = list(selectors.findings_list(user, status=status)[:200])
    inspector = user_can(user, Cap.INSPECT)
    closable = {f.pk for f in findings if inspector or f.owner_id == user.pk}
    return render(request, "quality/findings.html", {
        "findings": findings, "closable": closable, "status": status, "statuses": Finding.Status.choices,
        "mine": list(selectors.my_findings(user)[:100]), "today": timezone.localdate(),
    })


@login_required
@require_POST
def finding_close_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    finding = finding_for(user, pk, close=True)
    try:
        services.finding_close(finding=finding, closure_note=request.POST.get("closure_note", ""), acting_user=user)
        messages.success(request, _("Finding closed."))
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("quality:findings")


# --- Training -------------------------------------------------------------------------------------


@login_required
def training_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    context = selectors.training_calendar(user, today=timezone.localdate())
    assessor = any(user_can(user, c) for c in (Cap.INSPECT, Cap.MANAGE_STAFF, Cap.VIEW_STATS, Cap.REASSIGN_TASKS))
    context["sheets"] = selectors.score_sheet_rows(user, context["plans"]) if assessor else []
    return render(request, "quality/training.html", context)


@login_required
def exam_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    plan = plan_for(user, pk)
    if not plan_applies_to(plan, user):
        raise Http404(_("No such training plan."))
    attempt = None
    chosen: dict[str, str] = {}
    if request.method == "POST":
        chosen = {q["code"]: request.POST.get(q["code"], "") for q in plan.bank.questions}
        try:
            attempt = training.exam_submit(plan=plan, answers=dict(chosen), acting_user=user)
            messages.success(request, _("Exam submitted: %(score)s points.") % {"score": attempt.score})
        except ValidationError as exc:
            for field, reasons in exc.message_dict.items():
                for reason in reasons:
                    messages.error(request, f"{field.upper()}: {reason}" if field != "plan" else reason)
    last = attempt or plan.attempts.filter(staff=user).order_by("-taken_at", "-pk").first()
    questions = [{**q, "options": list(enumerate(q.get("choices", []))), "chosen": chosen.get(q["code"], "")}
                 for q in plan.bank.questions]
    return render(request, "quality/exam.html", {"plan": plan, "questions": questions, "last": last})


@login_required
def score_sheet_view(request: HttpRequest, pk: int, staff_id: int) -> HttpResponse:
    user = _user(request)
    plan = plan_for(user, pk)
    staff = staff_visible_to(user).filter(pk=staff_id).select_related("org_unit").first()
    if staff is None:
        raise Http404(_("No such staff member."))
    context = selectors.score_sheet(plan, staff)
    context["may_assess"] = can_assess(user, staff)
    return render(request, "quality/score_sheet.html", context)


@login_required
@require_POST
def score_sheet_post(request: HttpRequest, pk: int, staff_id: int) -> HttpResponse:
    user = _user(request)
    plan = plan_for(user, pk)
    staff = staff_visible_to(user).filter(pk=staff_id).select_related("org_unit").first()
    if staff is None:
        raise Http404(_("No such staff member."))
    what = request.POST.get("what")
    try:
        if what == "attendance":
            session = plan.sessions.filter(pk=request.POST.get("session") or 0).first()
            if session is None:
                raise ValidationError({"session": _("Choose a session of this plan.")})
            training.attendance_record(session=session, staff=staff, present=request.POST.get("present") == "1",
                                       acting_user=user)
        elif what == "task_done":
            task = plan.tasks.filter(pk=request.POST.get("task") or 0, staff=staff).first()
            if task is None:
                raise ValidationError({"task": _("No such training task.")})
            training.training_task_done(task=task, acting_user=user)
        elif what == "practical":
            from careloop.quality.models import PracticalItem

            marks = {i.code: request.POST.get(f"mark_{i.code}") for i in PracticalItem.objects.filter(active=True)}
            training.practical_assess(plan=plan, staff=staff, marks=marks, acting_user=user)
        else:
            training.period_score_compute(plan=plan, staff=staff, acting_user=user)
        messages.success(request, _("Saved."))
    except ValidationError as exc:
        from careloop.quality.models import PracticalItem

        labels = {i.code: i.text for i in PracticalItem.objects.all()}
        labels.update({"session": _("Session"), "staff": _("Staff member"), "plan": _("Training plan"),
                       "task": _("Training task"), "status": _("Status")})
        for field, reasons in exc.message_dict.items():
            for reason in reasons:
                messages.error(request, "{}: {}".format(labels.get(field) or _("Field"), reason))
    return redirect("quality:score_sheet", pk=plan.pk, staff_id=staff.pk)


# --- Confidentiality agreements -------------------------------------------------------------------


@login_required
def agreements_view(request: HttpRequest) -> HttpResponse:
    from careloop.quality import agreements
    from careloop.quality.models import AgreementVersion, ConfidentialityAgreement

    user = _user(request)
    missing = list(agreements.staff_without_current(user)[:500])
    if request.method == "POST":
        staff = User.objects.filter(pk=request.POST.get("staff") or 0).select_related("org_unit").first()
        try:
            if staff is None:
                raise ValidationError({"staff": _("Choose a staff member of your part of the organisation.")})
            agreements.agreement_record(
                staff=staff, version=AgreementVersion.objects.filter(pk=request.POST.get("version") or 0).first(),
                signed_on=_date(request.POST.get("signed_on")), upload=request.FILES.get("file"), acting_user=user)
            messages.success(request, _("Agreement recorded."))
            return redirect("quality:agreements")
        except ValidationError as exc:
            labels = {"staff": _("Staff member"), "version": _("Version"), "signed_on": _("Signed on"),
                      "file": _("File")}
            for field, reasons in exc.message_dict.items():
                for reason in reasons:
                    messages.error(request, "{}: {}".format(labels.get(field) or _("Field"), reason))
    recent = list(ConfidentialityAgreement.objects.filter(staff__org_unit_id__in=units_visible_to(user).values("pk"))
                  .select_related("staff", "version").order_by("-recorded_at")[:50])
    return render(request, "quality/agreements.html", {
        "missing": missing, "recent": recent, "current": agreements.current_version(),
        "versions": AgreementVersion.objects.all(), "staff_choices": units_staff(user),
    })


def units_staff(user: User) -> list[User]:
    return list(User.objects.filter(is_active=True, org_unit__in=units_visible_to(user)).order_by("username")[:500])


@login_required
def agreement_file_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    from django.http import FileResponse

    from careloop.quality import agreements
    from careloop.quality.models import ConfidentialityAgreement

    row = ConfidentialityAgreement.objects.filter(pk=pk).select_related("staff__org_unit").first()
    if row is None:
        raise Http404(_("No such agreement."))
    path = agreements.agreement_file(row, _user(request))
    if not path.exists():
        raise Http404(_("No such agreement."))
    return FileResponse(open(path, "rb"), as_attachment=True, filename=row.original_name or path.name)
