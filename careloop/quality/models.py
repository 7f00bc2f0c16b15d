"""Staff quality (SPEC QA-2, seed 000 §9): supervision samples of signed follow-up records, their
scores against a checklist, and the findings with corrective actions tracked to closure."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from careloop.org.models import Role


class Dimension(models.TextChoices):
    COMPLETENESS = "completeness", _("Completeness")
    TIMELINESS = "timeliness", _("Timeliness")
    MANNER = "manner", _("Manner")


class Stratum(models.TextChoices):
    NONE = "", _("No strata")
    CHANNEL = "channel", _("By channel")
    PROBLEM = "problem", _("By problem found")


class SamplingPlan(models.Model):
    """How many signed records are drawn per staff member and period (data, admin screen)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    active = models.BooleanField(_("active"), default=True)
    percent = models.DecimalField(_("share of records (%)"), max_digits=5, decimal_places=2, default=5)
    minimum = models.PositiveSmallIntegerField(_("at least per staff member"), default=2)
    maximum = models.PositiveSmallIntegerField(_("at most per staff member"), default=10)
    stratum = models.CharField(_("strata"), max_length=12, choices=Stratum.choices, default=Stratum.CHANNEL,
                               blank=True)
    pass_mark = models.DecimalField(_("pass mark (%)"), max_digits=5, decimal_places=2, default=80)

    class Meta:
        verbose_name = _("sampling plan")
        verbose_name_plural = _("sampling plans")

    def __str__(self) -> str:
        return self.name


