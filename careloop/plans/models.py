"""Service plans (seed 004), what each client bought, what they used, family doctors and the green channel."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Period(models.TextChoices):
    YEAR = "year", _("per service year")
    MONTH = "month", _("per service month")
    UNLIMITED = "unlimited", _("unlimited")


class Audience(models.TextChoices):
    INDIVIDUAL = "individual", _("Individual")
    GROUP = "group", _("Enterprise group")


class ArchiveLevel(models.IntegerChoices):
    I = 1, _("Level I")  # noqa: E741
    II = 2, _("Level II")
    III = 3, _("Level III")


class Service(models.Model):
    """A sub-service a plan may include (体检管理, 健康讲座, 家庭医生 …); data."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    description = models.CharField(_("description"), max_length=300, blank=True, default="")
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class ArchiveSection(models.Model):
    """A section of the health archive and the archive level from which plans cover it (ARC-5)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    level = models.PositiveSmallIntegerField(_("archive level"), choices=ArchiveLevel.choices)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("archive section")
        verbose_name_plural = _("archive sections")
        ordering = ["level", "sort_order"]

    def __str__(self) -> str:
        return self.name


class Plan(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    audience = models.CharField(_("sold to"), max_length=12, choices=Audience.choices, default=Audience.INDIVIDUAL)
    description = models.TextField(_("description"), blank=True, default="")
    active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("service plan")
        verbose_name_plural = _("service plans")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class PlanVersion(models.Model):
    """One version of a plan's content and price; never edited once written (enrolments point to it)."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="versions", verbose_name=_("plan"))
    number = models.PositiveIntegerField(_("version"))
    price = models.DecimalField(_("price (yuan)"), max_digits=10, decimal_places=2)
    archive_level = models.PositiveSmallIntegerField(_("archive level"), choices=ArchiveLevel.choices)
    newsletter_copy_price = models.DecimalField(_("price per printed newsletter copy (yuan)"), max_digits=8,
                                                decimal_places=2, default=0)
    note = models.CharField(_("what changed"), max_length=200, blank=True, default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("created by"))

    class Meta:
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        ordering = ["plan_id", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="plans_version_once")]

    def __str__(self) -> str:
        return f"{self.plan.name} v{self.number}"


class PlanService(models.Model):
    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="services")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+", verbose_name=_("service"))
    quota = models.PositiveIntegerField(_("quota"), null=True, blank=True, help_text=_("Empty means unlimited."))
    period = models.CharField(_("period"), max_length=10, choices=Period.choices, default=Period.YEAR)
    per_group = models.BooleanField(_("used by the enterprise as a whole"), default=False)

    class Meta:
        verbose_name = _("plan service")
        verbose_name_plural = _("plan services")
        ordering = ["service__sort_order", "service__code"]
        constraints = [models.UniqueConstraint(fields=["version", "service"], name="plans_service_once")]


class EnrolmentStatus(models.TextChoices):
    ACTIVE = "active", _("In force")
    CANCELLED = "cancelled", _("Cancelled")


