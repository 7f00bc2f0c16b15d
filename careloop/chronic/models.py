"""Chronic disease management (SPEC PLN-3): condition templates from the guidelines, each client's
monitoring plan, and the logs with their readings."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Condition(models.TextChoices):
    HYPERTENSION = "hypertension", _("Hypertension")
    DIABETES = "diabetes", _("Diabetes")
    OBESITY = "obesity", _("Overweight / obesity")


class Frequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    TWICE_WEEKLY = "twice_weekly", _("Twice a week")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Every three months")


# How many days may pass without a reading before the client is reminded (a grace of one day on top).
FREQUENCY_DAYS = {"daily": 1, "twice_weekly": 4, "weekly": 7, "monthly": 31, "quarterly": 92}


class ConditionTemplate(models.Model):
    """One condition's guideline defaults, edited by an administrator (admin screen)."""

    condition = models.CharField(_("condition"), max_length=20, choices=Condition.choices, unique=True)
    name = models.CharField(_("name"), max_length=100)
    source = models.CharField(_("guideline source"), max_length=300)
    notes = models.TextField(_("notes"), blank=True, default="")

    class Meta:
        verbose_name = _("condition template")
        verbose_name_plural = _("condition templates")
        ordering = ["condition"]

    def __str__(self) -> str:
        return self.name


class IndicatorFields(models.Model):
    code = models.CharField(_("indicator"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    unit = models.CharField(_("unit"), max_length=20, blank=True, default="")
    method = models.CharField(_("method"), max_length=200, blank=True, default="")
    frequency = models.CharField(_("frequency"), max_length=20, choices=Frequency.choices, default=Frequency.WEEKLY)
    target_low = models.FloatField(_("target low"), null=True, blank=True)
    target_high = models.FloatField(_("target high"), null=True, blank=True)
    alarm_low = models.FloatField(_("alarm at or below"), null=True, blank=True)
    alarm_high = models.FloatField(_("alarm at or above"), null=True, blank=True)
    # Past these the lead is alerted as for a critical value (hypertensive emergency, level-2 hypoglycaemia…).
    critical_low = models.FloatField(_("critical below"), null=True, blank=True)
    critical_high = models.FloatField(_("critical at or above"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class IndicatorDefault(IndicatorFields):
    template = models.ForeignKey(ConditionTemplate, on_delete=models.CASCADE, related_name="indicators",
                                 verbose_name=_("condition template"))

    class Meta:
        verbose_name = _("indicator default")
        verbose_name_plural = _("indicator defaults")
        ordering = ["template", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["template", "code"], name="chronic_one_default_per_code")]


class MonitoringPlan(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="monitoring_plans",
                               verbose_name=_("client"))
    condition = models.CharField(_("condition"), max_length=20, choices=Condition.choices)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_reminded_on = models.DateField(_("last reminded on"), null=True, blank=True)

    class Meta:
        verbose_name = _("monitoring plan")
        verbose_name_plural = _("monitoring plans")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["client", "condition"], condition=models.Q(active=True),
                                               name="chronic_one_active_plan_per_condition")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.get_condition_display()}"


class PlanIndicator(IndicatorFields):
    plan = models.ForeignKey(MonitoringPlan, on_delete=models.CASCADE, related_name="indicators",
                             verbose_name=_("monitoring plan"))

    class Meta:
        verbose_name = _("plan indicator")
        verbose_name_plural = _("plan indicators")
        ordering = ["plan", "order", "id"]


class LogSource(models.TextChoices):
    STAFF = "staff", _("Entered by staff")
    CLIENT = "client", _("Entered by the client")
    IMPORT = "import", _("Spreadsheet import")


class MonitoringLog(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="monitoring_logs",
                               verbose_name=_("client"))
    at = models.DateTimeField(_("measured at"))
    diet = models.TextField(_("diet"), blank=True, default="")
    exercise = models.TextField(_("exercise"), blank=True, default="")
    medication = models.TextField(_("medication"), blank=True, default="")
    source = models.CharField(_("source"), max_length=10, choices=LogSource.choices, default=LogSource.STAFF)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("entered by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("monitoring log")
        verbose_name_plural = _("monitoring logs")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["client", "at"], name="chronic_log_client_at")]


class Flag(models.TextChoices):
    NONE = "", _("In target")
    LOW = "low", _("Below target")
    HIGH = "high", _("Above target")
    ALARM_LOW = "alarm_low", _("Alarm: too low")
    ALARM_HIGH = "alarm_high", _("Alarm: too high")


class Reading(models.Model):
    log = models.ForeignKey(MonitoringLog, on_delete=models.CASCADE, related_name="readings", verbose_name=_("log"))
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+", verbose_name=_("client"))
    code = models.CharField(_("indicator"), max_length=40)
    value = models.FloatField(_("value"))
    at = models.DateTimeField(_("measured at"))
    in_target = models.BooleanField(_("in target"), null=True)  # None: no target known
    flag = models.CharField(_("flag"), max_length=12, choices=Flag.choices, blank=True, default="")
    task_id = models.BigIntegerField(_("follow-up task"), null=True, blank=True)

    class Meta:
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["client", "code", "at"], name="chronic_reading_client_code_at")]


