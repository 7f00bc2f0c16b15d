import os
import subprocess
import sys

import pytest
from django.test import Client as WebClient


def test_security_headers_on_pages(db):
    response = WebClient().get("/accounts/login/")
    assert response["Content-Security-Policy"].startswith("default-src 'self'; script-src 'self'")
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response  # only under TLS


def test_no_stack_traces_for_users(db, settings):
    assert settings.DEBUG is False
    response = WebClient(raise_request_exception=False).get("/api/v1/clients/999999999999999999999999/")
    assert response.status_code in (401, 403, 404)


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    env = {**os.environ, "CARELOOP_PRODUCTION": "1", "CARELOOP_DATA_DIR": str(tmp_path / "var"),
           "CARELOOP_KEYS_DIR": str(tmp_path / "keys"), "CARELOOP_SECRET_KEY": "x7" * 40 + "Qz-_!#", "CARELOOP_ALLOWED_HOSTS": "careloop.example.cn",
           "DJANGO_SETTINGS_MODULE": "careloop.settings"}
    env.pop("CARELOOP_TESTING", None)
    env.pop("PYTEST_CURRENT_TEST", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests in the same worker
    result = subprocess.run([sys.executable, "-m", "careloop.cli", "check", "--deploy", "--fail-level", "WARNING"],
                            env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_hsts_under_tls(tmp_path):
    env = {**os.environ, "CARELOOP_PRODUCTION": "1", "CARELOOP_DATA_DIR": str(tmp_path / "var"),
           "CARELOOP_KEYS_DIR": str(tmp_path / "keys"), "CARELOOP_SECRET_KEY": "x7" * 40, "CARELOOP_ALLOWED_HOSTS": "careloop.example.cn"}
    code = ("import django;django.setup();from django.test import Client;"
            "r=Client(HTTP_HOST='careloop.example.cn').get('/accounts/login/', secure=True);"
            "print(r.status_code, r['Strict-Transport-Security'])")
    result = subprocess.run([sys.executable, "-c", code], env={**env, "DJANGO_SETTINGS_MODULE": "careloop.settings"},
                            capture_output=True, text=True, check=False)
    assert result.stdout.strip() == "200 max-age=31536000; includeSubDomains; preload", result.stderr


@pytest.mark.parametrize(("layout", "named"), [
    ({}, "CARELOOP_DATA_DIR"),                                              # the default: keys under var/
    ({"CARELOOP_KEYS_DIR": "{tmp}/var/secret"}, "CARELOOP_DATA_DIR"),
    ({"CARELOOP_KEYS_DIR": "{tmp}/backups/keys", "CARELOOP_BACKUP_DIR": "{tmp}/backups"}, "CARELOOP_BACKUP_DIR"),
    ({"CARELOOP_KEYS_DIR": "{tmp}", "CARELOOP_BACKUP_DIR": "{tmp}/backups"}, "CARELOOP_DATA_DIR"),
])
def test_production_refuses_keys_inside_the_data_or_backups(tmp_path, layout, named):
    env = {**os.environ, "CARELOOP_PRODUCTION": "1", "CARELOOP_DATA_DIR": str(tmp_path / "var"),
           "CARELOOP_SECRET_KEY": "x7" * 40 + "Qz-_!#", "CARELOOP_ALLOWED_HOSTS": "careloop.example.cn",
           "DJANGO_SETTINGS_MODULE": "careloop.settings"}
    for name in ("CARELOOP_TESTING", "PYTEST_CURRENT_TEST", "CARELOOP_KEYS_DIR", "CARELOOP_BACKUP_DIR"):
        env.pop(name, None)
    env.update({key: value.format(tmp=tmp_path) for key, value in layout.items()})
    result = subprocess.run([sys.executable, "-m", "careloop.cli", "check"], env=env, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "CARELOOP_KEYS_DIR" in result.stderr and named in result.stderr
    assert "Traceback" not in result.stderr
