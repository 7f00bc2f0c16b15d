"""The main navigation. Each app registers its entries in its AppConfig.ready()."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NavEntry:
    label: Any  # a lazy translation
    url_name: str
    cap: str | None  # careloop.org.permissions.Cap value; None = any signed-in staff
    order: int = 50


_entries: dict[str, NavEntry] = {}


def register(label: Any, url_name: str, cap: str | None, order: int = 50) -> None:
    _entries[url_name] = NavEntry(label, url_name, cap, order)


def entries() -> list[NavEntry]:
    return sorted(_entries.values(), key=lambda e: (e.order, e.url_name))
