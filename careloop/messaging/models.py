"""Models of careloop.messaging: the outbox, templates, subscriptions and delivery receipts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careloop.lib.fields import EncryptedTextField


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")
    LETTER = "letter", _("Printed letter")
    WEBHOOK = "webhook", _("Webhook")


# Channels that reach a person (consent, quiet hours, caps apply); webhooks reach an integrator's system.
PEOPLE_CHANNELS = [Channel.SMS, Channel.EMAIL, Channel.WECHAT, Channel.LETTER]
PEOPLE_CHANNEL_CHOICES = [(c.value, c.label) for c in PEOPLE_CHANNELS]
# Sent on request to one subscription, active or not (to check a receiver before switching it on).
WEBHOOK_TEST_EVENT = "webhook.test"


class Purpose(models.TextChoices):
    REPORT_READY = "report_ready", _("Report ready")
    FOLLOWUP_NOTICE = "followup_notice", _("Follow-up notice")
    RECHECK_REMINDER = "recheck_reminder", _("Recheck reminder")
    MEDICATION_REMINDER = "medication_reminder", _("Medication reminder")
    MONITORING_REMINDER = "monitoring_reminder", _("Monitoring reminder")
    HEALTH_REMINDER = "health_reminder", _("Health reminder")
    APPOINTMENT_CONFIRMATION = "appointment_confirmation", _("Appointment confirmation")
    APPOINTMENT_REMINDER = "appointment_reminder", _("Appointment reminder")
    HEALTH_TIPS = "health_tips", _("Health tips")
    NEWSLETTER = "newsletter", _("Newsletter")
    SATISFACTION_SURVEY = "satisfaction_survey", _("Satisfaction survey")
    PLAN_CHANGE_NOTICE = "plan_change_notice", _("Health plan change notice")
    OFFER = "offer", _("Offer")
    EVENT_INVITATION = "event_invitation", _("Event invitation")
    WEBHOOK_EVENT = "webhook_event", _("Event for an integrator")


PEOPLE_PURPOSES = [p for p in Purpose if p != Purpose.WEBHOOK_EVENT]
PEOPLE_PURPOSE_CHOICES = [(p.value, p.label) for p in PEOPLE_PURPOSES]


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed, will retry")
    UNKNOWN = "unknown", _("Unknown (sender stopped mid-send)")
    DEAD = "dead", _("Dead")
    CANCELLED = "cancelled", _("Cancelled")


# Waiting to go out: what a consent withdrawal or an opt-out cancels.
PENDING_STATUSES = (Status.QUEUED, Status.FAILED)
# The dispatcher may claim these once due.
DUE_STATUSES = (Status.QUEUED, Status.FAILED)


class MessageTemplate(models.Model):
    """One version of the text for a purpose and channel; exactly one version is active."""

    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    version = models.PositiveIntegerField(_("version"), default=1)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    sms_signature = models.CharField(_("SMS signature"), max_length=30, blank=True,
                                     help_text=_("Registered signature, e.g. 【康乐健康】; SMS only."))
    wechat_template_id = models.CharField(_("WeChat template id"), max_length=100, blank=True)
    variables = models.JSONField(_("variables"), default=list, blank=True,
                                 help_text=_("Names the caller passes; shown to editors."))
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("change note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["purpose", "channel", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "channel", "version"], name="msgtpl_unique_version"),
            models.UniqueConstraint(fields=["purpose", "channel"], condition=Q(is_active=True),
                                    name="msgtpl_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose}/{self.channel} v{self.version}"


class Message(models.Model):
    """The outbox row: written in the transaction that causes it, the source of truth for sending."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="messages",
                               verbose_name=_("client"), null=True, blank=True,
                               help_text=_("Empty for a webhook delivery, which goes to an integrator."))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    consent_purpose = models.CharField(_("consent purpose"), max_length=16)
    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="messages")
    template_version = models.PositiveIntegerField(_("template version"), default=0)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    segments = models.PositiveSmallIntegerField(_("SMS parts"), default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    requested_at = models.DateTimeField(_("requested for"))
    scheduled_at = models.DateTimeField(_("scheduled at"))
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    unknown_since = models.DateTimeField(null=True, blank=True)
    possible_duplicate = models.BooleanField(_("possibly sent twice"), default=False)
    provider = models.CharField(_("provider"), max_length=32, blank=True)
    provider_id = models.CharField(_("provider message id"), max_length=128, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    cause = models.CharField(_("cause"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancel reason"), max_length=200, blank=True)
    # A webhook delivery: the subscription it goes to and its idempotency id (X-Careloop-Delivery).
    webhook = models.ForeignKey("messaging.Webhook", on_delete=models.CASCADE, null=True, blank=True,
                                related_name="deliveries", verbose_name=_("webhook"))
    delivery_id = models.UUIDField(_("delivery id"), null=True, blank=True, unique=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="msg_due"),
            models.Index(fields=["client", "-created_at"], name="msg_client_recent"),
            models.Index(fields=["client", "scheduled_at"], name="msg_client_day"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.purpose}/{self.channel} {self.status}"


class DeliveryReceipt(models.Model):
    """A delivery report from a provider, kept as received; reconciliation reads these."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="receipts")
    out_id = models.CharField(max_length=64, db_index=True)
    provider_id = models.CharField(max_length=128, blank=True)
    status = models.CharField(max_length=32)
    delivered = models.BooleanField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("delivery receipt")
        verbose_name_plural = _("delivery receipts")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.out_id} {self.status}"


class Subscription(models.Model):
    """A client's choice for one reminder type; no row means subscribed (consent still applies)."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="message_subscriptions")
    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    active = models.BooleanField(_("subscribed"), default=True)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [models.UniqueConstraint(fields=["client", "purpose"], name="msgsub_unique")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.purpose} {'on' if self.active else 'off'}"


class SubscriptionChange(models.Model):
    """Every subscribe/cancel, kept so the yearly change quota can be counted."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    active = models.BooleanField()
    counted = models.BooleanField(default=True, help_text=_("Counts against the yearly change quota."))
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                           related_name="+")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["client", "at"], name="msgsubchg_client_at")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.purpose} → {self.active}"


class WeChatBinding(models.Model):
    """The client's openid on the organisation's WeChat Official Account."""

    client = models.OneToOneField("clients.Client", on_delete=models.CASCADE, related_name="wechat_binding")
    openid = models.CharField(max_length=64)
    bound_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.client_id} wechat"


class Webhook(models.Model):
    """An integrator's subscription to careloop's events, delivered through the outbox (channel ``webhook``)."""

    name = models.CharField(_("name"), max_length=100)
    url = models.CharField(_("target URL"), max_length=500)
    secret = EncryptedTextField(_("signing secret"), context="messaging.webhook.secret")
    events = models.JSONField(_("event types"), default=list)
    active = models.BooleanField(_("active"), default=True)
    branch = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("branch scope"),
                               help_text=_("Only events of clients in this unit and below are sent."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    secret_rotated_at = models.DateTimeField(_("secret rotated at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WebhookAttempt(models.Model):
    """One try at delivering a webhook, written with the outcome in the dispatcher's commit."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="webhook_attempts")
    number = models.PositiveSmallIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Status.choices)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["message_id", "number", "id"]

    def __str__(self) -> str:
        return f"{self.message_id}#{self.number} {self.outcome}"
