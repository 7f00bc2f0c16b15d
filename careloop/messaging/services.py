"""Writes of careloop.messaging: enqueue, cancel, resend, receipts, subscriptions.

Every function here is atomic and audited. Sending itself lives in ``dispatcher``; the outbox row is
the only hand-off between the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.clients.models import ClientStatus, ConsentPurpose
from careloop.clients.services import consent_current
from careloop.messaging import planyear, policy, wakeup
from careloop.messaging.models import (
    PENDING_STATUSES,
    PEOPLE_CHANNELS,
    PEOPLE_PURPOSES,
    Channel,
    DeliveryReceipt,
    Message,
    MessageTemplate,
    Purpose,
    Status,
    Subscription,
    SubscriptionChange,
    WeChatBinding,
)
from careloop.messaging.rendering import TemplateContextError, render_text
from careloop.messaging.scheduling import plan_send_time
from careloop.messaging.segments import count_segments
from careloop.org.models import User

INACTIVE_CLIENT_STATUSES = frozenset({ClientStatus.DECEASED})
OPTED_OUT_CLIENT_STATUSES = frozenset({ClientStatus.OPTED_OUT})


@dataclass(frozen=True)
class EnqueueResult:
    """``message`` is the queued row, or None when ``refused`` (a short code) says why not."""

    message: Message | None
    refused: str | None = None
    reason: str = ""

    @property
    def queued(self) -> bool:
        return self.message is not None


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    segments: int
    template: MessageTemplate


# --- recipients and context ------------------------------------------------------------------
def recipient_address(client: Any, channel: str) -> str:
    """Where ``channel`` reaches ``client``; empty when it cannot."""
    if channel == Channel.SMS:
        return str(getattr(client, "phone", "") or "")
    if channel == Channel.EMAIL:
        return str(getattr(client, "email", "") or "")
    if channel == Channel.WECHAT:
        binding = WeChatBinding.objects.filter(client=client).only("openid").first()
        return binding.openid if binding else ""
    if channel == Channel.LETTER:
        return str(getattr(client, "address", "") or "")
    return ""


def client_context(client: Any) -> dict[str, Any]:
    """Variables every template may use without the caller passing them."""
    sex = getattr(client, "sex", "")
    branch = getattr(client, "branch", None)
    return {
        "name": getattr(client, "name", ""),
        "title": {"male": "先生", "female": "女士"}.get(sex, ""),
        "centre": getattr(branch, "name", "") if branch is not None else "",
        "today": timezone.localdate(),
    }


def active_template(purpose: str, channel: str) -> MessageTemplate | None:
    return MessageTemplate.objects.filter(purpose=purpose, channel=channel, is_active=True).first()


def render_message(template: MessageTemplate, client: Any, context: dict[str, Any] | None) -> Rendered:
    values = {**client_context(client), **(context or {})}
    body = render_text(template.body, values)
    subject = render_text(template.subject, values) if template.subject else ""
    segments = 0
    if template.channel == Channel.SMS:
        body = f"{template.sms_signature}{body}"
        segments = count_segments(body).segments
    return Rendered(subject=subject, body=body, segments=segments, template=template)


# --- scheduling --------------------------------------------------------------------------------
def _count_on_day(client: Any, tz: Any) -> Any:
    def count(day: date) -> int:
        start = datetime.combine(day, datetime.min.time(), tzinfo=tz)
        return (
            Message.objects.filter(client=client, scheduled_at__gte=start, scheduled_at__lt=start + timedelta(days=1))
            .exclude(status__in=[Status.CANCELLED, Status.DEAD])
            .exclude(channel=Channel.LETTER)
            .count()
        )

    return count


def plan_for(client: Any, channel: str, requested: datetime) -> datetime:
    tz = policy.local_tz()
    quiet = policy.quiet_hours() if channel in policy.quiet_channels() else None
    cap = policy.daily_cap() if channel != Channel.LETTER else 0
    return plan_send_time(requested=requested, quiet=quiet, tz=tz, daily_cap=cap,
                          count_on_day=_count_on_day(client, tz))


# --- consent and subscriptions -----------------------------------------------------------------
def is_subscribed(client: Any, purpose: str) -> bool:
    if purpose not in policy.SUBSCRIBABLE_PURPOSES:
        return True
    row = Subscription.objects.filter(client=client, purpose=purpose).only("active").first()
    return row.active if row is not None else True


def refusal_for(
    client: Any,
    purpose: str,
    channel: str,
    *,
    consented: bool | None = None,
    subscribed: bool | None = None,
    address: str | None = None,
) -> tuple[str, str] | None:
    """(code, reason) when ``client`` may not get this message now, else None.

    ``consented``, ``subscribed`` and ``address`` may be given when the caller already loaded them
    (the dispatcher annotates a whole chunk in one query); otherwise they are looked up.
    """
    status = getattr(client, "status", "")
    if status in INACTIVE_CLIENT_STATUSES:
        return "client_inactive", _("The client's status (%(status)s) stops all messages.") % {
            "status": ClientStatus(status).label}
    consent_purpose = policy.CONSENT_FOR_PURPOSE[purpose]
    if status in OPTED_OUT_CLIENT_STATUSES:
        return "opted_out", _("The client opted out of the service.")
    if consented is None:
        consented = consent_current(client, consent_purpose)
    if not consented:
        return "no_consent", _("The client has not given consent for: %(purpose)s.") % {
            "purpose": ConsentPurpose(consent_purpose).label}
    if purpose in policy.SUBSCRIBABLE_PURPOSES:
        if subscribed is None:
            subscribed = is_subscribed(client, purpose)
        if not subscribed:
            if purpose in policy.MARKETING_PURPOSES:
                return "opted_out", _("The client opted out of marketing messages.")
            return "unsubscribed", _("The client cancelled this reminder type: %(purpose)s.") % {
                "purpose": Purpose(purpose).label}
    if not (recipient_address(client, channel) if address is None else address):
        return "no_contact", _("The client has no address for the %(channel)s channel.") % {
            "channel": Channel(channel).label}
    return None


def _validate_codes(purpose: str, channel: str) -> None:
    errors = {}
    if purpose not in PEOPLE_PURPOSES:
        errors["purpose"] = _("Unknown purpose %(value)s.") % {"value": purpose}
    if channel not in PEOPLE_CHANNELS:
        errors["channel"] = _("Unknown channel %(value)s.") % {"value": channel}
    if errors:
        raise ValidationError(errors)


def wake_dispatcher() -> None:
    """Nudge the dispatcher; called after commit so it never sees a row that may roll back."""
    wakeup.wake()


# --- enqueue -----------------------------------------------------------------------------------
@transaction.atomic
def message_enqueue(
    *,
    client: Any,
    purpose: str,
    channel: str = Channel.SMS,
    context: dict[str, Any] | None = None,
    scheduled_at: datetime | None = None,
    cause: str = "",
    acting_user: User | None = None,
) -> EnqueueResult:
    """Write the outbox row for one message in the caller's transaction, or say why not.

    Consent, subscription and contact are checked now and again just before sending; quiet hours and
    the daily cap move ``scheduled_at`` later, never drop the message. Unknown purpose or channel and a
    template variable without a value raise ``ValidationError``.
    """
    _validate_codes(purpose, channel)
    if scheduled_at is not None and timezone.is_naive(scheduled_at):
        raise ValidationError({"scheduled_at": _("Give a time with its UTC offset.")})
    refusal = refusal_for(client, purpose, channel)
    template = active_template(purpose, channel) if refusal is None else None
    if refusal is None and template is None:
        refusal = ("no_template", _("No active template for %(purpose)s by %(channel)s.") % {
            "purpose": Purpose(purpose).label, "channel": Channel(channel).label})
    if refusal is not None:
        code, reason = refusal
        audit_record(actor=acting_user, action="message.refused", client=client, result="refused",
                     detail={"purpose": purpose, "channel": channel, "code": code, "cause": cause})
        return EnqueueResult(message=None, refused=code, reason=reason)
    assert template is not None
    try:
        rendered = render_message(template, client, context)
    except TemplateContextError as exc:
        raise ValidationError({"context": _("Missing template variables: %(names)s.") % {
            "names": ", ".join(exc.missing)}}) from exc
    now = timezone.now()
    requested = max(scheduled_at or now, now)
    planned = plan_for(client, channel, requested)
    message = Message.objects.create(
        client=client,
        channel=channel,
        purpose=purpose,
        consent_purpose=policy.CONSENT_FOR_PURPOSE[purpose],
        template=template,
        template_version=template.version,
        subject=rendered.subject,
        body=rendered.body,
        segments=rendered.segments,
        requested_at=requested,
        scheduled_at=planned,
        next_attempt_at=planned,
        cause=cause[:120],
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    audit_record(actor=acting_user, action="message.enqueue", obj=message, client=client,
                 detail={"purpose": purpose, "channel": channel, "scheduled_at": planned.isoformat(),
                         "postponed": planned != requested, "cause": cause})
    transaction.on_commit(wake_dispatcher)
    return EnqueueResult(message=message)


# --- staff actions -----------------------------------------------------------------------------
@transaction.atomic
def message_cancel(*, message: Message, reason: str, acting_user: User) -> Message:
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the message is cancelled.")})
    locked = Message.objects.select_for_update().get(pk=message.pk)
    if locked.status not in (*PENDING_STATUSES, Status.DEAD, Status.UNKNOWN):
        raise ValidationError({"status": _("A %(status)s message cannot be cancelled.") % {
            "status": locked.get_status_display()}})
    locked.status = Status.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.cancel_reason = reason.strip()[:200]
    locked.lease_owner, locked.lease_expires_at = "", None
    locked.save(update_fields=["status", "cancelled_at", "cancel_reason", "lease_owner", "lease_expires_at"])
    audit_record(actor=acting_user, action="message.cancel", obj=locked, client=locked.client,
                 detail={"reason": locked.cancel_reason})
    return locked


@transaction.atomic
def message_resend(*, message: Message, reason: str, acting_user: User) -> Message:
    """Put a dead (or unknown) message back in the queue; consent is checked again."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the message is sent again.")})
    locked = Message.objects.select_for_update(of=("self",)).select_related("client").get(pk=message.pk)
    if locked.status not in (Status.DEAD, Status.UNKNOWN):
        raise ValidationError({"status": _("Only dead or unknown messages can be resent.")})
    now = timezone.now()
    if locked.channel == Channel.WEBHOOK:
        planned = now  # an integrator's system: no consent, quiet hours or cap
    else:
        refusal = refusal_for(locked.client, locked.purpose, locked.channel)
        if refusal is not None:
            raise ValidationError({"client": refusal[1]})
        planned = plan_for(locked.client, locked.channel, now)
    locked.possible_duplicate = locked.possible_duplicate or locked.status == Status.UNKNOWN
    locked.status = Status.QUEUED
    locked.attempts = 0
    locked.scheduled_at = locked.next_attempt_at = planned
    locked.lease_owner, locked.lease_expires_at, locked.unknown_since = "", None, None
    locked.last_error = ""
    locked.save(update_fields=["status", "attempts", "scheduled_at", "next_attempt_at", "lease_owner",
                               "lease_expires_at", "unknown_since", "last_error", "possible_duplicate"])
    audit_record(actor=acting_user, action="message.resend", obj=locked, client=locked.client,
                 detail={"reason": reason.strip()[:200]})
    transaction.on_commit(wake_dispatcher)
    return locked