class SelfEntryLink(models.Model):
    """A client's personal link for entering their own readings (the token signs id and nonce)."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="+", verbose_name=_("client"))
    nonce = models.CharField(max_length=32)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked = models.BooleanField(_("revoked"), default=False)

    class Meta:
        verbose_name = _("personal entry link")
        verbose_name_plural = _("personal entry links")


class PlanStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    REPLACED = "replaced", _("Replaced")


class HealthPlan(models.Model):
    """One version of a client's personal health-management plan (SPEC PLN-4)."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="health_plans",
                               verbose_name=_("client"))
    version = models.PositiveIntegerField(_("version"))
    goals = models.TextField(_("goals"), blank=True, default="")
    diet = models.TextField(_("diet"), blank=True, default="")
    exercise = models.TextField(_("exercise"), blank=True, default="")
    # [{"medicine": "氨氯地平片", "dosage": "5 mg", "times": ["08:00"]}]
    medication_reminders = models.JSONField(_("medication reminders"), default=list, blank=True)
    # [{"item": "糖化血红蛋白", "due": "2026-09-01"}]
    rechecks = models.JSONField(_("rechecks"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.CURRENT)
    origin = models.CharField(_("drafted from"), max_length=200, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("personal health plan")
        verbose_name_plural = _("personal health plans")
        ordering = ["client", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["client", "version"], name="chronic_plan_version_unique"),
            models.UniqueConstraint(fields=["client"], condition=models.Q(status="current"),
                                    name="chronic_one_current_health_plan"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} v{self.version}"


class AdjustmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class PlanAdjustment(models.Model):
    plan = models.ForeignKey(HealthPlan, on_delete=models.CASCADE, related_name="adjustments",
                             verbose_name=_("personal health plan"))
    reason = models.TextField(_("reason"))
    # The fields to change: {"goals": "...", "medication_reminders": [...]} (free text goes to "notes").
    content = models.JSONField(_("content"))
    expected_effect = models.TextField(_("expected effect"))
    status = models.CharField(_("status"), max_length=10, choices=AdjustmentStatus.choices,
                              default=AdjustmentStatus.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("reviewer"))
    opinion = models.TextField(_("opinion"), blank=True, default="")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    next_plan = models.ForeignKey(HealthPlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                  verbose_name=_("next version"))
    task_id = models.BigIntegerField(_("follow-up task"), null=True, blank=True)
    message_id = models.BigIntegerField(_("notice message"), null=True, blank=True)

    class Meta:
        verbose_name = _("plan adjustment")
        verbose_name_plural = _("plan adjustments")
        ordering = ["-requested_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["plan"], condition=models.Q(status="pending"),
                                               name="chronic_one_pending_adjustment")]


class MedicationReminderSent(models.Model):
    """One medication reminder queued for a plan version, a day and a time (makes the job idempotent)."""

    plan = models.ForeignKey(HealthPlan, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    time = models.CharField(max_length=5)
    medicine = models.CharField(max_length=100)
    message_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "day", "time", "medicine"],
                                               name="chronic_reminder_once")]


class DietTemplate(models.Model):
    """A condition's diet-plan template (key improvements, foods with daily amounts, tips, a week's menu)."""

    condition = models.CharField(_("condition"), max_length=20, choices=Condition.choices, unique=True)
    name = models.CharField(_("name"), max_length=100)
    source = models.CharField(_("guideline source"), max_length=300)
    key_improvements = models.TextField(_("key improvements"))
    foods = models.JSONField(_("recommended foods"), default=list)  # [{"food", "amount"}]
    tips = models.TextField(_("tips"), blank=True, default="")
    menu = models.JSONField(_("weekly menu"), default=dict)  # {"breakfast": [7], "lunch": [7], "dinner": [7]}

    class Meta:
        verbose_name = _("diet template")
        verbose_name_plural = _("diet templates")
        ordering = ["condition"]

    def __str__(self) -> str:
        return self.name


class DietPlan(models.Model):
    """A client's diet plan by a nutritionist (SPEC PLN-5)."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="diet_plans",
                               verbose_name=_("client"))
    condition = models.CharField(_("condition"), max_length=20, choices=Condition.choices)
    key_improvements = models.TextField(_("key improvements"))
    foods = models.JSONField(_("recommended foods"), default=list)
    tips = models.TextField(_("tips"), blank=True, default="")
    menu = models.JSONField(_("weekly menu"), default=dict)
    nutritionist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("nutritionist"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("diet plan")
        verbose_name_plural = _("diet plans")
        ordering = ["-created_at", "-id"]


class Referral(models.Model):
    """A referral to a partner-hospital expert: the hospital and department are the plans app's partner data
    (chosen through ``plans.selectors.partner_hospitals``)."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="chronic_referrals",
                               verbose_name=_("client"))
    # Null only for referrals written as free text before partner hospitals were data (see ``note``).
    hospital = models.ForeignKey("plans.PartnerHospital", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name=_("hospital"))
    department = models.ForeignKey("plans.Department", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("department"))
    note = models.CharField(_("note"), max_length=200, blank=True, default="",
                            help_text=_("The hospital and department as first written, for referrals recorded as "
                                        "free text."))
    expert = models.CharField(_("expert"), max_length=60, blank=True, default="")
    clinic_time = models.CharField(_("clinic time"), max_length=100, blank=True, default="")
    reason = models.TextField(_("reason"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-id"]

    @property
    def hospital_label(self) -> str:
        """The partner hospital's name; for a free-text referral of before, the text as written."""
        return self.hospital.name if self.hospital_id and self.hospital else self.note

    @property
    def department_label(self) -> str:
        return self.department.name if self.department_id and self.department else ""
