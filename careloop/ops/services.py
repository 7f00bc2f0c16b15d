"""Scheduled backups and their alerts (SEC-6, issue 18)."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from careloop.audit.services import audit_record
from careloop.ops.backup import (
    BackupError,
    BackupInfo,
    backup_create,
    backup_latest,
    backup_manifest,
    backups_prune,
)
from careloop.ops.models import OpsAlert
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can

logger = logging.getLogger("careloop.ops")


@transaction.atomic
def ops_alert_raise(*, kind: str, message: str) -> OpsAlert:
    """Raise an alert once: an open alert of the same kind is kept (its message updated), not repeated."""
    logger.error("operations alert (%s): %s", kind, message)
    alert = OpsAlert.objects.select_for_update().filter(kind=kind, resolved_at__isnull=True).first()
    if alert is None:
        alert = OpsAlert.objects.create(kind=kind, message=message)
    else:
        alert.message = message
        alert.save(update_fields=["message"])
    audit_record(actor=None, action="ops.alert", obj=alert, detail={"kind": kind})
    return alert


@transaction.atomic
def ops_alert_resolve(*, alert: OpsAlert, acting_user: User) -> OpsAlert:
    if not user_can(acting_user, Cap.MANAGE_STAFF):
        raise PermissionDenied
    if alert.resolved_at is None:
        alert.resolved_at, alert.resolved_by = timezone.now(), acting_user
        alert.save(update_fields=["resolved_at", "resolved_by"])
        audit_record(actor=acting_user, action="ops.alert_resolve", obj=alert, detail={"kind": alert.kind})
    return alert


def backup_scheduled(*, directory: Path | None = None) -> BackupInfo | None:
    """The nightly job: write a backup, keep the newest BACKUP_KEEP; a failure raises an alert."""
    try:
        info = backup_create(directory)
    except (BackupError, OSError) as exc:
        ops_alert_raise(kind=OpsAlert.Kind.BACKUP_FAILED, message=str(exc))
        return None
    backups_prune(settings.BACKUP_KEEP, directory)
    with transaction.atomic():
        audit_record(actor=None, action="ops.backup", detail={"file": info.path.name, "sha256": info.sha256})
        OpsAlert.objects.filter(kind__in=[OpsAlert.Kind.BACKUP_FAILED, OpsAlert.Kind.BACKUP_STALE],
                                resolved_at__isnull=True).update(resolved_at=timezone.now())
    return info


def backup_age_seconds(directory: Path | None = None) -> float | None:
    """Seconds since the newest backup was taken; None when there is none."""
    path = backup_latest(directory)
    if path is None:
        return None
    manifest = backup_manifest(path)
    stamp = manifest.get("created_at_iso") or dt.datetime.strptime(
        manifest["created_at"], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=dt.UTC).isoformat()
    return (timezone.now() - dt.datetime.fromisoformat(stamp)).total_seconds()


def backup_freshness_check(*, directory: Path | None = None) -> bool:
    """Hourly: alert when the newest backup is older than BACKUP_MAX_AGE_HOURS (or missing). True when fresh."""
    age = backup_age_seconds(directory)
    limit = settings.BACKUP_MAX_AGE_HOURS * 3600
    if age is not None and age <= limit:
        return True
    message = ("there is no backup yet" if age is None
               else f"the newest backup is {age / 3600:.1f} hours old (limit {settings.BACKUP_MAX_AGE_HOURS} h)")
    ops_alert_raise(kind=OpsAlert.Kind.BACKUP_STALE, message=message)
    return False
