"""Commit-hook wake-up of the dispatcher.

A dispatcher running in this process registers an event and is woken directly. Otherwise (a web
process) the wake-up travels through the ``remote`` callable — the Huey task that MessagingConfig.ready()
registers — to the worker, whose consumer runs in the same process as its dispatcher. The periodic poll in
the dispatcher catches anything a lost wake-up leaves behind. This module imports nothing of careloop, so
services, the dispatcher and the tasks all depend on it and never on each other in a circle.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.conf import settings

logger = logging.getLogger(__name__)

_event: threading.Event | None = None
_remote: Callable[[], object] | None = None


def register(event: threading.Event | None) -> None:
    global _event
    _event = event


def register_remote(remote: Callable[[], object] | None) -> None:
    """How a process without a dispatcher reaches the worker (the Huey task ``messaging_wake``)."""
    global _remote
    _remote = remote


def local_event() -> threading.Event | None:
    return _event


def wake() -> None:
    if _event is not None:
        _event.set()
        return
    if settings.MESSAGING_WAKE != "huey" or _remote is None:
        return
    try:
        _remote()
    except Exception:  # a lost wake-up only delays sending until the next poll
        logger.warning("messaging wake-up could not be queued", exc_info=True)
