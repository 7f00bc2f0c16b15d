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
