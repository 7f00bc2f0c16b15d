"""Who else may open a client: the registry that widens a nurse's or lead's client scope (SEC-1).

A follow-up nurse sees the clients she manages and, besides, the clients of the open work given to
her or her teams. That work belongs to upper apps (follow-up tasks today; service tickets, plans
later), so they register a provider here in their ``AppConfig.ready()`` instead of being imported::

    from careloop.clients import scope
    scope.register("followups", task_client_ids)

A provider is ``callable(user) -> list of querysets``, each yielding client ids (one column, e.g.
``FollowupTask.objects.filter(...).values("client_id")``). ``client_scope_q`` puts them together with the
nurse's own clients as **one set** — ``id IN (SELECT … UNION ALL SELECT …)`` — rather than OR-ing one
``IN`` per source: with the OR, PostgreSQL cannot size the scope and, for a name search ordered by name,
walks the whole name range filtering each row (414 ms for a surname among 1,000,000 clients); as one set it
hashes the few thousand ids and looks those up (8.9 ms). See docs/performance.md, "Known next steps".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from careloop.org.models import User

Provider = Callable[[User], list[QuerySet[Any]]]
_providers: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    _providers[name] = provider


def work_client_ids(user: User) -> list[QuerySet[Any]]:
    """Querysets of the ids of the clients of the open work assigned to ``user`` or her teams."""
    sets: list[QuerySet[Any]] = []
    for provider in _providers.values():
        sets.extend(provider(user))
    return sets
