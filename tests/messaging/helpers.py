"""Arranging helpers for messaging tests."""

from __future__ import annotations

from django.utils import timezone

from careloop.clients.models import Consent


def consent(client, purpose: str = "reminders", granted: bool = True, at=None) -> Consent:
    return Consent.objects.create(client=client, purpose=purpose, granted=granted, given_at=at or timezone.now())