def _cancel_pending(qs: Any, *, reason: str) -> int:
    return qs.filter(status__in=PENDING_STATUSES).update(
        status=Status.CANCELLED, cancelled_at=timezone.now(), cancel_reason=reason[:200],
        lease_owner="", lease_expires_at=None)


@transaction.atomic
def messages_cancel_for_consent(*, client: Any, consent_purpose: str, acting_user: User) -> int:
    """Cancel every pending message that needs ``consent_purpose``; for the consent-withdrawal service."""
    count = _cancel_pending(Message.objects.filter(client=client, consent_purpose=consent_purpose),
                            reason="consent withdrawn")
    if count:
        audit_record(actor=acting_user, action="message.cancel_for_consent", client=client,
                     detail={"consent_purpose": consent_purpose, "cancelled": count})
    return count


# Messages that carry health results: withdrawing consent to health-data processing cancels them.
RESULT_BEARING_PURPOSES = (Purpose.REPORT_READY, Purpose.RECHECK_REMINDER, Purpose.PLAN_CHANGE_NOTICE)


@transaction.atomic
def messages_cancel_for_client(*, client: Any, reason: str, purposes: tuple[str, ...] | None = None,
                               acting_user: User) -> int:
    """Cancel the client's pending messages (all, or of ``purposes``) with the reason; for status changes."""
    qs = Message.objects.filter(client=client)
    if purposes is not None:
        qs = qs.filter(purpose__in=purposes)
    count = _cancel_pending(qs, reason=reason)
    if count:
        audit_record(actor=acting_user, action="message.cancel_for_client", client=client,
                     detail={"reason": reason, "purposes": list(purposes or []), "cancelled": count})
    return count