class ChecklistItem(models.Model):
    """One point the inspector checks on a sampled record (data; defaults from seed 000 §5.3 and §9)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    dimension = models.CharField(_("dimension"), max_length=14, choices=Dimension.choices)
    text = models.CharField(_("what is checked"), max_length=200)
    points = models.PositiveSmallIntegerField(_("points"), default=1)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["dimension", "position", "code"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")

    def __str__(self) -> str:
        return self.text


class SupervisionPeriod(models.Model):
    """One supervision round of a branch: the sample drawn for it and who drew it."""

    branch = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch"))
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    plan = models.ForeignKey(SamplingPlan, on_delete=models.PROTECT, related_name="periods",
                             verbose_name=_("sampling plan"))
    seed = models.CharField(_("seed"), max_length=120)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("drawn by"))
    drawn_at = models.DateTimeField(_("drawn at"))

    class Meta:
        ordering = ["-start", "branch_id"]
        constraints = [models.UniqueConstraint(fields=["branch", "start", "end"], name="quality_period_unique")]
        verbose_name = _("supervision period")
        verbose_name_plural = _("supervision periods")

    def __str__(self) -> str:
        return f"{self.branch} {self.start:%Y-%m-%d}–{self.end:%Y-%m-%d}"


class SampledRecord(models.Model):
    """A signed follow-up record drawn for supervision, and its score once the inspector has scored it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To score")
        SCORED = "scored", _("Scored")

    period = models.ForeignKey(SupervisionPeriod, on_delete=models.CASCADE, related_name="samples",
                               verbose_name=_("supervision period"))
    record = models.ForeignKey("followups.FollowupRecord", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("follow-up record"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("staff member"))
    stratum = models.CharField(_("stratum"), max_length=30, blank=True)
    rank = models.PositiveSmallIntegerField(_("rank"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    marks = models.JSONField(_("marks"), default=dict, blank=True)
    completeness = models.DecimalField(_("completeness"), max_digits=5, decimal_places=1, null=True, blank=True)
    timeliness = models.DecimalField(_("timeliness"), max_digits=5, decimal_places=1, null=True, blank=True)
    manner = models.DecimalField(_("manner"), max_digits=5, decimal_places=1, null=True, blank=True)
    total = models.DecimalField(_("score"), max_digits=5, decimal_places=1, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    scored_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("scored by"))
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)

    class Meta:
        ordering = ["staff_id", "rank"]
        constraints = [models.UniqueConstraint(fields=["period", "record"], name="quality_sample_unique")]
        indexes = [models.Index(fields=["record"], name="quality_sample_record")]
        verbose_name = _("sampled record")
        verbose_name_plural = _("sampled records")

    def stratum_label(self) -> str:
        """The stratum as shown: the channel's or the problem level's own label, never the raw value."""
        from careloop.clients.models import Channel
        from careloop.followups.models import FollowupRecord

        labels = {**dict(Channel.choices), **dict(FollowupRecord.Problem.choices)}
        return str(labels.get(self.stratum, self.stratum)) if self.stratum else "-"


class Finding(models.Model):
    """What the inspector found on a sampled record, the corrective action, its owner and due date."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    sample = models.ForeignKey(SampledRecord, on_delete=models.PROTECT, related_name="findings",
                               verbose_name=_("sampled record"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("staff member"))
    description = models.TextField(_("finding"))
    action = models.TextField(_("corrective action"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner"))
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    closure_note = models.TextField(_("how it was closed"), blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("closed by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["status", "due_date", "pk"]
        indexes = [models.Index(fields=["staff", "status"], name="quality_finding_staff")]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")


# --- Training and assessment (SPEC QA-1, seed 000 §8) ---------------------------------------------


class QuestionBank(models.Model):
    """Theory exam questions as data. Each question: {"code", "text", "choices": [...], "answer": index,
    "points"}; choice questions are scored automatically."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    questions = models.JSONField(_("questions"), default=list)

    class Meta:
        verbose_name = _("question bank")
        verbose_name_plural = _("question banks")

    def __str__(self) -> str:
        return self.name


class PracticalItem(models.Model):
    """One point of the practical (simulated follow-up) assessment checklist (data)."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    text = models.CharField(_("what is assessed"), max_length=200)
    points = models.PositiveSmallIntegerField(_("points"), default=1)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("practical assessment item")
        verbose_name_plural = _("practical assessment items")

    def __str__(self) -> str:
        return self.text


class TrainingPlan(models.Model):
    """The training of one role for one period, and how its score is made (weights and pass mark are data)."""

    title = models.CharField(_("title"), max_length=120)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    branch = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("branch"))
    start = models.DateField(_("from"))
    end = models.DateField(_("to"))
    topics = models.TextField(_("topics"), blank=True)
    bank = models.ForeignKey(QuestionBank, on_delete=models.PROTECT, related_name="plans",
                             verbose_name=_("question bank"))
    theory_weight = models.DecimalField(_("theory weight"), max_digits=4, decimal_places=2, default=Decimal("0.4"))
    practical_weight = models.DecimalField(_("practical weight"), max_digits=4, decimal_places=2,
                                           default=Decimal("0.4"))
    satisfaction_weight = models.DecimalField(_("satisfaction weight"), max_digits=4, decimal_places=2,
                                              default=Decimal("0.2"))
    pass_mark = models.DecimalField(_("pass mark"), max_digits=5, decimal_places=1, default=Decimal("70"))

    class Meta:
        ordering = ["-start", "role"]
        verbose_name = _("training plan")
        verbose_name_plural = _("training plans")

    def __str__(self) -> str:
        return self.title


class TrainingSession(models.Model):
    plan = models.ForeignKey(TrainingPlan, on_delete=models.CASCADE, related_name="sessions",
                             verbose_name=_("training plan"))
    title = models.CharField(_("title"), max_length=120)
    starts_at = models.DateTimeField(_("starts at"))
    place = models.CharField(_("place"), max_length=120, blank=True)
    trainer = models.CharField(_("trainer"), max_length=60, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendance",
                                verbose_name=_("training session"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("staff member"))
    present = models.BooleanField(_("present"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "staff"], name="quality_attendance_unique")]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")


class ExamAttempt(models.Model):
    plan = models.ForeignKey(TrainingPlan, on_delete=models.PROTECT, related_name="attempts",
                             verbose_name=_("training plan"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("staff member"))
    answers = models.JSONField(_("answers"), default=dict)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1)
    taken_at = models.DateTimeField(_("taken at"))

    class Meta:
        ordering = ["-taken_at"]
        verbose_name = _("exam attempt")
        verbose_name_plural = _("exam attempts")


class PracticalAssessment(models.Model):
    plan = models.ForeignKey(TrainingPlan, on_delete=models.PROTECT, related_name="practicals",
                             verbose_name=_("training plan"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("staff member"))
    marks = models.JSONField(_("marks"), default=dict)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=1)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("assessed by"))
    assessed_at = models.DateTimeField(_("assessed at"))

    class Meta:
        ordering = ["-assessed_at"]
        verbose_name = _("practical assessment")
        verbose_name_plural = _("practical assessments")


class PeriodScore(models.Model):
    """One person's combined score for a training plan's period."""

    plan = models.ForeignKey(TrainingPlan, on_delete=models.PROTECT, related_name="scores",
                             verbose_name=_("training plan"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("staff member"))
    theory = models.DecimalField(_("theory exam"), max_digits=5, decimal_places=1, null=True, blank=True)
    practical = models.DecimalField(_("practical assessment"), max_digits=5, decimal_places=1, null=True,
                                    blank=True)
    satisfaction = models.DecimalField(_("client satisfaction"), max_digits=5, decimal_places=1, null=True,
                                       blank=True)
    total = models.DecimalField(_("score"), max_digits=5, decimal_places=1)
    passed = models.BooleanField(_("passed"))
    repeated_failure = models.BooleanField(_("failed again (for the manager)"), default=False)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["plan", "staff"], name="quality_period_score_unique")]
        verbose_name = _("period score")
        verbose_name_plural = _("period scores")


class TrainingTask(models.Model):
    """Retraining for someone below the pass mark (a follow-up task is client-bound; this one is not)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    plan = models.ForeignKey(TrainingPlan, on_delete=models.PROTECT, related_name="tasks",
                             verbose_name=_("training plan"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("staff member"))
    reason = models.CharField(_("reason"), max_length=200)
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=6, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["status", "due_date"]
        verbose_name = _("training task")
        verbose_name_plural = _("training tasks")


# --- Confidentiality agreements (seed 000 §7.1) ---------------------------------------------------


class AgreementVersion(models.Model):
    """A version of the staff confidentiality agreement; the latest effective one is current (data)."""

    version = models.CharField(_("version"), max_length=20, unique=True)
    effective_from = models.DateField(_("effective from"))

    class Meta:
        ordering = ["-effective_from"]
        verbose_name = _("confidentiality agreement version")
        verbose_name_plural = _("confidentiality agreement versions")

    def __str__(self) -> str:
        return self.version


class ConfidentialityAgreement(models.Model):
    """A staff member's signed agreement; the scanned file is kept outside every public URL (0600)."""

    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("staff member"))
    version = models.ForeignKey(AgreementVersion, on_delete=models.PROTECT, related_name="agreements",
                                verbose_name=_("version"))
    signed_on = models.DateField(_("signed on"))
    file_name = models.CharField(_("file"), max_length=120, editable=False)
    original_name = models.CharField(_("original file name"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("recorded by"))
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-signed_on", "-pk"]
        indexes = [models.Index(fields=["staff", "version"], name="quality_agreement_staff")]
        verbose_name = _("confidentiality agreement")
        verbose_name_plural = _("confidentiality agreements")
