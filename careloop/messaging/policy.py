"""Messaging policy: which consent a purpose needs, and the tunable numbers.

Every number is a Django setting (``MESSAGING_*``) with an environment fallback
(``CARELOOP_MESSAGING_*``) and the default given here; docs/messaging.md lists them.
"""

from __future__ import annotations

from datetime import tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings

from careloop.lib.envsettings import env_int, env_list, env_str
from careloop.messaging.models import Channel, Purpose
from careloop.messaging.scheduling import QuietHours

# Consent purpose each message purpose needs (clients' Consent purposes: health_data/reminders/marketing).
# Service messages — reports, follow-up notices, appointments, surveys — count as reminders.
CONSENT_FOR_PURPOSE: dict[str, str] = {
    Purpose.REPORT_READY: "reminders",
    Purpose.FOLLOWUP_NOTICE: "reminders",
    Purpose.RECHECK_REMINDER: "reminders",
    Purpose.MEDICATION_REMINDER: "reminders",
    Purpose.MONITORING_REMINDER: "reminders",
    Purpose.APPOINTMENT_CONFIRMATION: "reminders",
    Purpose.APPOINTMENT_REMINDER: "reminders",
    Purpose.SATISFACTION_SURVEY: "reminders",
    Purpose.HEALTH_TIPS: "marketing",
    Purpose.NEWSLETTER: "marketing",
    Purpose.OFFER: "marketing",
}
MARKETING_PURPOSES = frozenset(p for p, c in CONSENT_FOR_PURPOSE.items() if c == "marketing")
# Reminder types a client may subscribe to or cancel (MSG-3); the rest are service messages.
SUBSCRIBABLE_PURPOSES = frozenset({
    Purpose.RECHECK_REMINDER,
    Purpose.MEDICATION_REMINDER,
    Purpose.MONITORING_REMINDER,
    Purpose.APPOINTMENT_REMINDER,
    Purpose.HEALTH_TIPS,
    Purpose.NEWSLETTER,
    Purpose.OFFER,
})

# Choices for APIs (sorted; named in the OpenAPI enum overrides as MessageSubscriptionPurposeEnum).
SUBSCRIBABLE_CHOICES = [(p.value, p.label) for p in sorted(SUBSCRIBABLE_PURPOSES, key=lambda p: p.value)]


def _setting(name: str, default: object) -> object:
    return getattr(settings, name, default)


def local_tz() -> tzinfo:
    return ZoneInfo(settings.TIME_ZONE)


def quiet_hours() -> QuietHours | None:
    text = _setting("MESSAGING_QUIET_HOURS", env_str("CARELOOP_MESSAGING_QUIET_HOURS", "21:00-08:00"))
    return QuietHours.parse(str(text))


def quiet_channels() -> frozenset[str]:
    value = _setting("MESSAGING_QUIET_CHANNELS",
                     env_list("CARELOOP_MESSAGING_QUIET_CHANNELS", [Channel.SMS, Channel.WECHAT]))
    return frozenset(str(v) for v in value)  # type: ignore[attr-defined]


def daily_cap() -> int:
    """Messages per client per local day, all channels but letters; 0 turns the cap off."""
    return int(_setting("MESSAGING_DAILY_CAP", env_int("CARELOOP_MESSAGING_DAILY_CAP", 3, minimum=0)))  # type: ignore[call-overload]


def max_attempts() -> int:
    return int(_setting("MESSAGING_MAX_ATTEMPTS", env_int("CARELOOP_MESSAGING_MAX_ATTEMPTS", 8, minimum=1)))  # type: ignore[call-overload]


def retry_base_seconds() -> float:
    return float(_setting("MESSAGING_RETRY_BASE_SECONDS", env_int("CARELOOP_MESSAGING_RETRY_BASE_SECONDS", 30)))  # type: ignore[arg-type]


def retry_cap_seconds() -> float:
    return float(_setting("MESSAGING_RETRY_CAP_SECONDS", env_int("CARELOOP_MESSAGING_RETRY_CAP_SECONDS", 3600)))  # type: ignore[arg-type]


def lease_seconds() -> int:
    return int(_setting("MESSAGING_LEASE_SECONDS", env_int("CARELOOP_MESSAGING_LEASE_SECONDS", 60, minimum=1)))  # type: ignore[call-overload]


def unknown_grace_seconds() -> int:
    """How long an ``unknown`` row waits for a receipt before it may be sent again."""
    return int(_setting("MESSAGING_UNKNOWN_GRACE_SECONDS",  # type: ignore[call-overload]
                        env_int("CARELOOP_MESSAGING_UNKNOWN_GRACE_SECONDS", 600, minimum=0)))


def subscription_changes_per_year() -> int:
    """PLN-2 default; a client's plan may set its own (see ``subscription_change_quota``)."""
    return int(_setting("MESSAGING_SUBSCRIPTION_CHANGES_PER_YEAR",  # type: ignore[call-overload]
                        env_int("CARELOOP_MESSAGING_SUBSCRIPTION_CHANGES_PER_YEAR", 4, minimum=0)))
