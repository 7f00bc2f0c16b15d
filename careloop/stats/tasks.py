"""Huey jobs of careloop.stats: the rollup refreshes, the scheduled reports and their e-mails."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_periodic_task(crontab(minute="*/10"))
def rollup_refresh_recent_task() -> int:
    """Every ten minutes: the recent days, which the day's work changes (docs/decisions/0001-stats-rollup.md)."""
    from careloop.stats.rollup import rollup_refresh_recent

    return rollup_refresh_recent()


@db_periodic_task(crontab(minute="30", hour="0"))
def rollup_refresh_all_task() -> int:
    """Every night: every day, so that late changes to old tasks are counted too."""
    from careloop.stats.rollup import rollup_refresh_all

    return rollup_refresh_all()


@db_periodic_task(crontab(minute="30", hour="2"))
def reports_generate_task() -> int:
    """After the nightly refresh: yesterday's daily report, and the monthly/yearly one when a period ended."""
    from careloop.stats.services import stats_reports_generate_due

    return len(stats_reports_generate_due())


@db_task()
def report_mails_send_task() -> int:
    from careloop.stats.services import report_mails_send

    return report_mails_send()


@db_periodic_task(crontab(minute="*/15"))
def report_mails_send_periodic() -> int:
    from careloop.stats.services import report_mails_send

    return report_mails_send()
