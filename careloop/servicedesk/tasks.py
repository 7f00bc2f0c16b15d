"""Background jobs of the service desk (run by `careloop worker`)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import surveys_send_due, tickets_escalate_overdue


@db_periodic_task(crontab(minute="*"))
def escalate_overdue_tickets() -> int:
    """Each minute: an urgent ticket unanswered 30 minutes after it was recorded goes to the service lead."""
    return tickets_escalate_overdue()


@db_periodic_task(crontab(minute="30", hour="9"))
def send_surveys_for_yesterday() -> int:
    """Each morning: a survey for each of yesterday's signed follow-up records and visits (SVC-4)."""
    return surveys_send_due(day=timezone.localdate() - dt.timedelta(days=1))
