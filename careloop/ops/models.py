"""Operations alerts: what the administrators must act on (a failed or stale backup)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OpsAlert(models.Model):
    class Kind(models.TextChoices):
        BACKUP_FAILED = "backup_failed", _("Backup failed")
        BACKUP_STALE = "backup_stale", _("No recent backup")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("resolved by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("operations alert")
        verbose_name_plural = _("operations alerts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["resolved_at", "kind"], name="opsalert_open")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"
