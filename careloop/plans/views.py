"""Pages of careloop.plans. Thin: parse input, call a service or selector, render."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.audit.services import audit_record
from careloop.clients.models import Enterprise
from careloop.clients.selectors import client_for
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import subtree_q
from careloop.plans import selectors, services
from careloop.plans.forms import (
    PERIOD_CHOICES,
    BookingForm,
    CancelForm,
    ConsultationForm,
    EnrolForm,
    FamilyDoctorForm,
    GroupEnrolForm,
    GroupUseForm,
    PlanForm,
    UseForm,
    service_rows,
)
from careloop.plans.models import BookingStatus, Enrolment, FamilyDoctor, GreenChannelBooking, Plan, Service


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _require(request: HttpRequest, cap: Cap) -> None:
    if not user_can(_user(request), cap):
        raise PermissionDenied(_("Your role does not allow this."))


def _errors_to(form: Form, exc: ValidationError) -> None:
    for field, msgs in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, msgs)


# --- catalogue ---------------------------------------------------------------------------------------


@login_required
def catalogue_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not (user_can(user, Cap.VIEW_CLIENTS) or user_can(user, Cap.MANAGE_PLANS)):
        raise PermissionDenied(_("Your role does not allow this."))
    picked = request.GET.get("enterprise", "")
    if picked.isdigit():
        return redirect("plans:enterprise", int(picked))
    return render(request, "plans/catalogue.html", {
        "catalogue": selectors.plans_catalogue(), "can_manage": user_can(user, Cap.MANAGE_PLANS),
        "can_sell": user_can(user, Cap.SELL_PLANS), "hospitals": selectors.partner_hospitals(),
        "groups": list(selectors.group_enrolments_visible_to(user)[:100]),
        "enterprises": list(Enterprise.objects.filter(subtree_q(user, "branch")).order_by("name")[:200]),
    })


@login_required
def plan_edit_view(request: HttpRequest, code: str = "") -> HttpResponse:
    """Add a plan or write its next version, with a preview of what a client gets before saving."""
    _require(request, Cap.MANAGE_PLANS)
    plan = get_object_or_404(Plan, code=code) if code else None
    version = services.current_version(plan) if plan else None
    initial_lines = {ps.service.code: {"quota": ps.quota, "period": ps.period, "per_group": ps.per_group}
                     for ps in version.services.select_related("service")} if version else {}
    initial = {"code": plan.code, "name": plan.name, "audience": plan.audience, "description": plan.description,
               "price": version.price if version else None, "archive_level": version.archive_level if version else 1,
               "newsletter_copy_price": version.newsletter_copy_price if version else 0,
               "active": plan.active} if plan else {"active": True, "archive_level": 1}
    posted = request.method == "POST"
    form = PlanForm(request.POST if posted else None, initial=initial)
    rows = service_rows(request.POST if posted else None, initial_lines)
    preview: list[dict[str, Any]] = []
    if posted and form.is_valid():
        data = form.cleaned_data
        lines = []
        for row in rows:
            if not row["included"]:
                continue
            quota = int(row["quota"]) if str(row["quota"]).isdigit() else None
            lines.append(services.ServiceLine(row["service"].code, quota, row["period"], row["per_group"]))
            preview.append({"name": row["service"].name, "quota": quota, "period": row["period"],
                            "per_group": row["per_group"]})
        if request.POST.get("action") == "save":
            try:
                saved = services.plan_version_create(
                    plan=plan, code=data["code"] or "", name=data["name"], audience=data["audience"],
                    description=data["description"], price=data["price"], archive_level=data["archive_level"],
                    newsletter_copy_price=data["newsletter_copy_price"] or Decimal(0), services=lines,
                    note=data["note"], active=data["active"], acting_user=_user(request))
            except ValidationError as exc:
                _errors_to(form, exc)
            else:
                messages.success(request, _("Saved %(plan)s version %(v)d; new enrolments use it, existing ones keep "
                                            "theirs.") % {"plan": saved.plan.name, "v": saved.number})
                return redirect("plans:catalogue")
    return render(request, "plans/plan_form.html", {
        "plan": plan, "version": version, "form": form, "rows": rows, "periods": PERIOD_CHOICES,
        "preview": preview if posted else None, "sections": selectors.archive_sections_up_to(int(
            form.cleaned_data.get("archive_level", 1) if posted and form.is_valid() else initial.get("archive_level", 1)
            or 1)),
    })


# --- a client's plans and entitlements --------------------------------------------------------------------


def _client_context(request: HttpRequest, client: Any, **forms: Any) -> dict[str, Any]:
    user = _user(request)
    today = timezone.localdate()
    return {
        "client": client, "today": today,
        "enrolments": list(selectors.enrolments_of(client)),
        "entitlements": selectors.entitlements_of(client, today),
        "depth": selectors.archive_depth(client, today),
        "enrol_form": forms.get("enrol_form") or EnrolForm(),
        "use_form": forms.get("use_form") or UseForm(),
        "cancel_form": CancelForm(),
        "doctor_form": forms.get("doctor_form") or FamilyDoctorForm(),
        "refusal": forms.get("refusal"),
        "can": {"sell": user_can(user, Cap.SELL_PLANS), "use": user_can(user, Cap.USE_ENTITLEMENTS),
                "assign": user_can(user, Cap.UPDATE_CLIENT), "results": user_can(user, Cap.VIEW_RESULTS)},
    }


@login_required
def client_plans_view(request: HttpRequest, client_id: int) -> HttpResponse:
    client = client_for(_user(request), client_id)
    audit_record(actor=request.user, action="plan.view", obj=client, client=client)
    return render(request, "plans/client.html", _client_context(request, client))


@login_required
@require_POST
def client_enrol_view(request: HttpRequest, client_id: int) -> HttpResponse:
    client = client_for(_user(request), client_id)
    form = EnrolForm(request.POST)
    if form.is_valid():
        try:
            e = services.enrolment_create(client=client, plan=form.cleaned_data["plan"],
                                          start_date=form.cleaned_data["start_date"], acting_user=_user(request))
        except ValidationError as exc:
            _errors_to(form, exc)
        else:
            messages.success(request, _("Enrolled in %(plan)s until %(end)s.") % {
                "plan": e.version.plan.name, "end": e.end_date.isoformat()})
            return redirect("plans:client", client.pk)
    return render(request, "plans/client.html", _client_context(request, client, enrol_form=form), status=400)


@login_required
@require_POST
def client_use_view(request: HttpRequest, client_id: int) -> HttpResponse:
    client = client_for(_user(request), client_id)
    form = UseForm(request.POST)
    if form.is_valid():
        try:
            services.entitlement_use(client=client, service=form.cleaned_data["service"].code,
                                     date=form.cleaned_data["date"], note=form.cleaned_data["note"], source="web",
                                     acting_user=_user(request))
        except services.EntitlementRefused as exc:
            return render(request, "plans/client.html",
                          _client_context(request, client, use_form=form, refusal=exc.message), status=409)
        except ValidationError as exc:
            _errors_to(form, exc)
        else:
            messages.success(request, _("Recorded: %(service)s.") % {"service": form.cleaned_data["service"].name})
            return redirect("plans:client", client.pk)
    return render(request, "plans/client.html", _client_context(request, client, use_form=form), status=400)


@login_required
@require_POST
def enrolment_action_view(request: HttpRequest, client_id: int, pk: int, action: str) -> HttpResponse:
    if action not in ("renew", "cancel"):
        raise Http404
    client = client_for(_user(request), client_id)
    enrolment = get_object_or_404(Enrolment, pk=pk, client=client)
    try:
        if action == "renew":
            renewed = services.enrolment_renew(enrolment=enrolment, acting_user=_user(request))
            messages.success(request, _("Renewed until %(end)s.") % {"end": renewed.end_date.isoformat()})
        else:
            form = CancelForm(request.POST)
            if not form.is_valid():
                raise ValidationError({f: [str(m) for m in msgs] for f, msgs in form.errors.items()})
            services.enrolment_cancel(enrolment=enrolment, reason=form.cleaned_data["reason"],
                                      refund=form.cleaned_data["refund"] or Decimal(0), acting_user=_user(request))
            messages.success(request, _("Enrolment cancelled."))
    except ValidationError as exc:
        for msgs in exc.message_dict.values():
            for m in msgs:
                messages.error(request, m)
    return redirect("plans:client", client.pk)


@login_required
@require_POST
def family_doctor_view(request: HttpRequest, client_id: int) -> HttpResponse:
    client = client_for(_user(request), client_id)
    form = FamilyDoctorForm(request.POST)
    if form.is_valid():
        doctor: FamilyDoctor = form.cleaned_data["doctor"]
        try:
            services.family_doctor_choose(client=client, doctor=doctor.user, reason=form.cleaned_data["reason"],
                                          acting_user=_user(request))
        except ValidationError as exc:
            _errors_to(form, exc)
        else:
            messages.success(request, _("Family doctor: %(name)s.") % {"name": doctor.user})
            return redirect("plans:client", client.pk)
    return render(request, "plans/client.html", _client_context(request, client, doctor_form=form), status=400)


# --- family-doctor consultations and the green channel ------------------------------------------------


def _doctor_may_write(user: User, client: Any) -> bool:
    return (user_can(user, Cap.CONSULT) and client.family_doctor_id == user.pk
            and FamilyDoctor.objects.filter(user=user, active=True).exists())


@login_required
def consultations_view(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = client_for(user, client_id, cap=Cap.VIEW_RESULTS)
    form = ConsultationForm(request.POST or None, initial={"at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})
    refusal = ""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.consultation_record(client=client, at=data["at"], complaint=data["complaint"],
                                             advice=data["advice"], referral=data["referral"],
                                             channel=data["channel"], acting_user=user)
            except services.EntitlementRefused as exc:
                refusal, status = exc.message, 409
            except ValidationError as exc:
                _errors_to(form, exc)
            else:
                messages.success(request, _("Consultation recorded."))
                return redirect("plans:consultations", client.pk)
    else:
        audit_record(actor=user, action="plan.consultations_view", obj=client, client=client)
    return render(request, "plans/consultations.html", {
        "client": client, "form": form, "refusal": refusal, "may_write": _doctor_may_write(user, client),
        "consultations": client.consultations.select_related("doctor")[:200],
        "entitlements": [r for r in selectors.entitlements_of(client, timezone.localdate())
                         if r.service.startswith("family_doctor")],
    }, status=status)


@login_required
def green_channel_view(request: HttpRequest, client_id: int) -> HttpResponse:
    user = _user(request)
    client = client_for(user, client_id, cap=Cap.VIEW_RESULTS)
    form = BookingForm(request.POST or None)
    refusal = ""
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.green_channel_book(client=client, kind=data["kind"], department=data["department"],
                                            wanted_at=data["wanted_at"], note=data["note"], acting_user=user)
            except services.EntitlementRefused as exc:
                refusal, status = exc.message, 409
            except ValidationError as exc:
                _errors_to(form, exc)
            else:
                messages.success(request, _("Booking requested."))
                return redirect("plans:green_channel", client.pk)
    else:
        audit_record(actor=user, action="plan.green_channel_view", obj=client, client=client)
    return render(request, "plans/green_channel.html", {
        "client": client, "form": form, "refusal": refusal, "may_write": _doctor_may_write(user, client),
        "bookings": client.green_channel_bookings.select_related("hospital", "department", "booked_by")[:200],
        "can_move": user_can(user, Cap.USE_ENTITLEMENTS), "hospitals": selectors.partner_hospitals(
            branch=client.branch, green_channel_only=True),
    }, status=status)


@login_required
@require_POST
def green_channel_status_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    booking = get_object_or_404(GreenChannelBooking, pk=pk)
    client_for(user, booking.client_id, cap=Cap.VIEW_RESULTS)
    new = request.POST.get("status", "")
    try:
        services.green_channel_set_status(booking=booking, status=new, acting_user=user)
        messages.success(request, _("Status: %(s)s.") % {"s": BookingStatus(new).label})
    except ValidationError as exc:
        for msgs in exc.message_dict.values():
            for m in msgs:
                messages.error(request, m)
    return redirect("plans:green_channel", booking.client_id)


# --- enterprises ------------------------------------------------------------------------------------------


@login_required
def enterprise_plans_view(request: HttpRequest, enterprise_id: int) -> HttpResponse:
    user = _user(request)
    _require(request, Cap.VIEW_CLIENTS)
    enterprise = get_object_or_404(Enterprise.objects.filter(subtree_q(user, "branch")), pk=enterprise_id)
    members = [m.client for m in enterprise.memberships.filter(left_on__isnull=True).select_related("client")]
    form = GroupEnrolForm(request.POST or None)
    status = 200
    if request.method == "POST":
        _require(request, Cap.SELL_PLANS)
        status = 400
        chosen = {int(x) for x in request.POST.getlist("members") if x.isdigit()}
        if form.is_valid():
            try:
                with transaction.atomic():
                    group = services.group_enrolment_create(
                        enterprise=enterprise, plan=form.cleaned_data["plan"],
                        start_date=form.cleaned_data["start_date"], members=[c for c in members if c.pk in chosen],
                        lectures_per_year=form.cleaned_data["lectures_per_year"],
                        newsletter_copies=form.cleaned_data["newsletter_copies"], acting_user=user)
            except ValidationError as exc:
                _errors_to(form, exc)
            else:
                messages.success(request, _("%(e)s enrolled: %(n)d members, %(amount)s yuan.") % {
                    "e": enterprise.name, "n": len(chosen), "amount": group.amount})
                return redirect("plans:enterprise", enterprise.pk)
    groups = list(selectors.group_enrolments_visible_to(user).filter(enterprise=enterprise))
    return render(request, "plans/enterprise.html", {
        "enterprise": enterprise, "members": members, "form": form, "groups": groups,
        "group_rows": [(g, selectors.group_entitlements(g, timezone.localdate())) for g in groups],
        "use_form": GroupUseForm(), "can_sell": user_can(user, Cap.SELL_PLANS),
        "can_use": user_can(user, Cap.USE_ENTITLEMENTS),
    }, status=status)


@login_required
@require_POST
def enterprise_use_view(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    group = get_object_or_404(selectors.group_enrolments_visible_to(user), pk=pk)
    form = GroupUseForm(request.POST)
    if form.is_valid():
        try:
            services.group_entitlement_use(group=group, service=form.cleaned_data["service"],
                                           date=form.cleaned_data["date"], copies=form.cleaned_data["copies"],
                                           acting_user=user)
            messages.success(request, _("Recorded."))
        except services.EntitlementRefused as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            for msgs in exc.message_dict.values():
                for m in msgs:
                    messages.error(request, m)
    else:
        for field_errors in form.errors.values():
            for error in field_errors:
                messages.error(request, str(error))
    return redirect("plans:enterprise", group.enterprise_id)


__all__ = ["Service"]
