"""Admin screens for checkup data: packages, the item catalogue, grading rules, column mappings."""

from django.contrib import admin

from careloop.checkups.models import (
    BranchBookingPolicy,
    CheckupItem,
    CheckupPackage,
    ColumnMapping,
    GradingRule,
)


@admin.register(CheckupPackage)
class CheckupPackageAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "price", "active")
    list_filter = ("level", "active")


@admin.register(CheckupItem)
class CheckupItemAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "unit", "category", "numeric", "sort_order", "active")
    list_filter = ("category", "active")
    search_fields = ("code", "name")


@admin.register(GradingRule)
class GradingRuleAdmin(admin.ModelAdmin):
    list_display = ("item_code", "severity", "low", "low_inclusive", "high", "high_inclusive", "sex", "age_min", "age_max",
                    "finding", "active")
    list_filter = ("severity", "sex", "active")
    search_fields = ("item_code", "finding", "source")


@admin.register(ColumnMapping)
class ColumnMappingAdmin(admin.ModelAdmin):
    list_display = ("institution", "strict", "updated_at")


@admin.register(BranchBookingPolicy)
class BranchBookingPolicyAdmin(admin.ModelAdmin):
    list_display = ("branch", "change_deadline_days")
