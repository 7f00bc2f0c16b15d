"""Issue 10, findings 1 and 10: one sign-in everywhere, every attempt audited; throttling counts only real
failures; X-Forwarded-For only from configured proxies."""

import datetime as dt

import pyotp
import pytest
import time_machine
from django.conf import settings
from django.test import Client as WebClient
from django.test import RequestFactory, override_settings

from careloop.accounts.models import LoginAttempt
from careloop.audit.models import AuditEvent
from careloop.core.middleware import client_ip

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def web(ip="10.0.0.1"):
    return WebClient(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def staff_admin(world):
    world.admin.is_staff = True
    world.admin.save(update_fields=["is_staff"])
    return world.admin


def test_admin_login_is_the_application_sign_in(staff_admin, password):
    client = web()
    page = client.get("/admin/login/?next=/admin/org/user/")
    assert page.status_code == 302 and page["Location"] == "/accounts/login/?next=%2Fadmin%2Forg%2Fuser%2F"
    # posting a password to the admin's door signs nobody in
    posted = client.post("/admin/login/", {"username": "admin", "password": password, "next": "/admin/"})
    assert posted.status_code == 302 and posted["Location"].startswith("/accounts/login/")
    assert client.get("/admin/").status_code == 302
    assert not AuditEvent.objects.filter(action="auth.login", result="ok").exists()


def test_wrong_passwords_at_the_admin_door_lock_the_account(staff_admin, password):
    client = web()
    for _ in range(6):
        client.post("/admin/login/", {"username": "admin", "password": "wrong-password"})
        client.post("/accounts/login/", {"username": "admin", "password": "wrong-password"})
    staff_admin.refresh_from_db()
    assert staff_admin.locked_until is not None
    assert client.post("/accounts/login/", {"username": "admin", "password": password}).status_code == 400
    assert client.get("/admin/").status_code == 302  # still not signed in while locked


def test_admin_with_two_step_needs_the_code(staff_admin, password):
    secret = pyotp.random_base32()
    staff_admin.totp_secret, staff_admin.totp_enabled = secret, True
    staff_admin.save()
    client = web()
    first = client.post("/accounts/login/", {"username": "admin", "password": password, "next": "/admin/"})
    assert first["Location"].startswith("/accounts/login/code/")
    assert client.get("/admin/").status_code == 302
    done = client.post("/accounts/login/code/?next=/admin/", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302 and done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/login/").status_code == 302  # signed-in staff go on to the admin


def test_signed_in_non_staff_are_refused_at_the_admin_door(world):
    client = web()
    client.force_login(world.nurse)
    assert client.get("/admin/login/").status_code == 403


def test_every_refusal_and_failure_is_audited(world, password, api):
    with override_settings(LOGIN_IP_FAILURE_LIMIT=3):
        client = web("10.9.9.9")
        client.post("/accounts/login/", {"username": "ghost", "password": "x"})          # unknown user
        client.post("/accounts/login/", {"username": "nurse", "password": "x"})          # wrong password
        api(lang="en").post("/api/v1/auth/token/", {"username": "lead", "password": "x"}, format="json",
                            REMOTE_ADDR="10.9.9.9")                                          # wrong, via API
        client.post("/accounts/login/", {"username": "nurse", "password": password})     # throttled
    reasons = list(AuditEvent.objects.filter(action="auth.login").order_by("append_id").values_list("result", "detail"))
    assert reasons == [
        ("denied", {"username": "ghost", "reason": "unknown"}),
        ("denied", {"username": "nurse", "reason": "invalid"}),
        ("denied", {"username": "lead", "reason": "invalid"}),
        ("denied", {"username": "nurse", "reason": "throttled"}),
    ]


def test_locked_refusal_and_wrong_code_are_audited(world, password):
    secret = pyotp.random_base32()
    world.nurse.totp_secret, world.nurse.totp_enabled = secret, True
    world.nurse.save()
    client = web()
    client.post("/accounts/login/", {"username": "nurse", "password": password})
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    client.post("/accounts/login/code/", {"code": wrong})
    assert LoginAttempt.objects.filter(username="nurse", reason="totp").count() == 1
    world.lead.locked_until = T0 + dt.timedelta(days=3650)
    world.lead.save(update_fields=["locked_until"])
    web().post("/accounts/login/", {"username": "lead", "password": password})
    rows = list(AuditEvent.objects.filter(action="auth.login").order_by("append_id").values_list("result", "detail"))
    assert rows == [("denied", {"username": "nurse", "reason": "totp"}),
                    ("denied", {"username": "lead", "reason": "locked"})]


def test_throttle_counts_only_real_failures(world, password):
    """An address that keeps trying while refused is free again once its real failures age out."""
    client = web("198.51.100.7")
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(settings.LOGIN_IP_FAILURE_LIMIT):
            client.post("/accounts/login/", {"username": "nobody", "password": "x"})
        for _ in range(14):  # refused twice a minute; these refusals must not extend the block
            clock.shift(dt.timedelta(minutes=1))
            for _ in range(2):
                refused = client.post("/accounts/login/", {"username": "nurse", "password": password})
                assert "Too many" in refused.content.decode()
        clock.shift(dt.timedelta(minutes=1, seconds=1))
        assert client.post("/accounts/login/", {"username": "nurse", "password": password}).status_code == 302
    assert LoginAttempt.objects.filter(ip="198.51.100.7", reason="throttled").count() == 28


def _ip(remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **meta))


def test_forwarded_for_is_ignored_without_a_configured_proxy():
    assert _ip("203.0.113.5", "1.2.3.4") == "203.0.113.5"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "192.0.2.1"])
def test_forwarded_for_is_believed_only_from_configured_proxies():
    assert _ip("10.1.2.3", "198.51.100.20") == "198.51.100.20"
    # a client-supplied left-most entry is not believed: the right-most untrusted hop is the caller
    assert _ip("10.1.2.3", "6.6.6.6, 198.51.100.20, 192.0.2.1") == "198.51.100.20"
    assert _ip("203.0.113.5", "198.51.100.20") == "203.0.113.5"  # not a proxy: header ignored
    assert _ip("10.1.2.3", "not-an-address") == "10.1.2.3"


@override_settings(TRUSTED_PROXIES=["127.0.0.1"])
def test_users_behind_a_proxy_are_throttled_one_by_one(world, password):
    attacker = WebClient(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66", HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(settings.LOGIN_IP_FAILURE_LIMIT):
        attacker.post("/accounts/login/", {"username": "nobody", "password": "x"})
    assert "Too many" in attacker.post("/accounts/login/", {"username": "nurse", "password": password}).content.decode()
    colleague = WebClient(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.3", HTTP_ACCEPT_LANGUAGE="en")
    assert colleague.post("/accounts/login/", {"username": "nurse", "password": password}).status_code == 302
