"""FHIR interchange data: the checkup-item → LOINC mapping table (data, with an admin screen)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LoincMapping(models.Model):
    """One checkup item code mapped to a LOINC code; items without a row are exported with the local code only."""

    item_code = models.CharField(_("checkup item code"), max_length=32, unique=True)
    loinc = models.CharField(_("LOINC code"), max_length=16)
    display = models.CharField(_("LOINC display name"), max_length=200)
    ucum = models.CharField(_("UCUM unit"), max_length=32, blank=True, default="")
    verified = models.BooleanField(_("checked against a published LOINC source"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("LOINC mapping")
        verbose_name_plural = _("LOINC mappings")
        ordering = ["item_code"]

    def __str__(self) -> str:
        return f"{self.item_code} → {self.loinc}"


class ImportedIdentifier(models.Model):
    """An identifier of an imported FHIR resource and the row it became: what makes imports idempotent."""

    resource_type = models.CharField(_("resource type"), max_length=40)
    system = models.CharField(_("identifier system"), max_length=200)
    value = models.CharField(_("identifier value"), max_length=200)
    object_id = models.BigIntegerField(_("object"))
    imported_by = models.ForeignKey("org.User", null=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("imported by"))
    imported_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        verbose_name = _("imported FHIR identifier")
        verbose_name_plural = _("imported FHIR identifiers")
        constraints = [models.UniqueConstraint(fields=["resource_type", "system", "value"], name="fhir_identifier_once")]

    def __str__(self) -> str:
        return f"{self.resource_type} {self.system}|{self.value}"


class BulkExport(models.Model):
    """One FHIR Bulk Data ``$export`` request: NDJSON files per resource type, removed at ``expires_at``."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    requested_by = models.ForeignKey("org.User", on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    types = models.JSONField(_("resource types"), default=list, blank=True)
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("files removed at"), null=True, blank=True)
    clients = models.PositiveIntegerField(_("clients"), default=0)
    output = models.JSONField(_("files"), default=list, blank=True)  # [{"type", "count"}]
    error = models.CharField(_("error"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("FHIR bulk export")
        verbose_name_plural = _("FHIR bulk exports")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"$export #{self.pk} {self.status}"
