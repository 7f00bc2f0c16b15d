"""Models of careloop.checkups: packages, reports and their items, grading rules, imports,
report delivery and interpretation, critical-value alerts and group bookings."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from careloop.checkups import grading


class PackageLevel(models.TextChoices):
    ECONOMY = "economy", _("economy")
    STANDARD = "standard", _("standard")
    COMPREHENSIVE = "comprehensive", _("comprehensive")
    LUXURY = "luxury", _("luxury")


class Severity(models.TextChoices):
    NONE = "", _("not abnormal")
    MINOR = "minor", _("minor")
    MAJOR = "major", _("major")
    CRITICAL = "critical", _("critical")


class HealthStatus(models.TextChoices):
    NORMAL = grading.NORMAL, _("normal")
    ABNORMAL_STABLE = grading.ABNORMAL_STABLE, _("abnormal but stable")
    COMPLEX = grading.COMPLEX, _("complex / key attention")


class Sex(models.TextChoices):
    ANY = "", _("any")
    MALE = "male", _("male")
    FEMALE = "female", _("female")


class CheckupPackage(models.Model):
    """A checkup package (体检套餐) sold at one of four levels; data, not code (SPEC RPT-2)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=20, choices=PackageLevel.choices)
    price = models.DecimalField(_("price (yuan)"), max_digits=10, decimal_places=2, default=0)
    item_codes = models.JSONField(_("item codes"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["price", "code"]

    def __str__(self) -> str:
        return self.name


class CheckupItem(models.Model):
    """The catalogue of result items: code, name, unit and the body system it belongs to."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    unit = models.CharField(max_length=32, blank=True)
    category = models.CharField(max_length=32, default="other")
    numeric = models.BooleanField(default=True)
    sort_order = models.PositiveIntegerField(default=1000)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def as_spec(self) -> dict:
        return {"code": self.code, "name": self.name, "unit": self.unit, "category": self.category, "numeric": self.numeric}


class GradingRule(models.Model):
    """A band of values of one item (optionally for one sex and age band) and the severity it earns."""

    item_code = models.CharField(max_length=32, db_index=True)
    severity = models.CharField(max_length=10, choices=Severity.choices[1:])
    low = models.FloatField(null=True, blank=True)
    low_inclusive = models.BooleanField(default=True)
    high = models.FloatField(null=True, blank=True)
    high_inclusive = models.BooleanField(default=False)
    sex = models.CharField(max_length=10, choices=Sex.choices, blank=True, default="")
    age_min = models.PositiveSmallIntegerField(null=True, blank=True)
    age_max = models.PositiveSmallIntegerField(null=True, blank=True)
    finding = models.CharField(max_length=100, blank=True)
    source = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["item_code", "low"]

    def __str__(self) -> str:
        return f"{self.item_code} {self.severity} [{self.low}, {self.high})"

    def as_rule(self) -> grading.Rule:
        return grading.Rule(
            item=self.item_code,
            severity=self.severity,
            low=self.low,
            high=self.high,
            low_inclusive=self.low_inclusive,
            high_inclusive=self.high_inclusive,
            sex=self.sex,
            age_min=self.age_min,
            age_max=self.age_max,
            finding=self.finding,
            source=self.source,
            id=self.pk,
        )


class ColumnMapping(models.Model):
    """How one institution's export maps onto the canonical fields (saved from the mapping screen)."""

    institution = models.CharField(_("institution"), max_length=100, unique=True)
    mapping = models.JSONField(_("column mapping"), default=dict)
    strict = models.BooleanField(_("unknown item codes are errors"), default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["institution"]

    def __str__(self) -> str:
        return self.institution


class ImportBatch(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("importing")
        DONE = "done", _("imported")
        FAILED = "failed", _("rejected")
        DUPLICATE = "duplicate", _("already imported")

    file_name = models.CharField(max_length=255)
    fmt = models.CharField(max_length=10, blank=True)
    fingerprint = models.CharField(max_length=64, db_index=True)
    stored_path = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    strict = models.BooleanField(default=True)
    mapping = models.ForeignKey(ColumnMapping, null=True, blank=True, on_delete=models.SET_NULL)
    branch = models.ForeignKey("org.OrgUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    duplicate_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rows_total = models.PositiveIntegerField(default=0)
    reports_created = models.PositiveIntegerField(default=0)
    items_created = models.PositiveIntegerField(default=0)
    clients_created = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"], condition=models.Q(status="done"), name="checkups_one_done_import_per_file"
            )
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"


class Checkup(models.Model):
    """One checkup report (体检报告) of a client."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="checkups")
    exam_no = models.CharField(_("checkup number"), max_length=64)
    institution = models.CharField(_("institution"), max_length=100, blank=True, default="")
    date = models.DateField(_("checkup date"))
    package = models.ForeignKey(CheckupPackage, null=True, blank=True, on_delete=models.SET_NULL)
    batch = models.ForeignKey(ImportBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="checkups")
    encounter_id = models.BigIntegerField(null=True, blank=True)
    health_status = models.CharField(max_length=20, choices=HealthStatus.choices, default=HealthStatus.NORMAL)
    worst_severity = models.CharField(max_length=10, choices=Severity.choices, blank=True, default="")
    abnormal_count = models.PositiveIntegerField(default=0)
    conclusions = models.TextField(_("conclusions"), blank=True)
    recommendations = models.TextField(_("recommendations"), blank=True)
    needs_further_exam = models.BooleanField(_("needs further examination"), default=False)
    results_at = models.DateTimeField(_("results received"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "exam_no"], name="checkups_exam_no_unique_per_institution")
        ]
        indexes = [models.Index(fields=["client", "-date"])]

    def __str__(self) -> str:
        return f"{self.exam_no} {self.date}"


class ResultItem(models.Model):
    checkup = models.ForeignKey(Checkup, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=100)
    value_text = models.TextField()
    value_num = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=32, blank=True)
    reference_range = models.CharField(max_length=100, blank=True)
    ref_low = models.FloatField(null=True, blank=True)
    ref_high = models.FloatField(null=True, blank=True)
    flag = models.CharField(max_length=2, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, blank=True, default="")
    finding = models.CharField(max_length=100, blank=True)
    category = models.CharField(max_length=32, blank=True)
    further_exam = models.BooleanField(default=False)
    row = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["checkup", "id"]
        indexes = [models.Index(fields=["checkup", "code"])]

    def __str__(self) -> str:
        return f"{self.code}={self.value_text}"


class DeliveryMethod(models.TextChoices):
    POST = "post", _("post (with tracking number)")
    EMAIL = "email", _("email")
    SMS_NOTICE = "sms_notice", _("SMS notice to collect")
    ELECTRONIC = "electronic", _("electronic")


class ReportDelivery(models.Model):
    """Getting the report to the client within N working days (SPEC RPT-4, seed 000 §3.2)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("not sent")
        SENT = "sent", _("sent / notified")
        DELIVERED = "delivered", _("delivered")
        COLLECTED = "collected", _("collected")

    checkup = models.OneToOneField(Checkup, on_delete=models.CASCADE, related_name="delivery")
    due_date = models.DateField(_("due"))
    method = models.CharField(_("method"), max_length=12, choices=DeliveryMethod.choices, blank=True)
    tracking_no = models.CharField(_("tracking number"), max_length=64, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    sent_on = models.DateField(null=True, blank=True)
    delivered_on = models.DateField(null=True, blank=True)
    chased_on = models.DateField(null=True, blank=True)
    chase_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self) -> str:
        return f"{self.checkup} → {self.due_date}"

    def is_overdue(self, today: dt.date) -> bool:
        return self.status not in {self.Status.DELIVERED, self.Status.COLLECTED} and today > self.due_date


class InterpretationMethod(models.TextChoices):
    PHONE = "phone", _("phone")
    FACE_TO_FACE = "face_to_face", _("face to face")
    VIDEO = "video", _("video")


class Interpretation(models.Model):
    """Explaining the report to the client (解读, SPEC RPT-5); tier A within 24 hours, one to one."""

    class Status(models.TextChoices):
        PENDING = "pending", _("to do")
        DONE = "done", _("done")

    checkup = models.ForeignKey(Checkup, on_delete=models.CASCADE, related_name="interpretations")
    due_at = models.DateTimeField(_("due"))
    one_to_one = models.BooleanField(_("one to one"), default=False)
    method = models.CharField(max_length=12, choices=InterpretationMethod.choices, default=InterpretationMethod.PHONE)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.checkup} by {self.due_at:%Y-%m-%d %H:%M}"


class CriticalAlert(models.Model):
    """A critical value (危急值) raised to a lead at once; who acknowledged it and when."""

    checkup = models.ForeignKey(Checkup, on_delete=models.CASCADE, related_name="critical_alerts")
    item = models.ForeignKey(ResultItem, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    raised_at = models.DateTimeField()
    message_id = models.BigIntegerField(null=True, blank=True)
    task_id = models.BigIntegerField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["acknowledged_at", "-raised_at"]
        constraints = [models.UniqueConstraint(fields=["item"], name="checkups_one_alert_per_item")]

    def __str__(self) -> str:
        return f"{self.item} ({self.raised_at:%Y-%m-%d %H:%M})"


class BranchBookingPolicy(models.Model):
    """Per branch: how many days before a group checkup changes and cancellations close (RPT-2)."""

    branch = models.OneToOneField("org.OrgUnit", on_delete=models.CASCADE, related_name="checkup_booking_policy")
    change_deadline_days = models.PositiveSmallIntegerField(_("changes close this many days before"), default=3)

    def __str__(self) -> str:
        return f"{self.branch}: {self.change_deadline_days}"


class GroupBooking(models.Model):
    """A group checkup booked for an enterprise at a branch on a date."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("booked")
        CANCELLED = "cancelled", _("cancelled")

    enterprise = models.ForeignKey("clients.Enterprise", on_delete=models.PROTECT, related_name="checkup_bookings")
    branch = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+")
    package = models.ForeignKey(CheckupPackage, on_delete=models.PROTECT)
    date = models.DateField(_("checkup date"))
    change_deadline = models.DateField(_("changes and cancellation until"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BOOKED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.enterprise} {self.date}"


class GroupBookingMember(models.Model):
    booking = models.ForeignKey(GroupBooking, on_delete=models.CASCADE, related_name="members")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    cancelled = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["booking", "client"], name="checkups_member_once_per_booking")]

    def __str__(self) -> str:
        return f"{self.booking}: {self.client_id}"
