from django.contrib import admin

from careloop.quality.models import ChecklistItem, Finding, SamplingPlan, SupervisionPeriod


@admin.register(SamplingPlan)
class SamplingPlanAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "active", "percent", "minimum", "maximum", "stratum", "pass_mark"]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(admin.ModelAdmin):
    list_display = ["code", "dimension", "text", "points", "position", "active"]
    list_filter = ["dimension", "active"]


@admin.register(SupervisionPeriod)
class SupervisionPeriodAdmin(admin.ModelAdmin):
    list_display = ["branch", "start", "end", "plan", "drawn_by", "drawn_at"]
    readonly_fields = ["branch", "start", "end", "plan", "seed", "drawn_by", "drawn_at"]


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["staff", "owner", "due_date", "status"]
    list_filter = ["status"]
    readonly_fields = ["sample", "staff", "created_by", "closed_by", "closed_at"]
