"""Sign-in attempts, read-only, for administrators investigating lock-outs (unlock from the staff list)."""

from __future__ import annotations

from django.contrib import admin

from careloop.accounts.models import LoginAttempt
from careloop.org.admin import ReadOnlyForAdministrators


@admin.register(LoginAttempt)
class LoginAttemptAdmin(ReadOnlyForAdministrators, admin.ModelAdmin):
    list_display = ("at", "username", "ip", "success", "reason")
    list_filter = ("success", "reason")
    search_fields = ("=username", "=ip")
    date_hierarchy = "at"
    fields = list_display
    readonly_fields = fields
