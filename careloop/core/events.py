"""Events for integrators: business apps declare and emit them, messaging turns them into webhooks.

The foundation holds only the registry, so an app that emits (followups, checkups, crm, servicedesk)
never imports the app that delivers (messaging), whichever layer each sits in:

    events.declare("crm.appointment_booked", _("Appointment booked"))      # AppConfig.ready()
    events.emit("crm.appointment_booked", lambda: {...}, branch_id=...)    # inside the service

``emit`` runs inside the service's transaction, so what a listener writes (the outbox rows) commits or
rolls back with the change; nothing leaves the process before commit. The payload builder is called
only when a listener wants the event, and must return ids and codes only — never names, phone numbers
or ID numbers (an integrator reads details through the API with its own token).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone


@dataclass(frozen=True)
class EventType:
    name: str
    label: Any  # a lazy translation


@dataclass(frozen=True)
class Event:
    type: str
    branch_id: int | None
    build: Callable[[], dict[str, Any]]
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    occurred_at: datetime = field(default_factory=timezone.now)


Listener = Callable[[Event], None]

_types: dict[str, EventType] = {}
_listeners: list[Listener] = []


def declare(name: str, label: Any) -> None:
    _types[name] = EventType(name, label)


def types() -> list[EventType]:
    return sorted(_types.values(), key=lambda t: t.name)


def known(name: str) -> bool:
    return name in _types


def listen(listener: Listener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def emit(name: str, payload_builder: Callable[[], dict[str, Any]], *, branch_id: int | None) -> Event:
    """Hand the event to every listener now (in the caller's transaction); returns it for tests."""
    if name not in _types:
        raise ValueError(f"event {name!r} is not declared")
    event = Event(type=name, branch_id=branch_id, build=payload_builder)
    for listener in list(_listeners):
        listener(event)
    return event