# --- subscriptions -----------------------------------------------------------------------------
def plan_year_start(client: Any, when: datetime) -> datetime:
    """Start of the client's plan year containing ``when`` (planyear registry); else the calendar year."""
    local = timezone.localtime(when)
    year = planyear.plan_year_for(client, local.date())
    if year is not None:
        return planyear.start_of_day(year.start)
    return local.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)


def subscription_change_quota(client: Any, when: datetime | None = None) -> int | None:
    """The plan's quota for the plan year containing ``when`` (None = unlimited); else the default."""
    year = planyear.plan_year_for(client, timezone.localdate(when or timezone.now()))
    if year is not None:
        return year.quota
    return policy.subscription_changes_per_year()


def subscription_changes_used(client: Any, when: datetime) -> int:
    return SubscriptionChange.objects.filter(client=client, counted=True,
                                             at__gte=plan_year_start(client, when)).count()


@transaction.atomic
def subscription_set(*, client: Any, purpose: str, active: bool, acting_user: User) -> Subscription:
    """Subscribe to or cancel one reminder type, counted against the yearly change quota.

    Cancelling a marketing purpose is an opt-out: always allowed, never counted, and its pending
    messages are cancelled at once.
    """
    if purpose not in policy.SUBSCRIBABLE_PURPOSES:
        raise ValidationError({"purpose": _("%(purpose)s is not a reminder type one can subscribe to.") % {
            "purpose": purpose}})
    now = timezone.now()
    current = Subscription.objects.select_for_update().filter(client=client, purpose=purpose).first()
    was_active = current.active if current is not None else True
    if current is not None and was_active == active:
        return current
    opt_out = purpose in policy.MARKETING_PURPOSES and not active
    if current is None and active:
        current = Subscription.objects.create(client=client, purpose=purpose, active=True, changed_at=now)
        return current
    if not opt_out:
        quota = subscription_change_quota(client, now)
        used = subscription_changes_used(client, now)
        if quota is not None and used >= quota:
            audit_record(actor=acting_user, action="subscription.refused", client=client, result="refused",
                         detail={"purpose": purpose, "active": active, "used": used, "quota": quota})
            raise ValidationError({"purpose": _(
                "The client has used all %(quota)d subscription changes of this plan year.") % {"quota": quota}})
    if current is None:
        current = Subscription.objects.create(client=client, purpose=purpose, active=active, changed_at=now)
    else:
        current.active, current.changed_at = active, now
        current.save(update_fields=["active", "changed_at"])
    SubscriptionChange.objects.create(client=client, purpose=purpose, active=active, counted=not opt_out, at=now,
                                      by=acting_user if getattr(acting_user, "pk", None) else None)
    cancelled = 0
    if not active:
        cancelled = _cancel_pending(Message.objects.filter(client=client, purpose=purpose),
                                    reason="opted out" if opt_out else "unsubscribed")
    audit_record(actor=acting_user, action="subscription.change", client=client,
                 detail={"purpose": purpose, "active": active, "counted": not opt_out, "cancelled": cancelled})
    return current


