"""Operators' endpoints and scheduled backups (issue 18): /metrics, /readyz, alerts."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.test import Client as WebClient

from careloop.audit.models import AuditEvent
from careloop.ops.models import OpsAlert
from careloop.ops.services import backup_freshness_check, backup_scheduled, ops_alert_resolve

pytestmark = pytest.mark.django_db


def test_metrics_answer_loopback_without_signing_in(world, settings) -> None:
    response = WebClient(REMOTE_ADDR="127.0.0.1").get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    for name in ("careloop_http_request_duration_seconds", "careloop_outbox_messages", "careloop_queue_depth",
                 "careloop_outbox_due_backlog", "careloop_outbox_oldest_due_seconds", "careloop_backup_age_seconds",
                 "careloop_followup_tasks_without_owner", "careloop_ops_alerts_open"):
        assert f"# TYPE {name}" in text, name
    assert "careloop_backup_age_seconds -1.0" in text  # no backup yet


def test_metrics_refuse_other_addresses_unless_configured(settings) -> None:
    assert WebClient(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 404
    settings.METRICS_ALLOWED_NETWORKS = ["10.1.0.0/16"]
    assert WebClient(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert WebClient(REMOTE_ADDR="10.2.0.1").get("/metrics").status_code == 404


def test_readiness_reports_database_queue_and_outbox() -> None:
    response = WebClient().get("/readyz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True}
    assert body["checks"]["queue"]["ok"] is True
    assert body["checks"]["outbox"]["lag_seconds"] == 0.0


def test_health_probes_answer_plain_http_when_tls_redirects_everything_else(settings) -> None:
    """The image's HEALTHCHECK calls http://127.0.0.1:8000/healthz inside the container; in production every
    other path is redirected to https (issue 18 item 7: found by running the image's commands)."""
    settings.SECURE_SSL_REDIRECT = True
    web = WebClient()
    assert web.get("/healthz").status_code == 200
    assert web.get("/readyz").status_code in (200, 503)
    login = web.get("/accounts/login/")
    assert (login.status_code, login["Location"]) == (301, "https://testserver/accounts/login/")


@pytest.mark.django_db(transaction=True)  # a backup runs outside any transaction, as in the worker
def test_a_failed_backup_raises_one_alert_and_a_good_one_clears_it(world, tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the backup folder should be")
    assert backup_scheduled(directory=blocked) is None
    assert backup_scheduled(directory=blocked) is None
    alert = OpsAlert.objects.get()
    assert alert.kind == "backup_failed" and alert.resolved_at is None
    assert AuditEvent.objects.filter(action="ops.alert").count() == 2  # raised, then updated: one open alert
    info = backup_scheduled(directory=tmp_path / "backups")
    assert info is not None and info.path.exists()
    manifest = json.loads(info.path.with_suffix(info.path.suffix + ".json").read_text())
    assert manifest["rows"]["clients_client"] == 3
    alert.refresh_from_db()
    assert alert.resolved_at is not None


@pytest.mark.django_db(transaction=True)  # a backup runs outside any transaction, as in the worker
def test_backups_beyond_the_kept_number_are_pruned(world, tmp_path: Path, settings) -> None:
    settings.BACKUP_KEEP = 2
    for _ in range(3):
        backup_scheduled(directory=tmp_path)
    assert len(list(tmp_path.glob("careloop-*.json"))) == 2


@pytest.mark.django_db(transaction=True)  # a backup runs outside any transaction, as in the worker
def test_freshness_check_alerts_on_a_stale_backup(world, tmp_path: Path, settings) -> None:
    settings.BACKUP_MAX_AGE_HOURS = 24
    assert backup_freshness_check(directory=tmp_path) is False
    assert OpsAlert.objects.get().message == "there is no backup yet"
    backup_scheduled(directory=tmp_path)
    assert backup_freshness_check(directory=tmp_path) is True
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=30)):
        assert backup_freshness_check(directory=tmp_path) is False
    assert OpsAlert.objects.filter(kind="backup_stale", resolved_at__isnull=True).count() == 1


def test_only_administrators_see_and_resolve_alerts(world) -> None:
    alert = OpsAlert.objects.create(kind="backup_failed", message="pg_dump failed: disk full")
    nurse, admin = WebClient(), WebClient()
    nurse.force_login(world.nurse)
    admin.force_login(world.admin)
    assert nurse.get("/ops/alerts/").status_code == 403
    assert nurse.post(f"/ops/alerts/{alert.pk}/resolve/").status_code == 403
    alert.refresh_from_db()
    assert alert.resolved_at is None  # the refusal changed nothing
    page = admin.get("/ops/alerts/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "备份失败" in page.content.decode() and "pg_dump failed: disk full" in page.content.decode()
    assert admin.post(f"/ops/alerts/{alert.pk}/resolve/").status_code == 302
    alert.refresh_from_db()
    assert alert.resolved_by == world.admin
    with pytest.raises(PermissionDenied):
        ops_alert_resolve(alert=alert, acting_user=world.nurse)
