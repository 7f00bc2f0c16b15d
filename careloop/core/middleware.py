from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from careloop.core.context import RequestOrigin, reset_origin, set_origin


class SecurityHeadersMiddleware:
    """Content-Security-Policy (Django 5.2 has none built in) and a few more headers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/v1/docs/"):
            # Swagger UI (served locally by the sidecar) needs its own inline bootstrap.
            response.setdefault("Content-Security-Policy",
                                settings.CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
                                .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"))
        else:
            response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.user.is_authenticated if hasattr(request, "user") else False:
            response.setdefault("Cache-Control", "no-store")
        return response


def client_ip(request: HttpRequest) -> str:
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") if getattr(settings, "TRUST_X_FORWARDED_FOR", False) else ""
    if forwarded:
        return forwarded.split(",")[0].strip()[:64]
    return (request.META.get("REMOTE_ADDR") or "")[:64]


class RequestContextMiddleware:
    """Record where the request comes from so that audit rows can say so."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name, values in request.GET.lists():
            if any("\x00" in value for value in values) or "\x00" in name:
                from django.http import JsonResponse
                from django.utils.translation import gettext as _

                return JsonResponse({name.replace("\x00", ""): [_("must not contain NUL characters")]}, status=400)
        channel = "api" if request.path.startswith("/api/") else "web"
        token = set_origin(RequestOrigin(ip=client_ip(request), channel=channel))
        try:
            return self.get_response(request)
        finally:
            reset_origin(token)