@transaction.atomic
def marketing_opt_out(*, client: Any, acting_user: User) -> int:
    """Cancel every marketing purpose at once; returns how many pending messages were cancelled."""
    before = Message.objects.filter(client=client, purpose__in=policy.MARKETING_PURPOSES,
                                    status__in=PENDING_STATUSES).count()
    for purpose in sorted(policy.MARKETING_PURPOSES):
        subscription_set(client=client, purpose=purpose, active=False, acting_user=acting_user)
    return before


# --- receipts ------------------------------------------------------------------------------------
DELIVERED_CODES = frozenset({"DELIVRD", "DELIVERED", "SUCCESS", "0"})


RECEIPT_OPEN_STATES = (Status.SENDING, Status.SENT, Status.UNKNOWN, Status.FAILED)


@transaction.atomic
def receipts_record(reports: list[tuple[str, str, str]]) -> int:
    """Record a batch of (out_id, provider_id, status) delivery reports; idempotent, set-based.

    A handful of statements whatever the batch size, so row locks are held only briefly: the receipts are
    inserted, the open messages they settle are locked in id order (two batches naming the same messages —
    the gateway re-posts a batch it had no answer for — then queue behind each other instead of
    deadlocking), then delivered and undelivered ones are settled.
    """
    if not reports:
        return 0
    with transaction.atomic():
        return _receipts_record(reports)


