"""Writes of webhook subscriptions, and the listener that turns careloop's events into outbox rows.

A delivery is a ``Message`` on the channel ``webhook`` (no client, the subscription in ``webhook``):
the dispatcher claims, sends, retries and logs it like any other message, minus the rules for people.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import uuid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.core import events
from careloop.messaging import wakeup
from careloop.messaging.models import (
    PENDING_STATUSES,
    WEBHOOK_TEST_EVENT,
    Channel,
    Message,
    Purpose,
    Status,
    Webhook,
)
from careloop.org.models import OrgUnit, User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import unit_in_subtree

SECRET_PREFIX = "whsec_"  # noqa: S105 - a visible prefix, not a secret


# --- validation --------------------------------------------------------------------------------
def is_private_host(host: str) -> bool:
    """Loopback, private or link-local by its literal form (names are checked again when sending)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False


def clean_url(raw: Any) -> str:
    """An https URL to a public host; http or a private host only with WEBHOOKS_ALLOW_PRIVATE (then http
    only to a loopback or private host). Raises ValidationError naming ``url``."""
    url = str(raw or "").strip()
    if not url or len(url) > 500:
        raise ValidationError({"url": _("Give the target URL (https://…, at most 500 characters).")})
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ValidationError({"url": _("The URL's port is not a number between 1 and 65535.")}) from None
    if parts.scheme not in {"http", "https"} or not parts.hostname or any(c.isspace() for c in url):
        raise ValidationError({"url": _("Give the target URL (https://…, at most 500 characters).")})
    if parts.username or parts.password or parts.fragment:
        raise ValidationError({"url": _("The URL may not carry a user, password or #fragment.")})
    private = is_private_host(parts.hostname)
    allowed = bool(settings.WEBHOOKS_ALLOW_PRIVATE)
    if private and not allowed:
        raise ValidationError({"url": _("Loopback and private addresses are not allowed as webhook targets.")})
    if parts.scheme == "http" and not (allowed and private):
        raise ValidationError({"url": _("Use https; http is allowed only to a loopback or private address, "
                                        "and only when the deployment allows it.")})
    return url


def clean_events(raw: Any) -> list[str]:
    if not isinstance(raw, list | tuple) or not raw or not all(isinstance(v, str) for v in raw):
        raise ValidationError({"events": _("Choose at least one event type.")})
    unknown = sorted({v for v in raw if not events.known(v)})
    if unknown:
        raise ValidationError({"events": _("Unknown event types: %(names)s.") % {"names": ", ".join(unknown)}})
    return sorted(set(raw))


