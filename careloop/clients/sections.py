"""Which archive sections a client's plan covers (ARC-5), shown on the client page.

The clients app does not know plans: careloop.plans registers a provider in its AppConfig.ready().
A provider is ``callable(client, user) -> ArchiveCoverage | None`` and costs a bounded number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from careloop.clients.models import Client
from careloop.org.models import User


@dataclass(frozen=True)
class CoveredSection:
    name: str
    included: bool


@dataclass(frozen=True)
class ArchiveCoverage:
    title: Any  # e.g. "档案档次：Ⅱ档（慢性病诊疗监控和改善计划）"
    sections: list[CoveredSection] = field(default_factory=list)
    note: Any = ""
    url: str = ""
    url_label: Any = ""


Provider = Callable[[Client, User], "ArchiveCoverage | None"]
_providers: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    _providers[name] = provider


def coverage_for(client: Client, user: User) -> list[ArchiveCoverage]:
    found = (provider(client, user) for provider in _providers.values())
    return [c for c in found if c is not None]
