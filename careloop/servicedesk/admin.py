"""Admin screens for the desk's data: the feedback theme dictionary and stop words; tickets read-only."""

from django.contrib import admin

from .models import FeedbackTheme, StopWord, Ticket


@admin.register(FeedbackTheme)
class FeedbackThemeAdmin(admin.ModelAdmin):
    list_display = ("name", "active")
    list_filter = ("active",)
    search_fields = ("name", "keywords")


@admin.register(StopWord)
class StopWordAdmin(admin.ModelAdmin):
    list_display = ("word",)
    search_fields = ("word",)


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "channel", "status", "urgent", "client", "staff", "created_at")
    list_filter = ("kind", "status", "urgent", "malpractice")
    raw_id_fields = ("client", "staff", "assignee", "record", "answered_by", "escalated_to", "approved_by",
                     "created_by", "branch")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # tickets are written through the desk's services (history, audit)

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
