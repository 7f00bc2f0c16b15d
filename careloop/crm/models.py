"""CRM (seed 002): the ledger of spending and visits, tiers computed from it, appointments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from careloop.clients.models import Client, Tier
from careloop.org.models import OrgUnit

SLOT_MINUTES = 30


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class LedgerKind(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    VISIT = "visit", _("Visit")
    CHECKUP = "checkup", _("Checkup")
    REFUND = "refund", _("Refund")


class LedgerEntry(models.Model):
    """One line of a client's spending and visit history (the input of tier computation, CRM-1).

    ``amount`` is signed revenue: purchases, visits and checkups are >= 0, a refund is stored
    negative (a refund given as a positive number is negated by ``ledger_entry_add``), so the sum
    of a client's amounts is the client's net value.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="ledger_entries",
                               verbose_name=_("client"))
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=LedgerKind.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    source = models.CharField(_("source"), max_length=60, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["client", "date"], name="ledger_client_date"),
            models.Index(fields=["date"], name="ledger_date"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.date} {self.kind} {self.amount}"


class TierPolicy(models.Model):
    """The criteria and windows of tier computation (CRM-1) and booking (CRM-3): data, edited on a screen.

    The row with ``active=True`` is in force; saving a change writes a new active row (the old rows are
    the history of the criteria).
    """

    value_window_days = models.PositiveIntegerField(_("value and frequency window (days)"), default=365)
    a_top_share = models.DecimalField(_("tier A: top share of clients by value"), max_digits=4, decimal_places=2,
                                      default=Decimal("0.20"))
    a_visit_window_days = models.PositiveIntegerField(_("tier A: window for visit frequency (days)"), default=90)
    a_visits_per_month = models.DecimalField(_("tier A: visits per month at least"), max_digits=4, decimal_places=1,
                                             default=Decimal("2.0"))
    a_chronic = models.BooleanField(_("tier A: long-term chronic management counts"), default=True)
    b_min_visits = models.PositiveIntegerField(_("tier B: visits in the window at least"), default=3)
    b_min_value = models.DecimalField(_("tier B: value in the window at least (yuan)"), max_digits=12,
                                      decimal_places=2, default=Decimal("1000.00"))
    override_days = models.PositiveIntegerField(_("manual override lasts (days, 0 = until lifted)"), default=180)
    booking_days_a = models.PositiveIntegerField(_("tier A books ahead (days)"), default=7)
    booking_days_b = models.PositiveIntegerField(_("tier B books ahead (days)"), default=3)
    booking_days_c = models.PositiveIntegerField(_("tier C books ahead (days)"), default=3)
    a_reserved_share = models.DecimalField(_("share of each slot held back for tier A"), max_digits=4,
                                           decimal_places=2, default=Decimal("0.20"))
    reminder_hours = models.PositiveIntegerField(_("appointment reminder (hours before)"), default=24)
    c_offer_after_days = models.PositiveIntegerField(_("tier C offer: days after the first consumption"), default=14)
    c_offer_within_days = models.PositiveIntegerField(_("tier C offer: sent within (days of the first consumption)"),
                                                      default=90)
    active = models.BooleanField(_("in force"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("changed by"))
    created_at = models.DateTimeField(_("changed"), auto_now_add=True)

    class Meta:
        verbose_name = _("tier criteria")
        verbose_name_plural = _("tier criteria")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"

    def booking_days(self, tier: str) -> int:
        return {"A": self.booking_days_a, "B": self.booking_days_b}.get(tier, self.booking_days_c)


class TierOverride(models.Model):
    """A tier set by hand with a reason; it wins over computation until it expires or is lifted."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="tier_overrides",
                               verbose_name=_("client"))
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices)
    reason = models.CharField(_("reason"), max_length=200)
    expires_on = models.DateField(_("expires"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("set by"))
    created_at = models.DateTimeField(_("set"), auto_now_add=True)
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("lifted by"))

    class Meta:
        verbose_name = _("tier override")
        verbose_name_plural = _("tier overrides")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["client", "lifted_at"], name="tier_override_client")]


class AppointmentService(models.Model):
    """What can be booked (data): a checkup, a report interpretation, a TCM consultation…"""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    place = models.CharField(_("place"), max_length=100, blank=True, default="")
    notes = models.CharField(_("notes for the client"), max_length=200, blank=True, default="")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("bookable service")
        verbose_name_plural = _("bookable services")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class SlotTemplate(models.Model):
    """A site's weekly pattern: on this weekday, 30-minute slots from ``start`` to ``end`` with a capacity."""

    site = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+", verbose_name=_("site"))
    service = models.ForeignKey(AppointmentService, on_delete=models.CASCADE, related_name="templates",
                                verbose_name=_("service"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))
    capacity = models.PositiveIntegerField(_("capacity per slot"), default=4)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("slot template")
        verbose_name_plural = _("slot templates")
        ordering = ["site", "weekday", "start"]


class Slot(models.Model):
    """One 30-minute slot of one service at one site. ``booked`` is kept by the booking services only."""

    site = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+", verbose_name=_("site"))
    service = models.ForeignKey(AppointmentService, on_delete=models.PROTECT, related_name="slots",
                                verbose_name=_("service"))
    start = models.DateTimeField(_("start"))
    capacity = models.PositiveIntegerField(_("capacity"))
    booked = models.PositiveIntegerField(_("booked"), default=0)

    class Meta:
        verbose_name = _("appointment slot")
        verbose_name_plural = _("appointment slots")
        ordering = ["start", "site", "service"]
        constraints = [
            models.UniqueConstraint(fields=["site", "service", "start"], name="uniq_slot"),
            models.CheckConstraint(condition=models.Q(booked__lte=models.F("capacity")), name="slot_not_overbooked"),
        ]
        indexes = [models.Index(fields=["site", "start"], name="slot_site_start")]

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=SLOT_MINUTES)

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")


