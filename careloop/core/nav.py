"""The main navigation and each role's home. Apps register both in their AppConfig.ready().

``register(label, url_name, cap)`` adds a menu entry shown to whoever holds ``cap`` (a capability name,
a tuple of names of which any one will do, or None for every signed-in staff member).

``register_home(role, url_name, order)`` says where a role lands after signing in: the home page takes,
over all of a person's roles, the registered page with the lowest order whose URL exists — so a page
of an app not installed yet (``stats:dashboard``) is simply skipped until it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NavEntry:
    label: Any  # a lazy translation
    url_name: str
    cap: str | tuple[str, ...] | None  # careloop.org.permissions.Cap value(s); None = any signed-in staff
    order: int = 50

    @property
    def caps(self) -> tuple[str, ...]:
        if self.cap is None:
            return ()
        return (self.cap,) if isinstance(self.cap, str) else tuple(self.cap)


_entries: dict[str, NavEntry] = {}
_homes: dict[tuple[str, str], int] = {}


def register(label: Any, url_name: str, cap: str | tuple[str, ...] | None, order: int = 50) -> None:
    _entries[url_name] = NavEntry(label, url_name, cap, order)


def entries() -> list[NavEntry]:
    return sorted(_entries.values(), key=lambda e: (e.order, e.url_name))


def register_home(role: str, url_name: str, order: int = 50) -> None:
    _homes[(str(role), url_name)] = order


def homes_for(roles: Iterable[str]) -> list[str]:
    """The candidate home pages of someone with ``roles``, best first."""
    wanted = {str(r) for r in roles}
    found = sorted((order, url_name) for (role, url_name), order in _homes.items() if role in wanted)
    seen: list[str] = []
    for _order, url_name in found:
        if url_name not in seen:
            seen.append(url_name)
    return seen
