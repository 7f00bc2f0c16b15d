"""Periodic jobs on several machines.

Every ``careloop worker`` runs Huey's scheduler, so with two workers each periodic job is enqueued
twice per slot. Jobs that must run once per slot claim it first in Huey's own storage (an atomic
put-if-empty: HSETNX on Redis, INSERT OR IGNORE on SQLite); the second claim of the slot does nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.utils import timezone

P = ParamSpec("P")
R = TypeVar("R")


def claim_slot(name: str, slot: str) -> bool:
    """True for the first caller of (name, slot) across every worker sharing the queue's storage."""
    from huey.contrib.djhuey import HUEY

    return bool(HUEY.put_if_empty(f"careloop:slot:{name}:{slot}", b"1"))


def once_per_slot(name: str, slot_format: str = "%Y-%m-%d") -> Callable[[Callable[P, R]], Callable[P, R | None]]:
    """Run the decorated job at most once per local-time slot (default: once a day); else return None."""

    def decorate(job: Callable[P, R]) -> Callable[P, R | None]:
        @functools.wraps(job)
        def run(*args: P.args, **kwargs: P.kwargs) -> R | None:
            if not claim_slot(name, timezone.localtime().strftime(slot_format)):
                return None
            return job(*args, **kwargs)

        return run

    return decorate
