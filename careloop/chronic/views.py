"""Pages of careloop.chronic. Thin: parse input, call a service or selector, render."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.accounts.auth import request_user
from careloop.audit.services import audit_read, audit_record
from careloop.chronic import selectors, services
from careloop.chronic.charts import trend_chart
from careloop.chronic.diet import clients_waiting_for_diet_plan, diet_plan_create, menu_days
from careloop.chronic.forms import LogForm, PlanForm, SelfEntryForm
from careloop.chronic.healthplans import (
    health_plan_create,
    plan_adjustment_request,
    plan_adjustment_review,
    plan_diff,
)
from careloop.chronic.importing import ImportRejected, error_lines, monitoring_logs_import
from careloop.chronic.letter import adjustment_letter_pdf, diet_plan_pdf
from careloop.chronic.models import (
    AdjustmentStatus,
    Condition,
    ConditionTemplate,
    DietPlan,
    HealthPlan,
    MonitoringPlan,
    PlanAdjustment,
    PlanStatus,
    Referral,
)
from careloop.chronic.permissions import adjustment_for, can_write, client_for_monitoring
from careloop.chronic.screening import can_screen, screening_candidate_enrol, screening_candidates
from careloop.chronic.selfentry import RateLimited, link_from_token, self_entry_link_create, self_entry_submit
from careloop.clients.models import Client
from careloop.clients.selectors import clients_visible_to
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can
from careloop.plans.selectors import partner_hospitals  # published read of the plans app


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    """Clients with an active monitoring plan, those with alarming or out-of-target readings first."""
    user = _user(request)
    if not user_can(user, Cap.VIEW_RESULTS):
        raise PermissionDenied(_("Your role does not allow this."))
    since = timezone.now() - dt.timedelta(days=92)
    clients = (selectors.clients_with_plans(clients_visible_to(user))
               .annotate(readings=Count("monitoring_logs__readings", filter=Q(monitoring_logs__readings__at__gte=since),
                                        distinct=True),
                         off=Count("monitoring_logs__readings", distinct=True,
                                   filter=Q(monitoring_logs__readings__at__gte=since,
                                            monitoring_logs__readings__in_target=False)),
                         alarms=Count("monitoring_logs__readings", distinct=True,
                                      filter=Q(monitoring_logs__readings__at__gte=since,
                                               monitoring_logs__readings__flag__startswith="alarm")))
               .select_related("branch", "health_manager").order_by("-alarms", "-off", "name")[:200])
    rows = []
    for c in clients:
        judged = c.readings or 0
        rows.append({"client": c, "readings": judged, "alarms": c.alarms,
                     "rate": (judged - c.off) / judged if judged else None})
    templates = ConditionTemplate.objects.prefetch_related("indicators")
    return render(request, "chronic/worklist.html", {"rows": rows, "templates": templates})


def _referral_choices(client: Client) -> list[dict[str, object]]:
    """The partner hospitals of the client's branch, each department labelled with its clinic times."""
    out = []
    for h in partner_hospitals(branch=client.branch):
        departments = []
        for d in h.departments:
            times = "；".join(f"{WEEKDAYS_ABBR[t.weekday - 1]} {t.start:%H:%M}–{t.end:%H:%M} {t.doctor_name}".strip()
                             for t in d.clinic_times)
            departments.append({"id": d.id, "label": f"{d.name}（{times}）" if times else d.name})
        out.append({"id": h.id, "name": h.name, "grade": h.grade, "departments": departments})
    return out


