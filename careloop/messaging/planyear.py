"""The plan year of a client, for the subscription-change quota (MSG-3, PLN-2).

messaging does not know plans; careloop.plans registers a provider here in its AppConfig.ready().
A provider is ``callable(client, day) -> PlanYear | None`` (None: the client holds no plan that day,
and the calendar year with the default quota applies).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone


@dataclass(frozen=True)
class PlanYear:
    start: dt.date
    end: dt.date  # inclusive
    quota: int | None  # subscription changes allowed in this plan year; None = unlimited


Provider = Callable[[Any, dt.date], "PlanYear | None"]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def plan_year_for(client: Any, day: dt.date) -> PlanYear | None:
    for provider in _providers:
        found = provider(client, day)
        if found is not None:
            return found
    return None


def start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def subscription_changes_since(client: Any, day: dt.date) -> int:
    """Counted subscription changes of ``client`` from the start of ``day``."""
    from careloop.messaging.models import SubscriptionChange

    return SubscriptionChange.objects.filter(client=client, counted=True, at__gte=start_of_day(day)).count()
