"""Reads of careloop.messaging: client history, the API list, operations figures."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.clients.selectors import clients_visible_to
from careloop.messaging.models import Channel, Message, MessageTemplate, Purpose, Status, Webhook
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import subtree_q


def messages_for_client(client: Any) -> QuerySet[Message]:
    """The client's messages, newest first (for the client page and timeline)."""
    return Message.objects.filter(client=client).order_by("-created_at", "-id")


def messages_visible_to(user: Any) -> QuerySet[Message]:
    """Messages of the clients ``user`` may see; administrators of messaging see their scope too."""
    if not user_can(user, Cap.VIEW_CLIENTS):
        return Message.objects.none()
    return Message.objects.filter(client__in=clients_visible_to(user)).select_related("client")


def timeline_entries(client: Any, user: Any) -> Iterable[Any]:
    from careloop.clients.timeline import TimelineEntry

    if not user_can(user, Cap.VIEW_CLIENTS):
        return []
    entries = []
    for message in messages_for_client(client)[:100]:
        title = _("%(channel)s · %(purpose)s · %(status)s") % {
            "channel": Channel(message.channel).label,
            "purpose": Purpose(message.purpose).label,
            "status": Status(message.status).label,
        }
        entries.append(TimelineEntry(message.created_at, "message", title, message.body[:120]))
    return entries


@dataclass(frozen=True)
class QueueHealth:
    depth: int  # queued or failed, due or not
    due_now: int
    oldest_queued_at: datetime | None
    sending: int
    unknown: int
    dead: int
    by_status: dict[str, int]

    @property
    def oldest_age_seconds(self) -> int | None:
        if self.oldest_queued_at is None:
            return None
        return max(0, int((timezone.now() - self.oldest_queued_at).total_seconds()))


def queue_health() -> QueueHealth:
    now = timezone.now()
    by_status = dict(Message.objects.values_list("status").annotate(n=Count("id")).order_by())
    waiting = Message.objects.filter(status__in=[Status.QUEUED, Status.FAILED])
    figures = waiting.aggregate(
        oldest=Min("next_attempt_at", filter=Q(next_attempt_at__lte=now)),
        due=Count("id", filter=Q(next_attempt_at__lte=now)),
    )
    return QueueHealth(
        depth=by_status.get(Status.QUEUED, 0) + by_status.get(Status.FAILED, 0),
        due_now=figures["due"] or 0,
        oldest_queued_at=figures["oldest"],
        sending=by_status.get(Status.SENDING, 0),
        unknown=by_status.get(Status.UNKNOWN, 0),
        dead=by_status.get(Status.DEAD, 0),
        by_status=by_status,
    )


def dead_letters() -> QuerySet[Message]:
    return (Message.objects.filter(status__in=[Status.DEAD, Status.UNKNOWN])
            .select_related("client", "webhook").order_by("-id"))


def templates_current() -> QuerySet[MessageTemplate]:
    return MessageTemplate.objects.filter(is_active=True).order_by("purpose", "channel")


# --- webhooks ----------------------------------------------------------------------------------
def webhooks_visible_to(user: Any) -> QuerySet[Webhook]:
    """Subscriptions an administrator may manage: those scoped to a unit of their subtree."""
    if not user_can(user, Cap.MANAGE_INTEGRATIONS):
        return Webhook.objects.none()
    return Webhook.objects.filter(subtree_q(user)).select_related("branch", "created_by").order_by("name", "id")


def webhook_for(user: Any, pk: int) -> Webhook:
    """The subscription, or PermissionDenied without the capability, Http404 outside the scope."""
    if not user_can(user, Cap.MANAGE_INTEGRATIONS):
        raise PermissionDenied(_("Only an administrator manages webhooks."))
    if pk > 2**63 - 1:
        raise Http404
    return get_object_or_404(webhooks_visible_to(user), pk=pk)


def webhook_deliveries(webhook: Webhook) -> QuerySet[Message]:
    """The delivery log: newest first, with each delivery's attempts."""
    return (Message.objects.filter(webhook=webhook).prefetch_related("webhook_attempts")
            .order_by("-created_at", "-id"))