def _clean(*, name: Any, url: Any, events_: Any, branch: Any, acting_user: User) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    clean: dict[str, Any] = {}
    text = str(name or "").strip()
    if not text or len(text) > 100:
        errors["name"] = _("Give a name of at most 100 characters.")
    clean["name"] = text
    for key, check, value in (("url", clean_url, url), ("events", clean_events, events_)):
        try:
            clean[key] = check(value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if not isinstance(branch, OrgUnit) or not unit_in_subtree(acting_user, branch):
        errors["branch"] = _("Choose a unit within your part of the organisation.")
    clean["branch"] = branch
    if errors:
        raise ValidationError(errors)
    return clean


def _require(user: Any) -> None:
    if not user_can(user, Cap.MANAGE_INTEGRATIONS):
        raise PermissionDenied(_("Only an administrator manages webhooks."))


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


# --- services ----------------------------------------------------------------------------------
@transaction.atomic
def webhook_create(*, name: Any, url: Any, events_: Any, branch: Any, active: bool = True,
                   acting_user: User) -> tuple[Webhook, str]:
    """A new subscription and its secret; the secret is returned once and never shown again."""
    _require(acting_user)
    data = _clean(name=name, url=url, events_=events_, branch=branch, acting_user=acting_user)
    secret = new_secret()
    hook = Webhook.objects.create(name=data["name"], url=data["url"], secret=secret, events=data["events"],
                                  branch=data["branch"], active=bool(active), created_by=acting_user)
    audit_record(actor=acting_user, action="webhook.create", obj=hook,
                 detail={"url": hook.url, "events": hook.events, "branch": hook.branch_id, "active": hook.active})
    return hook, secret


def _cancel_pending(hook: Webhook) -> int:
    return Message.objects.filter(webhook=hook, status__in=PENDING_STATUSES).update(
        status=Status.CANCELLED, cancelled_at=timezone.now(), cancel_reason="webhook_inactive",
        lease_owner="", lease_expires_at=None)


@transaction.atomic
def webhook_update(*, webhook: Webhook, acting_user: User, name: Any = None, url: Any = None, events_: Any = None,
                   branch: Any = None, active: bool | None = None) -> Webhook:
    """Change what is given (None keeps a value); switching off cancels the deliveries still waiting."""
    _require(acting_user)
    hook = Webhook.objects.select_for_update().select_related("branch").get(pk=webhook.pk)
    if not unit_in_subtree(acting_user, hook.branch):
        raise PermissionDenied(_("Only an administrator manages webhooks."))
    data = _clean(name=hook.name if name is None else name, url=hook.url if url is None else url,
                  events_=hook.events if events_ is None else events_,
                  branch=hook.branch if branch is None else branch, acting_user=acting_user)
    before = {"name": hook.name, "url": hook.url, "events": hook.events, "branch": hook.branch_id,
              "active": hook.active}
    hook.name, hook.url, hook.events, hook.branch = data["name"], data["url"], data["events"], data["branch"]
    if active is not None:
        hook.active = bool(active)
    hook.save(update_fields=["name", "url", "events", "branch", "active", "updated_at"])
    after = {"name": hook.name, "url": hook.url, "events": hook.events, "branch": hook.branch_id,
             "active": hook.active}
    cancelled = _cancel_pending(hook) if not hook.active else 0
    audit_record(actor=acting_user, action="webhook.update", obj=hook,
                 detail={"changed": {k: [before[k], after[k]] for k in after if before[k] != after[k]},
                         "cancelled": cancelled})
    return hook


@transaction.atomic
def webhook_deactivate(*, webhook: Webhook, acting_user: User) -> Webhook:
    _require(acting_user)
    hook = Webhook.objects.select_for_update().select_related("branch").get(pk=webhook.pk)
    if not unit_in_subtree(acting_user, hook.branch):
        raise PermissionDenied(_("Only an administrator manages webhooks."))
    hook.active = False
    hook.save(update_fields=["active", "updated_at"])
    cancelled = _cancel_pending(hook)
    audit_record(actor=acting_user, action="webhook.deactivate", obj=hook, detail={"cancelled": cancelled})
    return hook


@transaction.atomic
def webhook_rotate_secret(*, webhook: Webhook, acting_user: User) -> tuple[Webhook, str]:
    """A new secret (returned once); deliveries still waiting are signed with it when they go out."""
    _require(acting_user)
    hook = Webhook.objects.select_for_update().select_related("branch").get(pk=webhook.pk)
    if not unit_in_subtree(acting_user, hook.branch):
        raise PermissionDenied(_("Only an administrator manages webhooks."))
    secret = new_secret()
    hook.secret, hook.secret_rotated_at = secret, timezone.now()
    hook.save(update_fields=["secret", "secret_rotated_at", "updated_at"])
    audit_record(actor=acting_user, action="webhook.rotate_secret", obj=hook)
    return hook, secret


def _queue(hook: Webhook, event_type: str, body: dict[str, Any], *, acting_user: User | None = None) -> Message:
    now = timezone.now()
    return Message.objects.create(
        client=None, channel=Channel.WEBHOOK, purpose=Purpose.WEBHOOK_EVENT, consent_purpose="",
        subject=event_type, body=json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")),
        requested_at=now, scheduled_at=now, next_attempt_at=now, cause=f"event:{body['id']}"[:120],
        created_by=acting_user, webhook=hook, delivery_id=uuid.uuid4())


def event_body(*, event_id: str, event_type: str, occurred_at: Any, branch_id: int | None,
               data: dict[str, Any]) -> dict[str, Any]:
    """The JSON every delivery carries; ``occurred_at`` in local time with its offset (+08:00)."""
    return {"id": event_id, "type": event_type, "branch": branch_id, "data": data,
            "occurred_at": timezone.localtime(occurred_at).isoformat(timespec="seconds")}


@transaction.atomic
def webhook_send_test(*, webhook: Webhook, acting_user: User) -> Message:
    """Queue a ``webhook.test`` delivery, whether or not the subscription is active (to check a receiver)."""
    _require(acting_user)
    hook = Webhook.objects.select_related("branch").get(pk=webhook.pk)
    if not unit_in_subtree(acting_user, hook.branch):
        raise PermissionDenied(_("Only an administrator manages webhooks."))
    body = event_body(event_id=str(uuid.uuid4()), event_type=WEBHOOK_TEST_EVENT, occurred_at=timezone.now(),
                      branch_id=hook.branch_id, data={"webhook": hook.pk})
    message = _queue(hook, WEBHOOK_TEST_EVENT, body, acting_user=acting_user)
    audit_record(actor=acting_user, action="webhook.test", obj=hook, detail={"message": message.pk})
    transaction.on_commit(wakeup.wake)
    return message


# --- the listener ------------------------------------------------------------------------------
def on_event(event: events.Event) -> None:
    """Queue one delivery per active subscription that wants ``event`` and covers its branch.

    Runs in the emitting service's transaction: the rows commit with the change, and the dispatcher is
    woken after commit. Inactive subscriptions get nothing.
    """
    if event.branch_id is None:
        return
    hooks = [h for h in Webhook.objects.filter(active=True).select_related("branch") if event.type in h.events]
    if not hooks:
        return
    path = OrgUnit.objects.filter(pk=event.branch_id).values_list("path", flat=True).first()
    if path is None:
        return
    hooks = [h for h in hooks if h.branch_id == event.branch_id or path.startswith(h.branch.path)]
    if not hooks:
        return
    body = event_body(event_id=event.id, event_type=event.type, occurred_at=event.occurred_at,
                      branch_id=event.branch_id, data=event.build())
    for hook in hooks:
        _queue(hook, event.type, body)
    transaction.on_commit(wakeup.wake)
