from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.core import nav
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can


def allowed(user: User, entry: nav.NavEntry) -> bool:
    return not entry.caps or any(user_can(user, Cap(cap)) for cap in entry.caps)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to their own work: their role's home page (core.nav.register_home), else the
    first navigation entry their role allows."""
    user: User = request.user  # type: ignore[assignment]
    candidates = nav.homes_for(user.roles) + [e.url_name for e in nav.entries() if allowed(user, e)]
    for url_name in candidates:
        try:
            return redirect(reverse(url_name))
        except NoReverseMatch:
            continue
    return render(request, "ops/home.html")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": _("Something went wrong on our side; it has been logged.")}, status=500)
    return render(request, "500.html", status=500)


@login_required
def alerts(request: HttpRequest) -> HttpResponse:
    """Operations alerts for the administrators: failed or stale backups, newest first."""
    if not user_can(request.user, Cap.MANAGE_STAFF):  # type: ignore[arg-type]
        raise PermissionDenied
    from careloop.ops.models import OpsAlert
    from careloop.ops.services import backup_age_seconds

    age = backup_age_seconds()
    return render(request, "ops/alerts.html", {
        "open": OpsAlert.objects.filter(resolved_at__isnull=True),
        "resolved": OpsAlert.objects.filter(resolved_at__isnull=False).select_related("resolved_by")[:20],
        "backup_age_hours": None if age is None else age / 3600,
    })


@login_required
@require_POST
def alert_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    from careloop.ops.models import OpsAlert
    from careloop.ops.services import ops_alert_resolve

    if not user_can(request.user, Cap.MANAGE_STAFF):  # type: ignore[arg-type]
        raise PermissionDenied
    ops_alert_resolve(alert=get_object_or_404(OpsAlert, pk=pk), acting_user=request.user)  # type: ignore[arg-type]
    return redirect("core:ops_alerts")
