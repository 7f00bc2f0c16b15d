"""Login attempts, kept to lock accounts and throttle addresses (SEC-5)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LoginAttempt(models.Model):
    username = models.CharField(max_length=150, db_index=True)
    ip = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(db_index=True)
    success = models.BooleanField()
    reason = models.CharField(max_length=30, blank=True, default="")

    class Meta:
        verbose_name = _("sign-in attempt")
        verbose_name_plural = _("sign-in attempts")
        ordering = ["-at"]
        indexes = [models.Index(fields=["username", "at"], name="login_user_at"),
                   models.Index(fields=["ip", "at"], name="login_ip_at")]
