"""Messaging policy: which consent a purpose needs, and the tunable numbers.

Every number is a Django setting (``MESSAGING_*``) with an environment fallback
(``CARELOOP_MESSAGING_*``) and the default given here; docs/messaging.md lists them.
"""

from __future__ import annotations

from datetime import tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings

from careloop.messaging.models import Purpose
from careloop.messaging.scheduling import QuietHours

# Consent purpose each message purpose needs (clients' Consent purposes: health_data/reminders/marketing).
# Service messages — reports, follow-up notices, appointments, surveys, the notice of a change to the client's
# own health plan — count as reminders; tips, newsletters and offers are marketing.
CONSENT_FOR_PURPOSE: dict[str, str] = {
    Purpose.REPORT_READY: "reminders",
    Purpose.FOLLOWUP_NOTICE: "reminders",
    Purpose.RECHECK_REMINDER: "reminders",
    Purpose.MEDICATION_REMINDER: "reminders",
    Purpose.MONITORING_REMINDER: "reminders",
    Purpose.HEALTH_REMINDER: "reminders",  # a follow-up rule's upkeep reminder (FU-6 tier B): not marketing
    Purpose.APPOINTMENT_CONFIRMATION: "reminders",
    Purpose.APPOINTMENT_REMINDER: "reminders",
    Purpose.SATISFACTION_SURVEY: "reminders",
    Purpose.PLAN_CHANGE_NOTICE: "reminders",
    Purpose.HEALTH_TIPS: "marketing",
    Purpose.NEWSLETTER: "marketing",
    Purpose.OFFER: "marketing",
    Purpose.EVENT_INVITATION: "marketing",  # salons and community events (crm, seed 002 tiers A and C)
}
MARKETING_PURPOSES = frozenset(p for p, c in CONSENT_FOR_PURPOSE.items() if c == "marketing")
# Reminder types a client may subscribe to or cancel (MSG-3); the rest are service messages.
SUBSCRIBABLE_PURPOSES = frozenset({
    Purpose.RECHECK_REMINDER,
    Purpose.MEDICATION_REMINDER,
    Purpose.MONITORING_REMINDER,
    Purpose.HEALTH_REMINDER,
    Purpose.APPOINTMENT_REMINDER,
    Purpose.HEALTH_TIPS,
    Purpose.NEWSLETTER,
    Purpose.OFFER,
    Purpose.EVENT_INVITATION,
})

# Choices for APIs (sorted; named in the OpenAPI enum overrides as MessageSubscriptionPurposeEnum).
SUBSCRIBABLE_CHOICES = [(p.value, p.label) for p in sorted(SUBSCRIBABLE_PURPOSES, key=lambda p: p.value)]


def local_tz() -> tzinfo:
    return ZoneInfo(settings.TIME_ZONE)


def quiet_hours() -> QuietHours | None:
    return QuietHours.parse(str(settings.MESSAGING_QUIET_HOURS))


def quiet_channels() -> frozenset[str]:
    return frozenset(str(v) for v in settings.MESSAGING_QUIET_CHANNELS)


def daily_cap() -> int:
    """Messages per client per local day, all channels but letters; 0 turns the cap off."""
    return int(settings.MESSAGING_DAILY_CAP)


def max_attempts() -> int:
    return int(settings.MESSAGING_MAX_ATTEMPTS)


def retry_base_seconds() -> float:
    return float(settings.MESSAGING_RETRY_BASE_SECONDS)


def retry_cap_seconds() -> float:
    return float(settings.MESSAGING_RETRY_CAP_SECONDS)


def lease_seconds() -> int:
    return int(settings.MESSAGING_LEASE_SECONDS)


def unknown_grace_seconds() -> int:
    """How long an ``unknown`` row waits for a receipt before it may be sent again."""
    return int(settings.MESSAGING_UNKNOWN_GRACE_SECONDS)


def subscription_changes_per_year() -> int:
    """PLN-2 default; a client's plan may set its own (see ``subscription_change_quota``)."""
    return int(settings.MESSAGING_SUBSCRIPTION_CHANGES_PER_YEAR)
