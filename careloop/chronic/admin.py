"""Administrators edit the condition templates (guideline defaults) here."""

from django.contrib import admin

from careloop.chronic.models import ConditionTemplate, DietTemplate, IndicatorDefault


class IndicatorDefaultInline(admin.TabularInline):
    model = IndicatorDefault
    extra = 0
    fields = ["order", "code", "name", "unit", "frequency", "target_low", "target_high", "alarm_low", "alarm_high",
              "critical_low", "critical_high", "method"]


@admin.register(ConditionTemplate)
class ConditionTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "condition", "source"]
    inlines = [IndicatorDefaultInline]


@admin.register(DietTemplate)
class DietTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "condition", "source"]
