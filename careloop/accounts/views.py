from __future__ import annotations

import base64
import io

import pyotp
import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from careloop.accounts import services
from careloop.accounts.forms import LoginForm, TotpForm
from careloop.core.api import StrictCharField
from careloop.core.middleware import client_ip
from careloop.org.models import User

PENDING = "careloop_pending_user"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        outcome = services.login_check(username=form.cleaned_data["username"], password=form.cleaned_data["password"],
                                       ip=client_ip(request))
        if outcome.user is None:
            error = outcome.message
        elif outcome.needs_totp:
            request.session[PENDING] = outcome.user.pk
            return redirect(f"/accounts/login/code/?next={_next_url(request)}")
        else:
            login(request, outcome.user)
            services.login_succeeded(user=outcome.user, ip=client_ip(request))
            return redirect(_next_url(request))
    return render(request, "accounts/login.html", {"form": form, "error": error, "next": _next_url(request)},
                  status=400 if error else 200)


def login_code_view(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING)
    user = User.objects.filter(pk=pending, is_active=True).first() if isinstance(pending, int) else None
    if user is None:
        return redirect("accounts:login")
    form = TotpForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        if services.login_second_step(user=user, code=form.cleaned_data["code"], ip=client_ip(request)):
            del request.session[PENDING]
            login(request, user)
            services.login_succeeded(user=user, ip=client_ip(request))
            return redirect(_next_url(request))
        error = _("The code is wrong or has expired.")
    return render(request, "accounts/login_code.html", {"form": form, "error": error, "next": _next_url(request)})


def admin_login_view(request: HttpRequest, extra_context: object = None) -> HttpResponse:
    """The Django admin's sign-in door: there is none of its own. Staff sign in through the application's
    sign-in (lock-out, throttling, two-step code, audit) and come back; signed-in non-staff are refused."""
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(_next_url(request) if request.GET.get("next") else "admin:index")
        raise PermissionDenied
    target = _next_url(request) if request.GET.get("next") else "/admin/"
    return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@login_required
def totp_setup_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    secret = request.session.get("careloop_totp_secret") or services.totp_new_secret()
    request.session["careloop_totp_secret"] = secret
    form = TotpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.totp_enable(user=user, secret=secret, code=form.cleaned_data["code"])
        except services.ValidationError as exc:
            form.add_error("code", exc.message_dict["code"][0])
        else:
            del request.session["careloop_totp_secret"]
            messages.success(request, _("Two-step sign-in is on."))
            return redirect("core:home")
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name="careloop")
    buffer = io.BytesIO()
    qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage).save(buffer)
    qr = "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
    return render(request, "accounts/totp_setup.html", {"form": form, "secret": secret, "qr": qr,
                                                          "enabled": user.totp_enabled})


class TokenRequest(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=4096, trim_whitespace=False)
    code = StrictCharField(max_length=8, required=False, allow_blank=True)


TokenResponse = inline_serializer("TokenResponse", {"token": serializers.CharField()})


@extend_schema(request=TokenRequest, responses={200: TokenResponse}, auth=[], tags=["auth"])
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
def token_view(request: Request) -> Response:
    """Exchange a username and password for an API token (accounts with two-step sign-in also send `code`)."""
    body = TokenRequest(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    ip = client_ip(request._request)
    outcome = services.login_check(username=data["username"], password=data["password"], ip=ip)
    if outcome.user is None:
        code = status.HTTP_429_TOO_MANY_REQUESTS if outcome.error == "throttled" else status.HTTP_401_UNAUTHORIZED
        return Response({"detail": outcome.message, "code": outcome.error}, status=code)
    if outcome.needs_totp and not services.login_second_step(user=outcome.user, code=data.get("code") or "", ip=ip):
        return Response({"code": [_("A valid two-step code is required for this account.")]},
                        status=status.HTTP_401_UNAUTHORIZED)
    services.login_succeeded(user=outcome.user, ip=ip)
    Token.objects.filter(user=outcome.user).delete()
    token = Token.objects.create(user=outcome.user)
    return Response({"token": token.key})
