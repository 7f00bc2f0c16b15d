"""What the preparation view (SPEC FU-11) shows that other apps own, through small registries.

The follow-up loop sits below the business apps; they register providers in their
``AppConfig.ready()`` (never an import upwards, never importlib):

* ``register_abnormal(provider)`` — ``provider(client) -> PrepSection | None``: the latest checkup's
  abnormal items (careloop.checkups registers one);
* ``register_plan(provider)`` — ``provider(client) -> PrepSection | None``: the client's current
  plan (the plans and chronic apps, once they exist).

The first provider that answers wins; none answering shows "none on file".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class PrepSection:
    title: str  # e.g. "2026-10-12 体检"
    lines: list[str] = field(default_factory=list)
    url: str = ""


Provider = Callable[[Any], "PrepSection | None"]

_abnormal: list[Provider] = []
_plan: list[Provider] = []


def register_abnormal(provider: Provider) -> None:
    if provider not in _abnormal:
        _abnormal.append(provider)


def register_plan(provider: Provider) -> None:
    if provider not in _plan:
        _plan.append(provider)


def _first(providers: list[Provider], client: Any) -> PrepSection | None:
    for provider in providers:
        section = provider(client)
        if section is not None:
            return section
    return None


def latest_abnormal(client: Any) -> PrepSection | None:
    return _first(_abnormal, client)


def current_plan(client: Any) -> PrepSection | None:
    return _first(_plan, client)
