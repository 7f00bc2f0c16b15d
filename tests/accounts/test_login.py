import datetime as dt

import pyotp
import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.test import Client as WebClient
from django.test import override_settings

from careloop.accounts.models import LoginAttempt
from careloop.accounts.services import user_unlock
from careloop.audit.models import AuditEvent
from careloop.org.models import User

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def web(ip="10.0.0.1", lang="en"):
    return WebClient(REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE=lang)


def login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


@pytest.fixture
def nurse(world):
    return world.nurse


def test_good_password_signs_in_and_is_audited(nurse, password):
    client = web()
    response = login(client, "nurse", password)
    assert response.status_code == 302
    assert client.get("/api/v1/clients/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.login", actor_name="nurse", result="ok").count() == 1


def test_five_failures_in_fifteen_minutes_lock_for_thirty(nurse, password):
    client = web()
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(5):
            assert login(client, "nurse", "wrong-password").status_code == 400
            clock.shift(dt.timedelta(minutes=2))
        nurse.refresh_from_db()
        assert nurse.locked_until == T0 + dt.timedelta(minutes=8 + 30)
        locked = login(client, "nurse", password)
        assert locked.status_code == 400 and "locked" in locked.content.decode()
        clock.shift(dt.timedelta(minutes=30, seconds=1))
        assert login(client, "nurse", password).status_code == 302
    assert AuditEvent.objects.filter(action="auth.login", result="locked").count() == 1


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(nurse, password):
    client = web()
    with time_machine.travel(T0, tick=False) as clock:
        for _ in range(6):
            login(client, "nurse", "wrong-password")
            clock.shift(dt.timedelta(minutes=4))
        nurse.refresh_from_db()
        assert nurse.locked_until is None


def test_administrator_unlocks(world, password):
    client = web()
    for _ in range(5):
        login(client, "nurse", "wrong-password")
    user_unlock(user=User.objects.get(username="nurse"), acting_user=world.admin)
    assert login(client, "nurse", password).status_code == 302
    assert AuditEvent.objects.filter(action="auth.unlock", actor_name="admin").count() == 1


def test_unlock_needs_the_right(world):
    from django.core.exceptions import PermissionDenied

    for _ in range(5):
        login(web(), "nurse", "wrong-password")
    with pytest.raises(PermissionDenied):
        user_unlock(user=world.nurse, acting_user=world.lead)
    world.nurse.refresh_from_db()
    assert world.nurse.locked_until is not None


def test_one_address_cannot_lock_everyone_out(world, password):
    attacker = web("203.0.113.9")
    usernames = ["nurse", "lead", "expert", "service", "clerk", "doctor", "inspector", "nutritionist"]
    for name in usernames:
        for _ in range(5):
            login(attacker, name, "wrong-password")
    locked = User.objects.filter(locked_until__isnull=False).count()
    assert locked == settings.LOGIN_IP_FAILURE_LIMIT // settings.LOGIN_FAILURE_LIMIT == 4
    assert LoginAttempt.objects.filter(ip="203.0.113.9", reason="throttled").count() == 40 - 20
    # the real users elsewhere still sign in
    assert login(web("10.1.1.1"), "inspector", password).status_code == 302
    throttled = login(attacker, "inspector", password)
    assert throttled.status_code == 400 and "Too many failed sign-ins" in throttled.content.decode()


def test_token_endpoint_shares_the_lock_out(world, password, api):
    client = api(lang="en")
    for _ in range(5):
        assert client.post("/api/v1/auth/token/", {"username": "nurse", "password": "nope"}, format="json").status_code == 401
    locked = client.post("/api/v1/auth/token/", {"username": "nurse", "password": password}, format="json")
    assert locked.status_code == 401 and locked.json()["code"] == "locked"


def test_token_round_trip_and_missing_fields(world, password, api):
    client = api(lang="en")
    missing = client.post("/api/v1/auth/token/", {"username": "nurse"}, format="json")
    assert missing.status_code == 400 and missing.json() == {"password": ["This field is required."]}
    token = client.post("/api/v1/auth/token/", {"username": "nurse", "password": password}, format="json").json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/clients/").status_code == 200


def test_tokens_expire(world, password, api):
    client = api(lang="en")
    with time_machine.travel(T0, tick=False) as clock:
        token = client.post("/api/v1/auth/token/", {"username": "nurse", "password": password}, format="json").json()["token"]
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        clock.shift(dt.timedelta(hours=8, seconds=1))
        assert client.get("/api/v1/clients/").status_code == 401


def test_session_ends_after_thirty_idle_minutes(nurse, password):
    client = web()
    with time_machine.travel(T0, tick=False) as clock:
        login(client, "nurse", password)
        clock.shift(dt.timedelta(minutes=29))
        assert client.get("/api/v1/clients/").status_code == 200
        clock.shift(dt.timedelta(minutes=29))
        assert client.get("/api/v1/clients/").status_code == 200  # activity keeps it alive
        clock.shift(dt.timedelta(minutes=31))
        assert client.get("/api/v1/clients/").status_code == 401


def test_totp_second_step(nurse, password):
    secret = pyotp.random_base32()
    nurse.totp_secret, nurse.totp_enabled = secret, True
    nurse.save()
    client = web()
    assert login(client, "nurse", password)["Location"].startswith("/accounts/login/code/")
    assert client.get("/api/v1/clients/").status_code == 401  # not signed in yet
    wrong = client.post("/accounts/login/code/", {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 200 and "wrong" in wrong.content.decode()
    assert client.post("/accounts/login/code/", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert client.get("/api/v1/clients/").status_code == 200
    stored = User.objects.filter(pk=nurse.pk).values_list("totp_secret", flat=True)
    assert secret not in str(list(stored.query.sql_with_params()))


def test_totp_secret_is_encrypted_at_rest(nurse):
    from django.db import connection

    nurse.totp_secret = "JBSWY3DPEHPK3PXP"
    nurse.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT totp_secret FROM org_user WHERE id = %s", [nurse.pk])
        raw = cursor.fetchone()[0]
    assert raw.startswith("c1:") and "JBSWY3DPEHPK3PXP" not in raw


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"])
def test_passwords_are_hashed_with_argon2(db):
    user = User.objects.create_user("argon", password="a-long-and-unusual-passphrase")
    assert identify_hasher(user.password).algorithm == "argon2"


def test_argon2_is_the_production_hasher():
    assert next(h for h in settings.PASSWORD_HASHERS if "MD5" not in h).endswith("Argon2PasswordHasher")


@pytest.mark.parametrize(
    ("password", "message"),
    [("short1!", "This password is too short. It must contain at least 12 characters."),
     ("password1234", "This password is too common."),
     ("839201746352", "This password is entirely numeric.")],
)
def test_password_policy(db, password, message):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as err:
        validate_password(password)
    assert message in err.value.messages


def test_no_default_admin_account(db):
    assert not User.objects.filter(username="admin").exists()


def test_csrf_is_enforced_on_forms(nurse, password):
    client = WebClient(enforce_csrf_checks=True)
    assert client.post("/accounts/login/", {"username": "nurse", "password": password}).status_code == 403
