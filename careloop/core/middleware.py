from __future__ import annotations

import ipaddress
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


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in _proxy_networks())


def _proxy_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(item, strict=False) for item in getattr(settings, "TRUSTED_PROXIES", [])]


def client_ip(request: HttpRequest) -> str:
    """The caller's address. ``X-Forwarded-For`` counts only when the peer is a configured proxy
    (``CARELOOP_TRUSTED_PROXIES``); then the right-most address that is not itself a trusted proxy is the
    client (addresses further left are whatever the client chose to send)."""
    remote = (request.META.get("REMOTE_ADDR") or "").strip()
    if not _trusted(remote):
        return remote[:64]
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))[:64]
            except ValueError:
                return remote[:64]
    return (hops[0] if hops else remote)[:64]


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