def _receipts_record(reports: list[tuple[str, str, str]]) -> int:
    numeric = {int(out_id) for out_id, _, _ in reports if out_id.isdigit()}
    known = set(Message.objects.filter(pk__in=numeric).values_list("pk", flat=True))
    receipts = [
        DeliveryReceipt(message_id=int(out_id) if out_id.isdigit() and int(out_id) in known else None,
                        out_id=out_id[:64], provider_id=provider_id[:128], status=status[:32],
                        delivered=status.upper() in DELIVERED_CODES)
        for out_id, provider_id, status in reports
    ]
    DeliveryReceipt.objects.bulk_create(receipts)
    now = timezone.now()
    delivered = sorted({r.message_id for r in receipts if r.message_id and r.delivered})
    undelivered = sorted({r.message_id for r in receipts if r.message_id and not r.delivered} - set(delivered))
    if delivered or undelivered:
        list(Message.objects.select_for_update().filter(pk__in=[*delivered, *undelivered],
                                                         status__in=RECEIPT_OPEN_STATES)
             .order_by("pk").values_list("pk", flat=True))
    latest_provider_id = Subquery(DeliveryReceipt.objects.filter(message=OuterRef("pk"), delivered=True)
                                  .order_by("-id").values("provider_id")[:1])
    if delivered:
        Message.objects.filter(pk__in=delivered, status__in=RECEIPT_OPEN_STATES).update(
            status=Status.DELIVERED, delivered_at=now, provider_id=Coalesce(latest_provider_id, F("provider_id")),
            lease_owner="", lease_expires_at=None, unknown_since=None)
    if undelivered:
        Message.objects.filter(pk__in=undelivered, status__in=RECEIPT_OPEN_STATES).update(
            status=Status.DEAD, last_error="receipt: undelivered", lease_owner="", lease_expires_at=None)
    return len(reports)


def receipt_record(*, out_id: str, provider_id: str, status: str) -> DeliveryReceipt:
    """Record one delivery report (see ``receipts_record``)."""
    receipts_record([(out_id, provider_id, status)])
    return DeliveryReceipt.objects.filter(out_id=out_id[:64]).order_by("-id").first()  # type: ignore[return-value]


__all__ = [
    "EnqueueResult",
    "marketing_opt_out",
    "message_cancel",
    "message_enqueue",
    "message_resend",
    "messages_cancel_for_client",
    "messages_cancel_for_consent",
    "receipt_record",
    "subscription_set",
]



def consent_withdrawn_hook(*, client: Any, purpose: str, acting_user: User) -> None:
    """Registered in clients' CONSENT_WITHDRAWN_HOOKS: cancels at once, in the withdrawal's transaction."""
    messages_cancel_for_consent(client=client, consent_purpose=purpose, acting_user=acting_user)


