"""Signing in: password check with lock-out, per-address throttling, optional TOTP (SEC-5)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyotp
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.accounts.models import LoginAttempt
from careloop.audit.services import audit_record
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    error: str = ""  # "", "throttled", "locked", "invalid", "inactive"
    message: str = ""
    needs_totp: bool = False


def _window_start(now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)


# Real failures: a wrong password or a wrong two-step code. The system's own refusals ("throttled",
# "locked") are recorded but never counted, so an address is free again once its failures age out.
REAL_FAILURES = ("invalid", "totp")


def ip_throttled(ip: str, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    failures = LoginAttempt.objects.filter(ip=ip, success=False, reason__in=REAL_FAILURES,
                                           at__gte=_window_start(now)).count()
    return failures >= settings.LOGIN_IP_FAILURE_LIMIT


@transaction.atomic
def _refused(*, username: str, ip: str, now: dt.datetime, reason: str, user: User | None) -> None:
    LoginAttempt.objects.create(username=username, ip=ip, at=now, success=False, reason=reason)
    audit_record(actor=None, action="auth.login", obj=user, result="denied",
                 detail={"username": username, "reason": reason})


def login_check(*, username: str, password: str, ip: str) -> LoginOutcome:
    """Check a username and password. Failures count towards the account lock unless the address is throttled."""
    now = timezone.now()
    username = (username or "").strip()[:150]
    if ip_throttled(ip, now):
        _refused(username=username, ip=ip, now=now, reason="throttled", user=None)
        return LoginOutcome(None, "throttled", _("Too many failed sign-ins from your address. Try again in %(m)d minutes.")
                            % {"m": settings.LOGIN_FAILURE_WINDOW_MINUTES})
    user = User.objects.filter(username=username).first()
    if user is not None and user.locked_until and user.locked_until > now:
        _refused(username=username, ip=ip, now=now, reason="locked", user=user)
        local = timezone.localtime(user.locked_until)
        return LoginOutcome(None, "locked", _("This account is locked after repeated failures until %(t)s. An administrator can unlock it.")
                            % {"t": local.strftime("%H:%M")})
    authenticated = authenticate(username=username, password=password) if user is not None else None
    if authenticated is None:
        with transaction.atomic():
            LoginAttempt.objects.create(username=username, ip=ip, at=now, success=False, reason="invalid")
            if user is not None:
                since = max(_window_start(now), user.failures_counted_from or _window_start(now))
                failures = LoginAttempt.objects.filter(username=username, success=False, reason__in=REAL_FAILURES,
                                                       at__gte=since).count()
                locked = failures >= settings.LOGIN_FAILURE_LIMIT
                if locked:
                    user.locked_until = now + dt.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
                    user.failures_counted_from = now
                    user.save(update_fields=["locked_until", "failures_counted_from"])
                audit_record(actor=None, action="auth.login", obj=user, result="locked" if locked else "denied",
                             detail={"username": username, "reason": "invalid"})
            else:
                audit_record(actor=None, action="auth.login", result="denied",
                             detail={"username": username, "reason": "unknown"})
        if user is not None and not user.is_active:
            return LoginOutcome(None, "invalid", _("Wrong username or password."))
        return LoginOutcome(None, "invalid", _("Wrong username or password."))
    return LoginOutcome(authenticated, needs_totp=authenticated.totp_enabled)  # type: ignore[arg-type]


@transaction.atomic
def login_succeeded(*, user: User, ip: str) -> None:
    now = timezone.now()
    LoginAttempt.objects.create(username=user.username, ip=ip, at=now, success=True)
    user.failures_counted_from = now
    user.last_login = now
    user.save(update_fields=["failures_counted_from", "last_login"])
    audit_record(actor=user, action="auth.login", obj=user)


def totp_verify(user: User, code: str) -> bool:
    if not user.totp_secret:
        return False
    return pyotp.TOTP(user.totp_secret).verify((code or "").strip(), valid_window=1)


def login_second_step(*, user: User, code: str, ip: str) -> bool:
    """The two-step code after a good password: a wrong code is a real failure (audited, counted towards
    the account lock and the address throttle); a locked account or a throttled address is refused."""
    now = timezone.now()
    user.refresh_from_db(fields=["locked_until", "is_active"])
    if ip_throttled(ip, now):
        _refused(username=user.username, ip=ip, now=now, reason="throttled", user=user)
        return False
    if not user.is_active or (user.locked_until and user.locked_until > now):
        _refused(username=user.username, ip=ip, now=now, reason="locked", user=user)
        return False
    if totp_verify(user, code):
        return True
    with transaction.atomic():
        LoginAttempt.objects.create(username=user.username, ip=ip, at=now, success=False, reason="totp")
        since = max(_window_start(now), user.failures_counted_from or _window_start(now))
        failures = LoginAttempt.objects.filter(username=user.username, success=False, reason__in=REAL_FAILURES,
                                               at__gte=since).count()
        locked = failures >= settings.LOGIN_FAILURE_LIMIT
        if locked:
            user.locked_until = now + dt.timedelta(minutes=settings.LOGIN_LOCK_MINUTES)
            user.failures_counted_from = now
            user.save(update_fields=["locked_until", "failures_counted_from"])
        audit_record(actor=None, action="auth.login", obj=user, result="locked" if locked else "denied",
                     detail={"username": user.username, "reason": "totp"})
    return False


@transaction.atomic
def user_unlock(*, user: User, acting_user: User) -> User:
    if not user_can(acting_user, Cap.MANAGE_STAFF):
        raise PermissionDenied(_("Your role does not allow this."))
    user.locked_until = None
    user.failures_counted_from = timezone.now()
    user.save(update_fields=["locked_until", "failures_counted_from"])
    audit_record(actor=acting_user, action="auth.unlock", obj=user)
    return user


def totp_new_secret() -> str:
    return pyotp.random_base32()


@transaction.atomic
def totp_enable(*, user: User, secret: str, code: str) -> User:
    if not pyotp.TOTP(secret).verify((code or "").strip(), valid_window=1):
        raise ValidationError({"code": [_("Code: does not match; check the time on your phone and try again")]})
    user.totp_secret = secret
    user.totp_enabled = True
    user.save(update_fields=["totp_secret", "totp_enabled"])
    audit_record(actor=user, action="auth.totp.enable", obj=user)
    return user


@transaction.atomic
def totp_disable(*, user: User, acting_user: User) -> User:
    if acting_user.pk != user.pk and not user_can(acting_user, Cap.MANAGE_STAFF):
        raise PermissionDenied(_("Your role does not allow this."))
    user.totp_secret = ""
    user.totp_enabled = False
    user.save(update_fields=["totp_secret", "totp_enabled"])
    audit_record(actor=acting_user, action="auth.totp.disable", obj=user)
    return user