class GroupEnrolment(models.Model):
    """An enterprise's purchase of a group plan for its members (ARC-3)."""

    enterprise = models.ForeignKey("clients.Enterprise", on_delete=models.PROTECT, related_name="plan_enrolments",
                                   verbose_name=_("enterprise"))
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("plan version"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(_("status"), max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE)
    lectures_per_year = models.PositiveSmallIntegerField(_("lectures per year"), null=True, blank=True)
    newsletter_copies = models.PositiveIntegerField(_("printed newsletter copies per issue"), default=0)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    renewed_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("enterprise enrolment")
        verbose_name_plural = _("enterprise enrolments")
        ordering = ["-start_date", "-id"]


class Enrolment(models.Model):
    """A client's purchase of one plan version for one service year; the version is the snapshot."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="plan_enrolments",
                               verbose_name=_("client"))
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="enrolments",
                                verbose_name=_("plan version"))
    group = models.ForeignKey(GroupEnrolment, null=True, blank=True, on_delete=models.PROTECT, related_name="members",
                              verbose_name=_("enterprise enrolment"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(_("status"), max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ACTIVE)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    renewed_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["client", "status", "end_date"], name="plans_enrolment_current")]


class EntitlementUse(models.Model):
    """One use of a service, counted against the quota of its period; written under the enrolment's row lock."""

    enrolment = models.ForeignKey(Enrolment, null=True, blank=True, on_delete=models.PROTECT, related_name="uses")
    group = models.ForeignKey(GroupEnrolment, null=True, blank=True, on_delete=models.PROTECT, related_name="uses")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+", verbose_name=_("service"))
    used_on = models.DateField(_("date"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    copies = models.PositiveIntegerField(_("copies"), default=1)
    source = models.CharField(_("source"), max_length=60, blank=True, default="")
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    released_at = models.DateTimeField(_("released"), null=True, blank=True)

    class Meta:
        verbose_name = _("service use")
        verbose_name_plural = _("service uses")
        ordering = ["-used_on", "-id"]
        indexes = [models.Index(fields=["enrolment", "service", "period_start"], name="plans_use_period")]
        constraints = [models.CheckConstraint(
            condition=models.Q(enrolment__isnull=False, group__isnull=True) | models.Q(enrolment__isnull=True,
                                                                                      group__isnull=False),
            name="plans_use_one_holder")]


# --- family doctors and the green channel -------------------------------------------------------


class PartnerHospital(models.Model):
    """A partner (签约) hospital; shared with chronic-disease referrals through selectors.partner_hospitals."""

    name = models.CharField(_("name"), max_length=100)
    grade = models.CharField(_("grade"), max_length=20, blank=True, default="")
    address = models.CharField(_("address"), max_length=200, blank=True, default="")
    phone = models.CharField(_("phone"), max_length=30, blank=True, default="")
    branch = models.ForeignKey("org.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("branch"), help_text=_("Empty: every branch."))
    green_channel = models.BooleanField(_("green-channel agreement"), default=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("partner hospital")
        verbose_name_plural = _("partner hospitals")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    hospital = models.ForeignKey(PartnerHospital, on_delete=models.CASCADE, related_name="departments",
                                 verbose_name=_("hospital"))
    name = models.CharField(_("name"), max_length=60)
    specialty = models.CharField(_("specialty"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["hospital_id", "name"]

    def __str__(self) -> str:
        return f"{self.hospital.name} {self.name}"


class ClinicSession(models.Model):
    """When an expert of a department sees patients (出诊时间)."""

    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="sessions",
                                   verbose_name=_("department"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), help_text=_("1 = Monday … 7 = Sunday"))
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))
    doctor_name = models.CharField(_("doctor"), max_length=50, blank=True, default="")
    title = models.CharField(_("title"), max_length=30, blank=True, default="")

    class Meta:
        verbose_name = _("clinic time")
        verbose_name_plural = _("clinic times")
        ordering = ["department_id", "weekday", "start"]


class DoctorKind(models.TextChoices):
    FULLTIME = "fulltime", _("Family consulting doctor (full-time)")
    PARTTIME = "parttime", _("Family health doctor (part-time, partner hospital)")


class FamilyDoctor(models.Model):
    """A staff member who serves as a family doctor (seed 004)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="family_doctor_profile",
                                verbose_name=_("staff member"))
    kind = models.CharField(_("kind"), max_length=10, choices=DoctorKind.choices)
    hospital = models.ForeignKey(PartnerHospital, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("hospital"))
    title = models.CharField(_("title"), max_length=30, blank=True, default="")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("family doctor")
        verbose_name_plural = _("family doctors")

    def __str__(self) -> str:
        return str(self.user)


class Consultation(models.Model):
    """A family-doctor consultation record (客户咨询情况记录表): complaint, advice, referral."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="consultations",
                               verbose_name=_("client"))
    doctor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("family doctor"))
    doctor_kind = models.CharField(_("kind"), max_length=10, choices=DoctorKind.choices)
    at = models.DateTimeField(_("time"))
    channel = models.CharField(_("channel"), max_length=10, default="phone")
    complaint = models.TextField(_("complaint"))
    advice = models.TextField(_("advice"))
    referral = models.CharField(_("referral"), max_length=200, blank=True, default="")
    use = models.OneToOneField(EntitlementUse, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["-at", "-id"]


class BookingKind(models.TextChoices):
    APPOINTMENT = "appointment", _("Outpatient appointment")
    ADMISSION = "admission", _("Admission")


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    CONFIRMED = "confirmed", _("Confirmed")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class GreenChannelBooking(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="green_channel_bookings",
                               verbose_name=_("client"))
    kind = models.CharField(_("kind"), max_length=12, choices=BookingKind.choices)
    hospital = models.ForeignKey(PartnerHospital, on_delete=models.PROTECT, related_name="+", verbose_name=_("hospital"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("department"))
    session = models.ForeignKey(ClinicSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("clinic time"))
    wanted_at = models.DateTimeField(_("appointment time"))
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    status = models.CharField(_("status"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.REQUESTED)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("booked by"))
    use = models.OneToOneField(EntitlementUse, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    message_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)

    class Meta:
        verbose_name = _("green-channel booking")
        verbose_name_plural = _("green-channel bookings")
        ordering = ["-wanted_at", "-id"]
