
from django.contrib import admin

from careloop.audit.changes import AuditedReferenceAdmin

from .models import Assessment, ChildTcmGuidance, ConstitutionRecord, PrescriptionRule, Questionnaire


@admin.register(Questionnaire)
class QuestionnaireAdmin(AuditedReferenceAdmin):
    audit_name = "questionnaire"
    list_display = ("code", "version", "name", "is_active", "created_at")
    list_filter = ("code", "is_active")


@admin.register(PrescriptionRule)
class PrescriptionRuleAdmin(AuditedReferenceAdmin):
    audit_name = "prescription_rule"
    list_display = ("code", "category", "order", "is_active")
    list_editable = ("order", "is_active")
    search_fields = ("code", "text")


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
