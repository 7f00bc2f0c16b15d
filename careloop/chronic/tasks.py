"""Huey jobs of careloop.chronic."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(hour="9", minute="15"))
def monitoring_reminders_daily() -> int:
    """Every morning: clients whose logs are overdue for their plan's frequency get a monitoring reminder."""
    from careloop.chronic.services import monitoring_reminders_send

    return monitoring_reminders_send()


@db_periodic_task(crontab(minute="*/15"))
def medication_reminders_quarter_hourly() -> int:
    """Every 15 minutes: the medication reminders of current plan versions due in the next 15 minutes."""
    from careloop.chronic.healthplans import medication_reminders_send

    return medication_reminders_send()
