"""Models of careloop.assessments: questionnaires (versioned data), answers, entered inputs,
assessments with their provenance and prescription, TCM records, prescription rules, batches."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from careloop.clients.models import Client


class Questionnaire(models.Model):
    """A questionnaire definition as data (sections, questions, finding rules); one row per version."""

    code = models.CharField(_("code"), max_length=40)
    version = models.CharField(_("version"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    definition = models.JSONField(_("definition"))
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="assessments_questionnaire_version")
        ]
        ordering = ["code", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"


class QuestionnaireResponse(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="questionnaire_responses")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="responses")
    answers = models.JSONField(_("answers"))
    answered_on = models.DateField(_("answered on"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("questionnaire response")
        verbose_name_plural = _("questionnaire responses")
        indexes = [models.Index(fields=["client", "-answered_on"])]

    def __str__(self) -> str:
        return f"{self.questionnaire} · {self.answered_on}"


class InputEntry(models.Model):
    """Assessment inputs entered by staff for a client (values of CONTRACT's input names)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="assessment_inputs")
    values = models.JSONField(_("values"))
    measured_on = models.DateField(_("measured on"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("entered assessment inputs")
        verbose_name_plural = _("entered assessment inputs")
        indexes = [models.Index(fields=["client", "-measured_on"])]


class PrescriptionRule(models.Model):
    """Which advice for which finding (ASM-2 (6)); defaults loaded from engine/data/prescription_rules.json."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    findings = models.JSONField(
        _("findings"), help_text=_("Finding codes such as 'bmi:obese' or 'smoking:current'.")
    )
    category = models.CharField(_("category"), max_length=30)
    order = models.PositiveIntegerField(_("order"), default=100)
    text = models.TextField(_("advice"))
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("prescription rule")
        verbose_name_plural = _("prescription rules")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.code

    def as_rule(self) -> dict:
        return {
            "code": self.code,
            "finding": list(self.findings),
            "category": self.category,
            "order": self.order,
            "text_zh": self.text,
        }


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    ISSUED = "issued", _("issued")


class Assessment(models.Model):
    """One individual health assessment: inputs with provenance, model results, the six sections,
    and the prescription, which the expert may edit until the report is issued (signed)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="assessments")
    status = models.CharField(
        _("status"), max_length=10, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    inputs = models.JSONField(_("inputs"))
    provenance = models.JSONField(_("where each input came from"), default=dict)
    lifestyle = models.JSONField(_("lifestyle findings"), default=list)
    result = models.JSONField(_("models and risk factors"))
    sections = models.JSONField(_("report sections"))
    prescription = models.JSONField(_("prescription"), default=list)
    tcm = models.JSONField(_("TCM constitution"), null=True, blank=True)
    questionnaire_response = models.ForeignKey(
        QuestionnaireResponse, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True)
    signature = models.CharField(_("signature"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("health assessment")
        verbose_name_plural = _("health assessments")
        indexes = [models.Index(fields=["client", "-created_at"])]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.client} · {self.created_at:%Y-%m-%d}"


class ConstitutionRecord(models.Model):
    """An elderly TCM constitution identification (33 items) with the guidance given."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="constitution_records")
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="+")
    answers = models.JSONField(_("answers"))
    result = models.JSONField(_("result"))
    primary = models.CharField(_("primary constitution"), max_length=10, blank=True, default="")
    needs_recheck = models.BooleanField(_("needs re-check"), default=False)
    guidance_given = models.JSONField(_("guidance given"), default=list)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_on = models.DateField(_("date"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("TCM constitution record")
        verbose_name_plural = _("TCM constitution records")
        ordering = ["-recorded_on", "-pk"]


class ChildTcmGuidance(models.Model):
    """Children's TCM guidance given to parents at 6-36 months (diet, routine, massage)."""

    class Age(models.IntegerChoices):
        M6 = 6, _("6 months")
        M12 = 12, _("12 months")
        M18 = 18, _("18 months")
        M24 = 24, _("24 months")
        M30 = 30, _("30 months")
        M36 = 36, _("36 months")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="child_tcm_guidance")
    age_months = models.PositiveSmallIntegerField(_("age (months)"), choices=Age.choices)
    diet = models.BooleanField(_("diet guidance given"), default=True)
    routine = models.BooleanField(_("daily routine guidance given"), default=True)
    massage = models.JSONField(_("massage methods taught"), default=list)
    notes = models.TextField(_("notes"), blank=True, default="")
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    given_on = models.DateField(_("date"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("children's TCM guidance")
        verbose_name_plural = _("children's TCM guidance")
        ordering = ["-given_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "age_months"], name="assessments_child_tcm_once_per_age"
            )
        ]


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")


class AssessmentBatch(models.Model):
    """Assessments run for a list of clients in the background, with progress."""

    client_ids = models.JSONField(_("clients"))
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.JSONField(_("failures"), default=list)
    status = models.CharField(max_length=10, choices=BatchStatus.choices, default=BatchStatus.QUEUED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("assessment batch")
        verbose_name_plural = _("assessment batches")
        ordering = ["-created_at"]

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * (self.done + len(self.failed)) / self.total)
