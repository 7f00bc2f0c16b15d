"""Client and enterprise pages. Thin: parse with a form, call a selector or a service, render."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.audit.services import audit_read, audit_record
from careloop.clients import actions as client_actions
from careloop.clients import sections, services
from careloop.clients.forms import (
    AssignForm,
    ClientForm,
    ClientSearchForm,
    ConsentForm,
    EnterpriseForm,
    EnterpriseMemberForm,
    RevealForm,
    StatusForm,
    apply_service_errors,
)
from careloop.clients.models import Channel, Client, Enterprise, EnterpriseMember
from careloop.clients.pages import (
    CONTACT_FIELD_LABELS,
    client_page,
    client_timeline,
    contact_rows,
    timeline_kinds_for,
)
from careloop.clients.selectors import client_for, client_search, clients_visible_to
from careloop.lib.identity import mask_address, mask_mobile
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import subtree_q

PAGE_SIZE = 25
_MOBILE_LIKE = re.compile(r"^(\+86|0086)?1\d{10}$")
_ID_LIKE = re.compile(r"^\d{17}[\dXx]$")


def _require(user: Any, cap: Cap) -> None:
    if not user_can(user, cap):
        raise PermissionDenied(_("Your role does not allow this."))


def search_terms(text: str) -> dict[str, str]:
    """One search box: a full mobile number or ID number searches exactly, anything else is a name prefix."""
    raw = (text or "").strip()
    compact = re.sub(r"[\s\-]", "", raw)
    if _MOBILE_LIKE.match(compact):
        return {"phone": compact}
    if _ID_LIKE.match(compact):
        return {"id_number": compact}
    return {"q": raw} if raw else {}


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


# --- Client list ------------------------------------------------------------------------------

@login_required
def client_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    _require(user, Cap.VIEW_CLIENTS)
    form = ClientSearchForm(request.GET or None, user=user)
    form.is_valid()
    cleaned = getattr(form, "cleaned_data", {})
    terms = search_terms(cleaned.get("q", ""))
    branch = cleaned.get("branch")
    qs = client_search(user, status=cleaned.get("status", ""), tier=cleaned.get("tier", ""),
                       branch=branch.pk if branch else None, **terms)
    page = Paginator(qs.select_related("branch", "health_manager"), PAGE_SIZE).get_page(request.GET.get("page"))
    audit_read(actor=user, action="client.list", detail={
        "filters": {k: ("***" if k in ("phone", "id_number", "q") else str(v)) for k, v in request.GET.items()},
        "count": page.paginator.count})
    context = {
        "form": form, "page": page, "query": _query_without_page(request),
        "digits_only": bool(terms.get("q", "").isdigit()),
        "can_create": user_can(user, Cap.CREATE_CLIENT),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "clients/_results.html", context)
    return render(request, "clients/list.html", context)


# --- Client page ------------------------------------------------------------------------------

def _detail_context(request: HttpRequest, client: Client, **forms: Any) -> dict[str, Any]:
    user: User = request.user  # type: ignore[assignment]
    kind = request.GET.get("kind", "")
    can = {
        "contact": user_can(user, Cap.VIEW_CONTACT),
        "reveal": user_can(user, Cap.REVEAL_CONTACT),
        "results": user_can(user, Cap.VIEW_RESULTS),
        "update": user_can(user, Cap.UPDATE_CLIENT),
        "update_contact": user_can(user, Cap.UPDATE_CONTACT),
        "consent": user_can(user, Cap.MANAGE_CONSENT),
        "work": user_can(user, Cap.WORK_FOLLOWUPS),
    }
    return {
        "client": client,
        "age": client.age_on(timezone.localdate()),
        "channels": [str(Channel(c).label) for c in client.preferred_channels if c in Channel.values],
        "can": can,
        "contact_rows": contact_rows(client),
        "page_data": client_page(client, user),
        "timeline": client_timeline(client, user, kind),
        "kinds": timeline_kinds_for(user),
        "kind": kind,
        "reveal_form": RevealForm(),
        "status_form": forms.get("status_form") or StatusForm(initial={"status": client.status}),
        "assign_form": forms.get("assign_form") or AssignForm(user=user),
        "consent_form": forms.get("consent_form") or ConsentForm(),
        "archive_coverage": sections.coverage_for(client, user),
    }


def _render_detail(request: HttpRequest, client: Client, status: int = 200, **forms: Any) -> HttpResponse:
    # Every page view of a client's record is audited (SEC-2), in the request's own transaction.
    audit_record(actor=request.user, action="client.view", obj=client, client=client)
    context = _detail_context(request, client, **forms)
    context["client_actions"] = client_actions.actions_for(client, request.user)
    return render(request, "clients/detail.html", context, status=status)


@login_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = client_for(user, pk)
    if request.htmx and request.GET.get("part") == "timeline":  # type: ignore[attr-defined]
        audit_record(actor=user, action="client.view", obj=client, client=client, detail={"part": "timeline"})
        kind = request.GET.get("kind", "")
        return render(request, "clients/_timeline.html", {
            "client": client, "timeline": client_timeline(client, user, kind), "kinds": timeline_kinds_for(user),
            "kind": kind, "can": {"results": user_can(user, Cap.VIEW_RESULTS)},
        })
    return _render_detail(request, client)


@login_required
@require_POST
def client_reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show one contact field in full: the right, a reason, an audit row (SEC-3)."""
    user: User = request.user  # type: ignore[assignment]
    client = client_for(user, pk)
    form = RevealForm(request.POST)
    if not form.is_valid():
        return render(request, "clients/_reveal_error.html", {"form": form}, status=400)
    field = form.cleaned_data["field"]
    # The service writes a `denied` audit row and raises PermissionDenied for roles without the right.
    value = services.client_reveal_contact(acting_user=user, client=client, field=field,
                                           reason=form.cleaned_data["reason"])
    context = {"client": client, "field": field, "value": value, "label": _field_label(field)}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "clients/_revealed.html", context)
    return render(request, "clients/revealed.html", context)


