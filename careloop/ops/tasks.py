"""Periodic jobs of the operations layer: the nightly backup and the hourly freshness check."""

from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from careloop.lib.jobs import once_per_slot

_hour, _minute = (int(part) for part in settings.BACKUP_TIME.split(":"))


@db_periodic_task(crontab(hour=str(_hour), minute=str(_minute)))
@once_per_slot("ops.backup")
def backup_nightly() -> str | None:
    from careloop.ops.services import backup_scheduled

    info = backup_scheduled()
    return info.path.name if info else None


@db_periodic_task(crontab(minute="45"))
@once_per_slot("ops.backup_freshness", "%Y-%m-%dT%H")
def backup_freshness_hourly() -> bool:
    from careloop.ops.services import backup_freshness_check

    return backup_freshness_check()
