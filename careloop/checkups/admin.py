"""Admin screens for checkup data: packages, the item catalogue, grading rules, column mappings."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from careloop.audit.changes import AuditedReferenceAdmin
from careloop.checkups.layout import FIELD_LABELS
from careloop.checkups.models import (
    BranchBookingPolicy,
    CheckupItem,
    CheckupPackage,
    ColumnMapping,
    GradingRule,
)
from careloop.checkups.services import column_mapping_clean, column_mapping_save
from careloop.org.permissions import Cap


class ColumnMappingForm(forms.ModelForm):
    class Meta:
        model = ColumnMapping
        fields = ("institution", "mapping", "strict")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        institution = str(data.get("institution") or getattr(self.instance, "institution", ""))
        try:
            column_mapping_clean(institution=institution, mapping=data.get("mapping") or {})
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error("institution" if field == "institution" else "mapping",
                               [f"{FIELD_LABELS.get(field, field)}：{m}" for m in messages])
        return data


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
class GradingRuleAdmin(AuditedReferenceAdmin):
    audit_name = "grading_rule"
    list_display = ("item_code", "severity", "low", "low_inclusive", "high", "high_inclusive", "sex", "age_min", "age_max",
                    "finding", "active")
    list_filter = ("severity", "sex", "active")
    search_fields = ("item_code", "finding", "source")


@admin.register(ColumnMapping)
class ColumnMappingAdmin(AuditedReferenceAdmin):
    audit_name = "column_mapping"
    audit_cap = Cap.IMPORT_RESULTS
    list_display = ("institution", "strict", "updated_at")
    fields = ("institution", "mapping", "strict")
    form = ColumnMappingForm

    def get_readonly_fields(self, request: Any, obj: ColumnMapping | None = None) -> tuple[str, ...]:
        return ("institution",) if obj is not None else ()

    def save_model(self, request: Any, obj: ColumnMapping, form: Any, change: bool) -> None:
        # the mapping screen's service: validated, audited
        saved = column_mapping_save(institution=obj.institution, mapping=obj.mapping or {}, strict=obj.strict,
                                    acting_user=request.user)
        obj.pk = saved.pk


@admin.register(BranchBookingPolicy)
class BranchBookingPolicyAdmin(admin.ModelAdmin):
    list_display = ("branch", "change_deadline_days")
