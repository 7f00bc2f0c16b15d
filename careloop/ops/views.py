from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from careloop.core import nav
from careloop.org.permissions import user_can


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each person to where their work is: the first navigation entry their role allows."""
    for entry in nav.entries():
        if entry.cap is None or user_can(request.user, entry.cap):  # type: ignore[arg-type]
            try:
                return redirect(reverse(entry.url_name))
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
        from django.utils.translation import gettext as _

        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        from django.utils.translation import gettext as _

        return JsonResponse({"detail": _("Something went wrong on our side; it has been logged.")}, status=500)
    return render(request, "500.html", status=500)
