"""The auditor's screen: list and filter the audit trail, check the chain."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from careloop.audit import actions
from careloop.audit.models import AuditEvent
from careloop.audit.services import audit_seal
from careloop.audit.verify import verify_chain
from careloop.org.models import Role
from careloop.org.permissions import Cap, user_can

PAGE_SIZE = 50


class DateInput(forms.DateInput):
    input_type = "date"


class AuditFilterForm(forms.Form):
    client = forms.IntegerField(label=gettext_lazy("Client number"), required=False, min_value=1)
    actor = forms.CharField(label=gettext_lazy("Username"), required=False, max_length=150)
    action = forms.CharField(label=gettext_lazy("action"), required=False, max_length=60,
                             help_text=gettext_lazy("Exact, or the start of it, e.g. client."))
    date_from = forms.DateField(label=gettext_lazy("From date"), required=False, widget=DateInput(),
                                validators=[MinValueValidator(dt.date(1900, 1, 1)), MaxValueValidator(dt.date(2100, 12, 31))])
    date_to = forms.DateField(label=gettext_lazy("To date"), required=False, widget=DateInput(),
                              validators=[MinValueValidator(dt.date(1900, 1, 1)), MaxValueValidator(dt.date(2100, 12, 31))])
    result = forms.ChoiceField(label=gettext_lazy("result"), required=False,
                               choices=[("", gettext_lazy("All")), ("ok", gettext_lazy("succeeded")),
                                        ("denied", gettext_lazy("denied")), ("locked", gettext_lazy("locked"))])


def _require_auditor(user: Any) -> None:
    if not user_can(user, Cap.VIEW_AUDIT):
        raise PermissionDenied(_("Only auditors may see the audit trail."))


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_events_filtered(data: dict[str, Any]) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all().order_by("-append_id")
    if data.get("client"):
        qs = qs.filter(client_id=data["client"])
    if data.get("actor"):
        qs = qs.filter(actor_name=data["actor"].strip())
    if data.get("action"):
        action = data["action"].strip()
        qs = qs.filter(action__startswith=action) if action.endswith(".") else qs.filter(action=action)
    if data.get("date_from"):
        qs = qs.filter(at__gte=_day_start(data["date_from"]))
    if data.get("date_to"):
        qs = qs.filter(at__lt=_day_start(data["date_to"] + dt.timedelta(days=1)))
    if data.get("result"):
        qs = qs.filter(result=data["result"])
    return qs


def _object_label(object_type: str) -> str:
    """``clients.client`` → the model's verbose name (客户); anything else as it is."""
    if not object_type:
        return ""
    try:
        verbose = str(apps.get_model(object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        verbose = object_type
    return actions.object_label(object_type, verbose)


def _role_labels(codes: str) -> str:
    return "、".join(str(Role(c).label) if c in Role.values else c for c in codes.split(",") if c)


@login_required
def audit_list(request: HttpRequest) -> HttpResponse:
    _require_auditor(request.user)
    form = AuditFilterForm(request.GET or None)
    valid = form.is_valid() or not form.is_bound
    qs = audit_events_filtered(getattr(form, "cleaned_data", {}))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page.object_list:
        event.role_labels = _role_labels(event.roles)  # type: ignore[attr-defined]
        event.action_label = actions.label(event.action)  # type: ignore[attr-defined]
        event.result_label = actions.result_label(event.result)  # type: ignore[attr-defined]
        event.channel_label = actions.channel_label(event.channel)  # type: ignore[attr-defined]
        event.object_label = _object_label(event.object_type)  # type: ignore[attr-defined]
    params = request.GET.copy()
    params.pop("page", None)
    context = {"form": form, "page": page, "query": params.urlencode()}
    status = 200 if valid else 400
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "audit/_results.html", context, status=status)
    return render(request, "audit/list.html", context, status=status)


@login_required
@require_POST
def audit_verify(request: HttpRequest) -> HttpResponse:
    """Check the whole chain now; the stored checkpoint is left as it is (that is the CLI's job)."""
    _require_auditor(request.user)
    audit_seal()  # chain what has committed, so the answer is about now
    result = verify_chain(update_checkpoint=False)
    template = "audit/_verify.html" if request.htmx else "audit/verify.html"  # type: ignore[attr-defined]
    return render(request, template, {"result": result}, status=200 if result.ok else 409)
