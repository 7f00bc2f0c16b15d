"""Pages of careloop.chronic. Thin: parse input, call a service or selector, render."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.audit.services import audit_record
from careloop.chronic import selectors, services
from careloop.chronic.charts import trend_chart
from careloop.chronic.forms import LogForm, PlanForm
from careloop.chronic.models import ConditionTemplate
from careloop.chronic.permissions import can_write, client_for_monitoring
from careloop.clients.selectors import clients_visible_to
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    """Clients with an active monitoring plan, those with alarming or out-of-target readings first."""
    user = _user(request)
    if not user_can(user, Cap.VIEW_RESULTS):
        raise PermissionDenied(_("Your role does not allow this."))
    since = timezone.now() - timezone.timedelta(days=92)
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
                                            acting_user=request.user)
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
            messages.error(request, f"{label}: {'; '.join(errs)}")
        return redirect("chronic:client", pk=client.pk)
    try:
        result = services.monitoring_log_create(
            client=client, at=form.cleaned_data["at"], readings=form.readings(), diet=form.cleaned_data["diet"],
            exercise=form.cleaned_data["exercise"], medication=form.cleaned_data["medication"], acting_user=request.user)
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