@login_required
def client_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    client = client_for_monitoring(user, pk)
    audit_record(actor=user, action="chronic.read", client=client, detail={"what": "monitoring page"})
    today = timezone.localdate()
    trends = [{"trend": t, "svg": trend_chart(t)} for t in selectors.trends(client, today=today)]
    return render(request, "chronic/client.html", {
        "client": client, "plans": selectors.active_plans(client), "trends": trends,
        "logs": selectors.recent_logs(client), "can_write": can_write(user),
        "referrals": Referral.objects.filter(client=client).select_related("created_by", "hospital",
                                                                            "department")[:20],
        "hospitals": _referral_choices(client) if can_write(user) else [],
        "plan_form": PlanForm(), "log_form": LogForm(initial={"at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}),
    })


@login_required
@require_POST
def plan_create(request: HttpRequest, pk: int) -> HttpResponse:
    client = client_for_monitoring(_user(request), pk, write=True)
    form = PlanForm(request.POST)
    if form.is_valid():
        try:
            services.monitoring_plan_create(client=client, condition=form.cleaned_data["condition"],
                                            acting_user=request_user(request))
            messages.success(request, _("Monitoring plan saved with the guideline's defaults."))
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
    else:
        messages.error(request, _("Choose a condition."))
    return redirect("chronic:client", pk=client.pk)


@login_required
@require_POST
def log_create(request: HttpRequest, pk: int) -> HttpResponse:
    client = client_for_monitoring(_user(request), pk, write=True)
    form = LogForm(request.POST)
    if not form.is_valid():
        for field, errs in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {'; '.join(str(e) for e in errs)}")
        return redirect("chronic:client", pk=client.pk)
    try:
        result = services.monitoring_log_create(
            client=client, at=form.cleaned_data["at"], readings=form.readings(), diet=form.cleaned_data["diet"],
            exercise=form.cleaned_data["exercise"], medication=form.cleaned_data["medication"], acting_user=request_user(request))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("chronic:client", pk=client.pk)
    if result.tasks:
        messages.warning(request, _("A reading is past its alarm threshold: an urgent follow-up task was opened."))
    elif result.flags:
        messages.info(request, _("Saved; %(n)d reading(s) out of target.") % {"n": len(result.flags)})
    else:
        messages.success(request, _("Saved."))
    return redirect("chronic:client", pk=client.pk)


@login_required
@require_POST
def self_link_create(request: HttpRequest, pk: int) -> HttpResponse:
    client = client_for_monitoring(_user(request), pk, write=True)
    link, token = self_entry_link_create(client=client, acting_user=request_user(request))
    url = request.build_absolute_uri(reverse("chronic:self-entry", args=[token]))
    messages.success(request, _("Personal link for the client (valid until %(d)s): %(url)s") % {
        "d": timezone.localtime(link.expires_at).strftime("%Y-%m-%d"), "url": url})
    return redirect("chronic:client", pk=client.pk)


def self_entry(request: HttpRequest, token: str) -> HttpResponse:
    """The client's own page: no login; the signed link names the client."""
    link = link_from_token(token)
    if link is None:
        return render(request, "chronic/self_entry.html", {"invalid": True}, status=404)
    form = SelfEntryForm(request.POST or None)
    done, status = None, 200
    if request.method == "POST" and not form.is_valid():
        status = 400
    elif request.method == "POST":
        try:
            done = self_entry_submit(link=link, at=timezone.now(), readings=form.readings(),
                                     diet=form.cleaned_data["diet"], exercise=form.cleaned_data["exercise"],
                                     medication=form.cleaned_data["medication"])
            form = SelfEntryForm()
        except ValidationError as exc:
            form.add_error(None, "; ".join(exc.messages))
            status = 429 if isinstance(exc, RateLimited) else 400
    return render(request, "chronic/self_entry.html", {"form": form, "client": link.client, "done": done},
                  status=status)


@login_required
def import_page(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not can_write(user):
        raise PermissionDenied(_("Your role does not allow recording monitoring."))
    errors: list[str] = []
    result = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            errors = [_("Choose a file.")]
        elif (upload.size or 0) > 20 * 1024 * 1024:
            errors = [_("The file is larger than 20 MB.")]
        else:
            try:
                results = monitoring_logs_import(name=upload.name or "", content=upload.read(), acting_user=user)
                result = {"logs": len(results), "readings": sum(len(r.readings) for r in results),
                          "flags": sum(len(r.flags) for r in results), "tasks": sum(len(r.tasks) for r in results)}
            except ImportRejected as exc:
                errors = error_lines(exc.errors)
    return render(request, "chronic/import.html", {"errors": errors, "result": result},
                  status=400 if errors else 200)


# --- the personal health plan ------------------------------------------------------------------
@login_required
def health_plan_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The client's plan: the current version, every version with its diff, the adjustments."""
    user = _user(request)
    client = client_for_monitoring(user, pk)
    audit_record(actor=user, action="chronic.read", client=client, detail={"what": "health plan"})
    versions = list(HealthPlan.objects.filter(client=client).order_by("-version"))
    history = []
    for i, plan in enumerate(versions):
        older = versions[i + 1] if i + 1 < len(versions) else None
        history.append({"plan": plan, "diff": plan_diff(older, plan)})
    adjustments = PlanAdjustment.objects.filter(plan__client=client).select_related("requested_by", "reviewer",
                                                                                  "plan", "next_plan")
    current = next((v for v in versions if v.status == PlanStatus.CURRENT), None)
    return render(request, "chronic/health_plan.html", {
        "client": client, "current": current, "history": history, "adjustments": adjustments,
        "can_write": can_write(user), "can_review": user_can(user, Cap.CONSULT),
        "pending": any(a.status == AdjustmentStatus.PENDING for a in adjustments),
    })


@login_required
@require_POST
def health_plan_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    client = client_for_monitoring(_user(request), pk, write=True)
    try:
        health_plan_create(client=client, acting_user=request_user(request))
        messages.success(request, _("Version 1 drafted from the latest assessment's prescription."))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("chronic:health-plan", pk=client.pk)


@login_required
@require_POST
def adjustment_request_view(request: HttpRequest, pk: int) -> HttpResponse:
    client = client_for_monitoring(_user(request), pk, write=True)
    plan = HealthPlan.objects.filter(client=client, status=PlanStatus.CURRENT).first()
    if plan is None:
        messages.error(request, _("The client has no plan yet."))
        return redirect("chronic:health-plan", pk=client.pk)
    content = {k: request.POST[k] for k in ("goals", "diet", "exercise") if request.POST.get(k, "").strip()}
    try:
        plan_adjustment_request(plan=plan, reason=request.POST.get("reason", ""), content=content,
                                expected_effect=request.POST.get("expected_effect", ""), acting_user=request_user(request))
        messages.success(request, _("Adjustment sent to the expert team for review."))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("chronic:health-plan", pk=client.pk)


@login_required
def adjustments_page(request: HttpRequest) -> HttpResponse:
    """The expert team's review queue."""
    user = _user(request)
    if not user_can(user, Cap.CONSULT):
        raise PermissionDenied(_("Only the expert team reviews plan changes."))
    pending = (PlanAdjustment.objects.filter(status=AdjustmentStatus.PENDING,
                                             plan__client__in=clients_visible_to(user))
               .select_related("plan__client", "requested_by").order_by("requested_at")[:200])
    return render(request, "chronic/adjustments.html", {"pending": pending})


@login_required
@require_POST
def adjustment_review_view(request: HttpRequest, pk: int) -> HttpResponse:
    adj = adjustment_for(_user(request), pk)
    try:
        plan_adjustment_review(adjustment=adj, decision=request.POST.get("decision", ""),
                               opinion=request.POST.get("opinion", ""), acting_user=request_user(request))
        messages.success(request, _("Decision recorded."))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("chronic:health-plan", pk=adj.plan.client_id)


@login_required
def adjustment_letter(request: HttpRequest, pk: int) -> HttpResponse:
    adj = adjustment_for(_user(request), pk)
    if adj.next_plan is None:
        raise Http404(_("No notice: this request was not approved."))
    audit_record(actor=request.user, action="chronic.letter", obj=adj, client=adj.plan.client_id)
    response = HttpResponse(adjustment_letter_pdf(adj), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="plan-notice-{adj.pk}.pdf"'
    return response


# --- diet plans (nutritionist) ------------------------------------------------------------------
@login_required
def diet_home(request: HttpRequest) -> HttpResponse:
    """The nutritionist's home: clients waiting for a diet plan, and the latest plans."""
    user = _user(request)
    if not user_can(user, Cap.DIET_PLANS):
        raise PermissionDenied(_("Only a nutritionist writes diet plans."))
    waiting = list(clients_waiting_for_diet_plan(user)[:200])
    conditions = dict(MonitoringPlan.objects.filter(client__in=waiting, active=True).values_list("client_id", "condition"))
    rows = [{"client": c, "condition": conditions.get(c.pk, "")} for c in waiting]
    recent = DietPlan.objects.filter(client__in=clients_visible_to(user)).select_related("client", "nutritionist")[:50]
    return render(request, "chronic/diet_home.html", {"rows": rows, "recent": recent,
                                                      "conditions": Condition.choices})


@login_required
@require_POST
def diet_plan_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    client = client_for_monitoring(_user(request), pk)
    try:
        plan = diet_plan_create(client=client, condition=request.POST.get("condition", ""), acting_user=request_user(request))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("chronic:diet-home")
    messages.success(request, _("Diet plan drafted from the template."))
    return redirect("chronic:diet-plan", pk=plan.pk)


@login_required
def diet_plan_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    plan = DietPlan.objects.filter(pk=pk, client__in=clients_visible_to(user)).select_related(
        "client", "nutritionist").first()
    if plan is None or not user_can(user, Cap.VIEW_RESULTS):
        raise Http404(_("No such diet plan."))
    audit_record(actor=user, action="chronic.read", client=plan.client, detail={"what": "diet plan"})
    if request.GET.get("format") == "pdf":
        response = HttpResponse(diet_plan_pdf(plan), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="diet-plan-{plan.pk}.pdf"'
        return response
    return render(request, "chronic/diet_plan.html", {"plan": plan, "days": menu_days(plan)})


@login_required
@require_POST
def referral_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    client = client_for_monitoring(_user(request), pk, write=True)
    try:
        services.referral_create(client=client, acting_user=request_user(request),
                                 **{k: request.POST.get(k, "") for k in ("hospital", "department", "expert",
                                                                         "clinic_time", "reason")})
        messages.success(request, _("Referral recorded."))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("chronic:client", pk=client.pk)


@login_required
def screening_page(request: HttpRequest) -> HttpResponse:
    """Clients whose ASM-1 answers flag a chronic condition they are not monitored for (leads and experts)."""
    user = _user(request)
    if not can_screen(user):
        raise PermissionDenied(_("Only team leads and experts screen for the chronic programme."))
    candidates = screening_candidates(user)
    audit_read(actor=user, action="chronic.read", detail={"what": "screening candidates",
                                                          "clients": [c.client.pk for c in candidates][:200]})
    return render(request, "chronic/screening.html", {"candidates": candidates})


@login_required
@require_POST
def screening_enrol_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    if not can_screen(user):
        raise PermissionDenied(_("Only team leads and experts enrol screening candidates."))
    client = client_for_monitoring(user, pk, write=True)
    try:
        screening_candidate_enrol(client=client, condition=request.POST.get("condition", ""), acting_user=user)
        messages.success(request, _("%(name)s enrolled in the chronic programme.") % {"name": client.name})
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("chronic:screening")
