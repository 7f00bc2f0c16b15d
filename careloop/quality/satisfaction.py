"""The client-satisfaction component of a training score (seed 000 §8: 客户满意度评价).

The service desk owns satisfaction surveys. When it is installed, quality reads its published
``careloop.servicedesk.selectors.staff_scores`` (mean satisfaction 1–5 per staff member); otherwise
the component is "not available" and the score is made of the other components only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from django.apps import apps

Provider = Callable[[int, date, date], float | None]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def available() -> bool:
    return bool(_providers)


def staff_satisfaction(staff_id: int, start: date, end: date) -> Decimal | None:
    """The staff member's client satisfaction in the period on 0–100, or None when not available."""
    for provider in _providers:
        mean = provider(staff_id, start, end)
        if mean is not None:
            return (Decimal(str(mean)) - 1) * 25
    return None


def servicedesk_provider(staff_id: int, start: date, end: date) -> float | None:
    from careloop.servicedesk.selectors import staff_scores  # type: ignore[import-not-found]

    for row in staff_scores(start=start, end=end):
        if row.staff_id == staff_id:
            return row.satisfaction  # type: ignore[no-any-return]
    return None


def register_servicedesk_if_installed() -> None:
    if apps.is_installed("careloop.servicedesk"):
        register(servicedesk_provider)
