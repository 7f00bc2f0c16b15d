from typing import Any

from django.contrib import admin

from .models import Assessment, ChildTcmGuidance, ConstitutionRecord, PrescriptionRule, Questionnaire
from .reference import (
    prescription_rule_delete,
    prescription_rule_save,
    questionnaire_delete,
    questionnaire_save,
)


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ("code", "version", "name", "is_active", "created_at")
    list_filter = ("code", "is_active")

    def save_model(self, request: Any, obj: Questionnaire, form: Any, change: bool) -> None:
        questionnaire_save(questionnaire=obj, fields=form.changed_data, acting_user=request.user)  # audited

    def delete_model(self, request: Any, obj: Questionnaire) -> None:
        questionnaire_delete(questionnaire=obj, acting_user=request.user)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for questionnaire in queryset:
            questionnaire_delete(questionnaire=questionnaire, acting_user=request.user)


@admin.register(PrescriptionRule)
class PrescriptionRuleAdmin(admin.ModelAdmin):
    list_display = ("code", "category", "order", "is_active")
    list_editable = ("order", "is_active")
    search_fields = ("code", "text")

    def save_model(self, request: Any, obj: PrescriptionRule, form: Any, change: bool) -> None:
        prescription_rule_save(rule=obj, fields=form.changed_data, acting_user=request.user)  # audited

    def delete_model(self, request: Any, obj: PrescriptionRule) -> None:
        prescription_rule_delete(rule=obj, acting_user=request.user)

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for rule in queryset:
            prescription_rule_delete(rule=rule, acting_user=request.user)


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ("client", "status", "created_at", "issued_at")
    list_filter = ("status",)
    raw_id_fields = ("client", "questionnaire_response")

    def has_change_permission(
        self, request, obj=None
    ) -> bool:  # issued reports are changed only through services
        return False


@admin.register(ConstitutionRecord)
class ConstitutionRecordAdmin(admin.ModelAdmin):
    list_display = ("client", "primary", "needs_recheck", "recorded_on")
    raw_id_fields = ("client",)

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChildTcmGuidance)
class ChildTcmGuidanceAdmin(admin.ModelAdmin):
    list_display = ("client", "age_months", "given_on")
    raw_id_fields = ("client",)