class Appointment(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="appointments", verbose_name=_("client"))
    slot = models.ForeignKey(Slot, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("slot"))
    status = models.CharField(_("status"), max_length=12, choices=AppointmentStatus.choices,
                              default=AppointmentStatus.BOOKED)
    notes = models.CharField(_("notes"), max_length=200, blank=True, default="")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("booked by"))
    booked_at = models.DateTimeField(_("booked"), auto_now_add=True)
    status_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    status_reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    rescheduled_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                         verbose_name=_("rescheduled from"))
    confirmation_message_id = models.BigIntegerField(_("confirmation message"), null=True, blank=True)
    reminder_message_id = models.BigIntegerField(_("reminder message"), null=True, blank=True)
    followup_task_id = models.BigIntegerField(_("follow-up after no-show"), null=True, blank=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["slot__start", "id"]
        indexes = [models.Index(fields=["client", "status"], name="appointment_client_status")]
        constraints = [
            models.UniqueConstraint(fields=["client", "slot"], condition=models.Q(status="booked"),
                                    name="one_booking_per_slot"),
        ]


# --- offers and community events (CRM-2 upkeep: tier B/C offers, tier A salons, tier C community events) --------
def tiers_text(tiers: str) -> str:
    """``"BC"`` → ``"B、C"`` for pages."""
    return "、".join(tiers)


class Offer(models.Model):
    """An offer the centre makes to clients of some tiers (seed 002: B "推荐年度套餐优惠", C "首次复诊挂号折扣")."""

    name = models.CharField(_("name"), max_length=60)
    description = models.CharField(_("text sent to the client"), max_length=200)
    tiers = models.CharField(_("fits tiers"), max_length=3, help_text=_("Letters of the tiers, e.g. BC."))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    branch = models.ForeignKey(OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("branch"), help_text=_("Empty: every branch."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-active", "valid_until", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def tiers_display(self) -> str:
        return tiers_text(self.tiers)


class OfferSentStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    REFUSED = "refused", _("Not sent")


class OfferSent(models.Model):
    """An offer sent to a client (or refused by the outbox, with the reason): a client never gets an offer twice."""

    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="sent", verbose_name=_("offer"))
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="offers_sent", verbose_name=_("client"))
    status = models.CharField(_("status"), max_length=8, choices=OfferSentStatus.choices)
    refused = models.CharField(_("why not sent"), max_length=40, blank=True, default="")
    origin = models.CharField(_("origin"), max_length=20, blank=True, default="")  # "" by hand, "tier_c" the job
    message_id = models.BigIntegerField(_("message"), null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("sent by"))
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("offer sent")
        verbose_name_plural = _("offers sent")
        ordering = ["-sent_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["offer", "client"], condition=models.Q(status="sent"),
                                               name="offer_sent_once")]
        indexes = [models.Index(fields=["client", "origin"], name="offer_sent_client_origin")]


class EventKind(models.TextChoices):
    SALON = "salon", _("Health salon")
    COMMUNITY = "community", _("Community event")
    LECTURE = "lecture", _("Health lecture")


class CommunityEvent(models.Model):
    """A salon (tier A, quarterly), a community event (tier C, e.g. 社区义诊) or a lecture, at a branch."""

    kind = models.CharField(_("kind"), max_length=10, choices=EventKind.choices)
    title = models.CharField(_("title"), max_length=80)
    place = models.CharField(_("place"), max_length=100)
    starts_at = models.DateTimeField(_("starts"))
    capacity = models.PositiveIntegerField(_("places"))
    registered = models.PositiveIntegerField(_("registered"), default=0)  # kept by the registration services only
    tiers = models.CharField(_("invited tiers"), max_length=3)
    branch = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("branch"))
    cancelled = models.BooleanField(_("cancelled"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("community event")
        verbose_name_plural = _("community events")
        ordering = ["-starts_at", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(registered__lte=models.F("capacity")),
                                              name="event_not_overbooked")]
        indexes = [models.Index(fields=["branch", "starts_at"], name="event_branch_start")]

    def __str__(self) -> str:
        return self.title

    @property
    def tiers_display(self) -> str:
        return tiers_text(self.tiers)

    @property
    def free(self) -> int:
        return max(self.capacity - self.registered, 0)


class RegistrationStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    REGISTERED = "registered", _("Registered")
    DECLINED = "declined", _("Declined")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("Did not come")


# Statuses that hold a place of the event.
HOLDS_PLACE = (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED, RegistrationStatus.NO_SHOW)


class EventRegistration(models.Model):
    """One client and one event: invited (message), registered (holds a place), declined, attended or not."""

    event = models.ForeignKey(CommunityEvent, on_delete=models.CASCADE, related_name="registrations",
                              verbose_name=_("event"))
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="event_registrations",
                               verbose_name=_("client"))
    status = models.CharField(_("status"), max_length=12, choices=RegistrationStatus.choices)
    invitation_message_id = models.BigIntegerField(_("invitation message"), null=True, blank=True)
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    status_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("changed by"))

    class Meta:
        verbose_name = _("event registration")
        verbose_name_plural = _("event registrations")
        ordering = ["event", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "client"], name="one_registration_per_event")]
        indexes = [models.Index(fields=["client", "status"], name="event_reg_client_status")]
