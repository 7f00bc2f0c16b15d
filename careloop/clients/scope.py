"""Who else may open a client: the registry that widens a nurse's or lead's client scope (SEC-1).

A follow-up nurse sees the clients she manages and, besides, the clients of the open work given to
her or her teams. That work belongs to upper apps (follow-up tasks today; service tickets, plans
later), so they register a provider here in their ``AppConfig.ready()`` instead of being imported::

    from careloop.clients import scope
    scope.register("followups", task_clients_q)

A provider is ``callable(user) -> Q`` over ``Client`` (usually ``Q(pk__in=<subquery of client ids>)``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q

from careloop.org.models import User

Provider = Callable[[User], Q]
_providers: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> None:
    _providers[name] = provider


def work_clients_q(user: User) -> Q:
    """The clients of the open work assigned to ``user`` or her teams, as one filter (empty: none)."""
    q = Q(pk__in=[])
    for provider in _providers.values():
        q |= provider(user)
    return q
