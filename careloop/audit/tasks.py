"""The sealer's schedule: Huey's periodic jobs run at most once a minute, so the minute's job seals now and
queues the minute's other passes, one every AUDIT_SEAL_SECONDS (each a short job, not a thread held)."""

from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from careloop.lib.jobs import once_per_slot


@db_task()
def audit_seal_pass() -> int:
    from careloop.audit.services import audit_seal

    return audit_seal().sealed


@db_periodic_task(crontab(minute="*"))
@once_per_slot("audit.seal", "%Y-%m-%dT%H:%M")
def audit_seal_minutely() -> int:
    from careloop.audit.services import audit_seal

    step = settings.AUDIT_SEAL_SECONDS
    for delay in range(step, 60, step):
        audit_seal_pass.schedule(delay=delay)
    return audit_seal().sealed
