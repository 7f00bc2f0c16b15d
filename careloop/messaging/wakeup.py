"""Commit-hook wake-up of the dispatcher.

A dispatcher running in this process registers an event and is woken directly. Otherwise (a web
process) the wake-up travels as a Huey task to the worker, whose consumer runs in the same process as
its dispatcher. The periodic poll in the dispatcher catches anything a lost wake-up leaves behind.
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings

logger = logging.getLogger(__name__)

_event: threading.Event | None = None


def register(event: threading.Event | None) -> None:
    global _event
    _event = event


def local_event() -> threading.Event | None:
    return _event


def wake() -> None:
    if _event is not None:
        _event.set()
        return
    mode = getattr(settings, "MESSAGING_WAKE", "none" if settings.TESTING else "huey")
    if mode != "huey":
        return
    try:
        from careloop.messaging.tasks import messaging_wake

        messaging_wake()
    except Exception:  # a lost wake-up only delays sending until the next poll
        logger.warning("messaging wake-up could not be queued", exc_info=True)
