"""Django admin for the statistics data (targets also have their own screen)."""

from django.contrib import admin

from careloop.stats.models import KpiTarget, ReportMail, StatsReport


@admin.register(KpiTarget)
class KpiTargetAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "comparison", "target", "unit", "updated_by", "updated_at")


@admin.register(StatsReport)
class StatsReportAdmin(admin.ModelAdmin):
    list_display = ("period", "date_from", "date_to", "unit", "created_at")
    list_filter = ("period",)
    readonly_fields = ("data",)


@admin.register(ReportMail)
class ReportMailAdmin(admin.ModelAdmin):
    list_display = ("report", "recipient", "email", "status", "attempts", "sent_at")
    list_filter = ("status",)
