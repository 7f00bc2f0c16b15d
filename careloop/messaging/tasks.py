"""Huey tasks of careloop.messaging (discovered by huey.contrib.djhuey when the worker starts)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from careloop.messaging import wakeup
from careloop.messaging.dispatcher import Dispatcher, sweep


@db_task(expires=120)
def messaging_wake() -> None:
    """Sent from a web process after commit: wake the dispatcher living in the worker process."""
    event = wakeup.local_event()
    if event is not None:
        event.set()
    else:
        Dispatcher().run_until_idle(max_batches=20)


@db_periodic_task(crontab(minute="*"))
def messaging_sweep() -> None:
    """Every minute: expired leases → unknown, reconcile unknown from receipts, honour withdrawals."""
    sweep()
