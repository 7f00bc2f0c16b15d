"""The client archive (健康档案): clients, their contact history, assignments, consents, enterprises."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from careloop.lib.fields import EncryptedTextField
from careloop.lib.identity import mask_address, mask_id_number, mask_mobile
from careloop.org.models import OrgUnit


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Tier(models.TextChoices):
    A = "A", _("A · core")
    B = "B", _("B · potential")
    C = "C", _("C · new / occasional")


class ClientStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CURED = "cured", _("Cured")
    DECEASED = "deceased", _("Deceased")
    OPTED_OUT = "opted_out", _("Opted out")
    LOST = "lost", _("Lost to follow-up")


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    WECHAT = "wechat", _("WeChat")
    VIDEO = "video", _("Video")
    FACE = "face", _("Face to face")
    HOME = "home", _("Home visit")


class Client(models.Model):
    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    id_number = EncryptedTextField(_("resident ID number"), context="client.id_number", blank=True, default="")
    id_number_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    phone = EncryptedTextField(_("mobile phone"), context="client.phone", blank=True, default="")
    phone_hash = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    phone2 = EncryptedTextField(_("second mobile phone"), context="client.phone2", blank=True, default="")
    phone2_hash = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    email = models.EmailField(_("email"), blank=True, default="")
    address = EncryptedTextField(_("address"), context="client.address", blank=True, default="")
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=50, blank=True, default="")
    emergency_contact_phone = EncryptedTextField(
        _("emergency contact phone"), context="client.emergency_phone", blank=True, default=""
    )
    preferred_channels = models.JSONField(_("preferred channels"), default=list, blank=True)
    contact_hours = models.CharField(_("preferred contact hours"), max_length=50, blank=True, default="")
    is_vip = models.BooleanField(_("VIP"), default=False)
    tier = models.CharField(_("tier"), max_length=1, choices=Tier.choices, default=Tier.C)
    status = models.CharField(_("status"), max_length=10, choices=ClientStatus.choices, default=ClientStatus.ACTIVE)
    branch = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="clients", verbose_name=_("branch"))
    health_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_clients",
        verbose_name=_("health manager"),
    )
    family_doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="family_clients",
        verbose_name=_("family doctor"),
    )
    notes = models.TextField(_("notes"), blank=True, default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "birth_date"], name="client_name_birth"),
            models.Index(fields=["branch", "name"], name="client_branch_name"),
            models.Index(fields=["health_manager", "status"], name="client_manager_status"),
            models.Index(fields=["family_doctor"], name="client_family_doctor"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def phone_masked(self) -> str:
        return mask_mobile(self.phone)

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def address_masked(self) -> str:
        return mask_address(self.address)

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


class ContactChange(models.Model):
    """History of contact details (ARC-6): who changed which field, when, from what to what."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contact_changes")
    field = models.CharField(_("field"), max_length=40)
    old_value = EncryptedTextField(context="contact_change.old", blank=True, default="")
    new_value = EncryptedTextField(context="contact_change.new", blank=True, default="")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)
    source = models.CharField(_("source"), max_length=30, blank=True, default="edit")

    class Meta:
        ordering = ["-changed_at", "-id"]


class AssignmentKind(models.TextChoices):
    HEALTH_MANAGER = "health_manager", _("Health manager")
    FAMILY_DOCTOR = "family_doctor", _("Family doctor")


class Assignment(models.Model):
    """Who was a client's health manager or family doctor, from when to when (ARC-2)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="assignments")
    kind = models.CharField(_("kind"), max_length=20, choices=AssignmentKind.choices)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "kind"], condition=models.Q(ended_at__isnull=True), name="one_current_assignment"
            )
        ]


class StatusChange(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="status_changes")
    kind = models.CharField(max_length=10, default="status")  # status | tier
    old = models.CharField(max_length=20)
    new = models.CharField(max_length=20)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        ordering = ["-changed_at", "-id"]


class Relation(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")
    OTHER = "other", _("Other family")


class FamilyLink(models.Model):
    """``relative`` is the client's ``relation`` (e.g. the client's spouse)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="family_links")
    relative = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "relative"], name="uniq_family_link")]


class ConsentPurpose(models.TextChoices):
    HEALTH_DATA = "health_data", _("Processing of health information")
    REMINDERS = "reminders", _("Service reminders and notices")
    MARKETING = "marketing", _("Offers and health tips")


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("Signed form")
    ELECTRONIC = "electronic", _("Electronic (web/app)")
    VERBAL = "verbal", _("Verbal, recorded by staff")


# The privacy notice in force: written here once; bump it when the notice's text changes.
NOTICE_VERSION = "2026-1"


class Consent(models.Model):
    """One consent decision. The latest row per purpose is in force; withdrawal is a row with granted=False."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    granted = models.BooleanField(_("granted"))
    version = models.CharField(_("notice version"), max_length=20, default=NOTICE_VERSION)
    method = models.CharField(_("how given"), max_length=12, choices=ConsentMethod.choices, default=ConsentMethod.VERBAL)
    given_at = models.DateTimeField(_("time"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at", "-id"]
        indexes = [models.Index(fields=["client", "purpose", "-given_at"], name="consent_current")]


class Enterprise(models.Model):
    name = models.CharField(_("name"), max_length=100)
    branch = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="enterprises", verbose_name=_("branch"))
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True, default="")
    contact_phone = EncryptedTextField(_("contact phone"), context="enterprise.contact_phone", blank=True, default="")
    address = EncryptedTextField(_("address"), context="enterprise.address", blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EnterpriseMember(models.Model):
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="memberships")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="enterprise_memberships")
    employee_no = models.CharField(_("employee number"), max_length=30, blank=True, default="")
    department = models.CharField(_("department"), max_length=50, blank=True, default="")
    joined_on = models.DateField(_("joined"))
    left_on = models.DateField(_("left"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enterprise", "client"], name="uniq_enterprise_member")]


class RevealReason(models.TextChoices):
    CALL = "call", _("Calling the client")
    MAIL = "mail", _("Posting a report or letter")
    VERIFY = "verify", _("Verifying identity")
    CORRECT = "correct", _("Correcting the record")