def _field_label(field: str) -> Any:
    if field in CONTACT_FIELD_LABELS:
        return CONTACT_FIELD_LABELS[field]
    return getattr(Client._meta.get_field(field), "verbose_name", field)


@login_required
@require_POST
def client_status(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = client_for(user, pk, cap=Cap.UPDATE_CLIENT)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.client_change_status(acting_user=user, client=client, status=form.cleaned_data["status"],
                                          reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Status saved."))
            return redirect("clients:detail", pk=client.pk)
    return _render_detail(request, client, status=400, status_form=form)


@login_required
@require_POST
def client_assign(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = client_for(user, pk, cap=Cap.UPDATE_CLIENT)
    form = AssignForm(request.POST, user=user)
    if form.is_valid():
        try:
            services.client_assign(acting_user=user, client=client, kind=form.cleaned_data["kind"],
                                   staff=form.cleaned_data["staff"], reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Assignment saved."))
            if not clients_visible_to(user).filter(pk=client.pk).exists():
                return redirect("clients:list")  # handed over outside the user's own work
            return redirect("clients:detail", pk=client.pk)
    return _render_detail(request, client, status=400, assign_form=form)


@login_required
@require_POST
def client_consent(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = client_for(user, pk, cap=Cap.MANAGE_CONSENT)
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            services.consent_record(acting_user=user, client=client, purpose=form.cleaned_data["purpose"],
                                    granted=form.cleaned_data["granted"], method=form.cleaned_data["method"],
                                    version=form.cleaned_data["version"], note=form.cleaned_data["note"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("clients:detail", pk=client.pk)
    return _render_detail(request, client, status=400, consent_form=form)


# --- Create and edit --------------------------------------------------------------------------

def _duplicates_context(user: User, exc: services.DuplicateClientError) -> dict[str, Any]:
    """Matches the user may open get a link; the others are only counted (they are out of scope)."""
    ids = [c.pk for c in exc.matches]  # the service keeps only the matches the user may open
    visible = list(clients_visible_to(user).filter(pk__in=ids).select_related("branch"))
    return {"duplicates": visible, "hidden_duplicates": len(exc.elsewhere), "elsewhere": exc.elsewhere,
            "duplicate_hard": exc.hard, "duplicate_message": exc.messages[0]}


@login_required
def client_create(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    _require(user, Cap.CREATE_CLIENT)
    form = ClientForm(request.POST or None, user=user)
    context: dict[str, Any] = {"form": form, "editing": False}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                client = services.client_create(
                    acting_user=user, data=form.service_data(),
                    confirm_not_duplicate=form.cleaned_data.get("confirm_not_duplicate", False),
                )
            except services.DuplicateClientError as exc:
                context.update(_duplicates_context(user, exc))
                status = 409
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, _("Client created."))
                return redirect("clients:detail", pk=client.pk)
    return render(request, "clients/form.html", context, status=status)


def _edit_initial(client: Client) -> dict[str, Any]:
    return {
        "name": client.name, "sex": client.sex, "birth_date": client.birth_date,
        "is_vip": client.is_vip, "branch": client.branch, "notes": client.notes, "email": client.email,
        "emergency_contact_name": client.emergency_contact_name, "preferred_channels": client.preferred_channels,
        "contact_hours": client.contact_hours,
    }


@login_required
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    client = client_for(user, pk)
    profile, contact = user_can(user, Cap.UPDATE_CLIENT), user_can(user, Cap.UPDATE_CONTACT)
    if not (profile or contact):
        raise PermissionDenied(_("Your role does not allow this."))
    initial = _edit_initial(client)
    form = ClientForm(request.POST or None, user=user, editing=True, profile=profile, contact=contact,
                      initial=initial)
    context: dict[str, Any] = {"form": form, "editing": True, "client": client,
                               "tier_action": client_actions.action_for("tier", client, user)}
    if request.method != "POST":
        audit_record(actor=user, action="client.view", obj=client, client=client, detail={"page": "edit"})
        return render(request, "clients/form.html", context)
    if form.is_valid():
        try:
            services.client_update(acting_user=user, client=client, data=form.service_data(initial))
        except services.DuplicateClientError as exc:
            context.update(_duplicates_context(user, exc))
            return render(request, "clients/form.html", context, status=409)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect("clients:detail", pk=client.pk)
    return render(request, "clients/form.html", context, status=400)


# --- Enterprises ------------------------------------------------------------------------------

def enterprise_for(user: User, pk: int) -> Enterprise:
    _require(user, Cap.VIEW_CLIENTS)
    enterprise = Enterprise.objects.filter(subtree_q(user), pk=pk).select_related("branch").first()
    if enterprise is None:
        raise Http404(_("No such enterprise."))
    return enterprise


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    _require(user, Cap.VIEW_CLIENTS)
    qs = (Enterprise.objects.filter(subtree_q(user)).select_related("branch")
          .annotate(member_count=Count("memberships")).order_by("name", "pk"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "clients/enterprise_list.html",
                  {"page": page, "can_create": user_can(user, Cap.CREATE_CLIENT), "query": ""})


def _enterprise_detail(request: HttpRequest, enterprise: Enterprise, form: EnterpriseMemberForm | None = None,
                       status: int = 200) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    members = list(EnterpriseMember.objects.filter(enterprise=enterprise, client__in=clients_visible_to(user))
                   .select_related("client").order_by("client__name", "pk"))
    total = EnterpriseMember.objects.filter(enterprise=enterprise).count()
    return render(request, "clients/enterprise_detail.html", {
        "enterprise": enterprise, "members": members,
        "contact_phone_masked": mask_mobile(enterprise.contact_phone), "address_masked": mask_address(enterprise.address), "hidden_members": total - len(members),
        "can_add": user_can(user, Cap.UPDATE_CLIENT), "form": form or EnterpriseMemberForm(),
    }, status=status)


@login_required
def enterprise_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _enterprise_detail(request, enterprise_for(request.user, pk))  # type: ignore[arg-type]


@login_required
def enterprise_create(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    _require(user, Cap.CREATE_CLIENT)
    form = EnterpriseForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.enterprise_create(acting_user=user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Enterprise created."))
            return redirect("clients:enterprise_detail", pk=enterprise.pk)
    return render(request, "clients/enterprise_form.html", {"form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def enterprise_add_member(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    enterprise = enterprise_for(user, pk)
    _require(user, Cap.UPDATE_CLIENT)
    form = EnterpriseMemberForm(request.POST)
    if form.is_valid():
        try:
            client = client_for(user, form.cleaned_data["client"])
        except Http404:
            form.add_error("client", _("Client number: no such client in your part of the organisation"))
        else:
            services.enterprise_add_member(
                acting_user=user, enterprise=enterprise, client=client,
                employee_no=form.cleaned_data["employee_no"], department=form.cleaned_data["department"],
                joined_on=form.cleaned_data["joined_on"],
            )
            messages.success(request, _("Member added."))
            return redirect("clients:enterprise_detail", pk=enterprise.pk)
    return _enterprise_detail(request, enterprise, form, status=400)

