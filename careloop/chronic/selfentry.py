"""The client's own entry through a personal link: a signed, expiring token naming one client (no login).

The token signs the link's id and nonce (django.core.signing, salted); the link row can be revoked
and carries its expiry. Entries are rate-limited per link from the logs already written.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.chronic.models import LogSource, MonitoringLog, SelfEntryLink
from careloop.chronic.permissions import can_write
from careloop.chronic.services import LogResult, monitoring_log_create
from careloop.clients.models import Client
from careloop.org.models import User


class RateLimited(ValidationError):
    """Too many entries through one link in the last hour."""


SALT = "careloop.chronic.self-entry"
LINK_DAYS = 90
PER_HOUR = 6  # entries per link per hour


@transaction.atomic
def self_entry_link_create(*, client: Client, acting_user: User, days: int = LINK_DAYS) -> tuple[SelfEntryLink, str]:
    """A new personal link for the client (earlier ones are revoked); returns the link and its token."""
    if not can_write(acting_user):
        raise PermissionDenied(_("Your role does not allow recording monitoring."))
    if not 1 <= days <= 366:
        raise ValidationError({"days": _("Between 1 and 366 days.")})
    SelfEntryLink.objects.filter(client=client, revoked=False).update(revoked=True)
    link = SelfEntryLink.objects.create(client=client, nonce=secrets.token_hex(8), created_by=acting_user,
                                        expires_at=timezone.now() + dt.timedelta(days=days))
    audit_record(actor=acting_user, action="chronic.self_link_create", obj=link, client=client,
                 detail={"expires": link.expires_at.isoformat()})
    return link, signing.dumps({"l": link.pk, "n": link.nonce}, salt=SALT, compress=True)


def link_from_token(token: str) -> SelfEntryLink | None:
    """The valid link a token names, or None (bad signature, revoked, expired)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=dt.timedelta(days=366))
    except signing.BadSignature:
        return None
    link = SelfEntryLink.objects.filter(pk=data.get("l"), nonce=data.get("n")).select_related("client").first()
    if link is None or link.revoked or link.expires_at <= timezone.now():
        return None
    return link


@transaction.atomic
def self_entry_submit(*, link: SelfEntryLink, at: dt.datetime, readings: dict[str, Any], diet: str = "",
                      exercise: str = "", medication: str = "") -> LogResult:
    since = timezone.now() - dt.timedelta(hours=1)
    recent = MonitoringLog.objects.filter(client=link.client, source=LogSource.CLIENT, created_at__gte=since).count()
    if recent >= PER_HOUR:
        raise RateLimited({"at": _("Too many entries in the last hour. Please try again later.")})
    return monitoring_log_create(client=link.client, at=at, readings=readings, diet=diet, exercise=exercise,
                                 medication=medication, source=LogSource.CLIENT, acting_user=None)
