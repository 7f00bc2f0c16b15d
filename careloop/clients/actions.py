"""Buttons that higher apps add to the client page (booking, tier…) without the clients app importing them.

Apps register in their AppConfig.ready(): ``register(label, url_name, cap)``; the URL takes the client's id.
``purpose`` names an action other pages point to (``"tier"``: where a client's tier is changed, with a
reason — the edit form links there instead of offering a tier field).
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
    purpose: str = ""


_actions: dict[str, ClientAction] = {}


def register(label: Any, url_name: str, cap: Cap, order: int = 50, *, purpose: str = "") -> None:
    _actions[url_name] = ClientAction(label, url_name, cap, order, purpose)


def action_for(purpose: str, client: Any, user: Any) -> dict[str, Any] | None:
    """The registered action serving ``purpose`` that ``user`` may use, or None."""
    for a in _actions.values():
        if a.purpose == purpose and user_can(user, a.cap):
            return {"label": a.label, "url": reverse(a.url_name, args=[client.pk])}
    return None


def actions_for(client: Any, user: Any) -> list[dict[str, Any]]:
    return [{"label": a.label, "url": reverse(a.url_name, args=[client.pk])}
            for a in sorted(_actions.values(), key=lambda a: (a.order, a.url_name)) if user_can(user, a.cap)]