# --- templates -------------------------------------------------------------------------------------
SAMPLE_CLIENT_CONTEXT = {"name": "张三", "title": "先生", "centre": "北京朝阳体检中心"}
# Sample values of the shipped templates' caller variables, so that a preview reads like a real message;
# a variable an administrator adds is shown as a marker ‹name›.
SAMPLE_VARIABLES = {
    "advice": "清淡饮食，每周运动三次", "appointment_time": "2026-12-08 09:30 入职体检",
    "place": "北京朝阳体检中心", "notes": "请空腹到检", "indicator": "空腹血糖", "issue": "报告领取",
    "link": "https://jk.example.cn/r/8F3K", "item": "空腹血糖", "due_date": "2026-12-15",
    "medicine": "苯磺酸氨氯地平片", "dosage": "每日一次，每次5毫克", "offer_text": "年度体检套餐九折",
    "pickup_place": "北京朝阳体检中心一楼服务台", "pickup_deadline": "2026-12-20", "reason": "体检报告解读",
    "proposed_time": "2026-12-09 14:00", "callback_phone": "400-800-1234", "tip": "冬季注意保暖，按时测量血压",
    "version": "第2版", "summary": "更新了个人信息保存期限的说明",
}


def sample_context(template: MessageTemplate) -> dict[str, Any]:
    """Values for a preview: the sample client plus a visible marker for each caller variable."""
    values: dict[str, Any] = {**SAMPLE_CLIENT_CONTEXT, "today": timezone.localdate()}
    for name in template.variables or []:
        values.setdefault(name, SAMPLE_VARIABLES.get(name, f"‹{name}›"))
    return values


def template_preview(*, template: MessageTemplate, subject: str | None = None, body: str | None = None,
                     sms_signature: str | None = None) -> dict[str, Any]:
    """Render (possibly unsaved) text with the sample client; errors come back as text, not exceptions."""
    draft = MessageTemplate(purpose=template.purpose, channel=template.channel, version=template.version,
                            subject=template.subject if subject is None else subject,
                            body=template.body if body is None else body,
                            sms_signature=template.sms_signature if sms_signature is None else sms_signature,
                            variables=template.variables)
    values = sample_context(draft)
    try:
        text = render_text(draft.body, values)
        title = render_text(draft.subject, values) if draft.subject else ""
    except TemplateContextError as exc:
        return {"error": _("Missing template variables: %(names)s.") % {"names": ", ".join(exc.missing)}}
    if draft.channel == Channel.SMS:
        text = f"{draft.sms_signature}{text}"
        info = count_segments(text)
        return {"subject": title, "body": text, "segments": info.segments, "units": info.units,
                "encoding": info.encoding}
    return {"subject": title, "body": text}


@transaction.atomic
def template_publish(*, template: MessageTemplate, subject: str, body: str, sms_signature: str, note: str,
                     acting_user: User) -> MessageTemplate:
    """Save edited text as the next version and make it the active one; old versions stay for history."""
    errors: dict[str, str] = {}
    if not body.strip():
        errors["body"] = _("The text may not be empty.")
    if template.channel == Channel.SMS and not sms_signature.strip():
        errors["sms_signature"] = _("SMS needs the registered signature, e.g. 【康乐健康】.")
    if not errors:
        preview = template_preview(template=template, subject=subject, body=body, sms_signature=sms_signature)
        if "error" in preview:
            errors["body"] = preview["error"]
    if errors:
        raise ValidationError(errors)
    current = (MessageTemplate.objects.select_for_update()
               .filter(purpose=template.purpose, channel=template.channel).order_by("-version").first())
    latest_version = current.version if current else 0
    MessageTemplate.objects.filter(purpose=template.purpose, channel=template.channel, is_active=True).update(
        is_active=False)
    created = MessageTemplate.objects.create(
        purpose=template.purpose, channel=template.channel, version=latest_version + 1, subject=subject.strip(),
        body=body.strip(), sms_signature=sms_signature.strip(), wechat_template_id=template.wechat_template_id,
        variables=template.variables, is_active=True, note=note.strip()[:200],
        created_by=acting_user if getattr(acting_user, "pk", None) else None)
    audit_record(actor=acting_user, action="message_template.publish", obj=created,
                 detail={"purpose": created.purpose, "channel": created.channel, "version": created.version})
    return created
