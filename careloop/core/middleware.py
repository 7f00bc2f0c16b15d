from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from careloop.core.context import RequestOrigin, reset_origin, set_origin
from careloop.lib import inputs


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
    return [ipaddress.ip_network(item, strict=False) for item in settings.TRUSTED_PROXIES]


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


def refuse_bad_input(request: HttpRequest) -> HttpResponse | None:
    """NUL characters anywhere in the query; whole numbers no database column can hold in the path, the
    query or a form body (issue 10, finding 7): a 4xx naming the parameter instead of an error deep inside."""
    from django.http import JsonResponse
    from django.utils.translation import gettext as _

    too_big = _("must be a whole number between %(lo)d and %(hi)d") % {"lo": inputs.INT64_MIN, "hi": inputs.INT64_MAX}
    for name, values in request.GET.lists():
        if any("\x00" in value for value in values) or "\x00" in name:
            return JsonResponse({name.replace("\x00", ""): [_("must not contain NUL characters")]}, status=400)
        if name not in inputs.TEXT_PARAMS and any(inputs.integer_out_of_range(value) for value in values):
            return JsonResponse({name: [too_big]}, status=400)
    if any(inputs.integer_out_of_range(part) for part in request.path.split("/")):
        return JsonResponse({"id": [too_big]}, status=404)
    if request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, values in request.POST.lists():
            if name not in inputs.TEXT_PARAMS and any(inputs.integer_out_of_range(value) for value in values):
                return JsonResponse({name: [too_big]}, status=400)
    return None


class RequestContextMiddleware:
    """Record where the request comes from so that audit rows can say so."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = refuse_bad_input(request)
        if refused is not None:
            return refused
        channel = "api" if request.path.startswith("/api/") else "web"
        token = set_origin(RequestOrigin(ip=client_ip(request), channel=channel))
        try:
            return self.get_response(request)
        finally:
            reset_origin(token)
