"""Sign-in attempts, read-only, for administrators investigating lock-outs (unlock from the staff list)."""

from __future__ import annotations

from django.contrib import admin

from careloop.accounts.models import LoginAttempt
from careloop.accounts.views import admin_login_view
from careloop.org.admin import ReadOnlyForAdministrators


@admin.register(LoginAttempt)
class LoginAttemptAdmin(ReadOnlyForAdministrators, admin.ModelAdmin):
    list_display = ("at", "username", "ip", "success", "reason")
    list_filter = ("success", "reason")
    search_fields = ("=username", "=ip")
    date_hierarchy = "at"
    fields = list_display
    readonly_fields = fields


# One sign-in for the whole system: the admin's own login form (no lock-out, throttling, two-step code or
# audit) is replaced by a redirect to the application's sign-in (issue 10, finding 1).
admin.site.login = admin_login_view  # type: ignore[method-assign]
