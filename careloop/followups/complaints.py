"""The complaint sink (FU-14): where a complaint or suggestion heard on a follow-up goes.

followups (layer 3) must not import the service desk (layer 4); the desk registers its intake here
in its AppConfig.ready(). A sink is ``callable(*, client, kind, text, record, acting_user)`` and runs
inside the caller's transaction. With no sink registered the feedback stays on the record only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from careloop.org.models import User

Sink = Callable[..., Any]
_sinks: dict[str, Sink] = {}


def register(name: str, sink: Sink) -> None:
    _sinks[name] = sink


def complaint_raise(*, client: Any, kind: str, text: str, record: Any, acting_user: User) -> list[Any]:
    """Hand the feedback to every registered sink; returns what each one created."""
    return [sink(client=client, kind=kind, text=text, record=record, acting_user=acting_user)
            for sink in _sinks.values()]
