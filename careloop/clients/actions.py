"""Buttons that higher apps add to the client page (booking, tier…) without the clients app importing them.

Apps register in their AppConfig.ready(): ``register(label, url_name, cap)``; the URL takes the client's id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from careloop.org.permissions import Cap, user_can


@dataclass(frozen=True)
class ClientAction:
    label: Any
    url_name: str
    cap: Cap
    order: int = 50


_actions: dict[str, ClientAction] = {}


def register(label: Any, url_name: str, cap: Cap, order: int = 50) -> None:
    _actions[url_name] = ClientAction(label, url_name, cap, order)


def actions_for(client: Any, user: Any) -> list[dict[str, Any]]:
    return [{"label": a.label, "url": reverse(a.url_name, args=[client.pk])}
            for a in sorted(_actions.values(), key=lambda a: (a.order, a.url_name)) if user_can(user, a.cap)]
