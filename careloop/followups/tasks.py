"""Background jobs of careloop.followups (run by `careloop worker`)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from careloop.followups.services.reminders import planned_messages_send_due
from careloop.followups.services.tasks import followup_tasks_expire
from careloop.lib.jobs import once_per_slot


@db_periodic_task(crontab(minute="10", hour="0"))
@once_per_slot("followups.expire")
def expire_followup_tasks() -> int:
    """Nightly: follow-ups whose window passed become missed (and count toward lost to follow-up)."""
    return followup_tasks_expire()


@db_periodic_task(crontab(minute="5"))
@once_per_slot("followups.messages_due", "%Y-%m-%d %H")
def send_due_rule_messages() -> dict[str, int]:
    """Hourly: message rules' occurrences due today go to the outbox (consent and quiet hours are its own)."""
    return planned_messages_send_due()
