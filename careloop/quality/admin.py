"""Admin screens for staff-quality data (administrators only; writes audited): sampling plans,
checklists, question banks, practical items, training plans with sessions, agreement versions."""

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from careloop.audit.services import audit_record
from careloop.org.admin import AdministratorsOnly, ReadOnlyForAdministrators
from careloop.quality.models import (
    AgreementVersion,
    ChecklistItem,
    Finding,
    PracticalItem,
    QuestionBank,
    SamplingPlan,
    SupervisionPeriod,
    TrainingPlan,
    TrainingSession,
)


class AuditedData(AdministratorsOnly, admin.ModelAdmin):
    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(actor=request.user, action="quality.data.change" if change else "quality.data.add", obj=obj,
                     detail={"fields": sorted(form.changed_data)})


@admin.register(SamplingPlan)
class SamplingPlanAdmin(AuditedData):
    list_display = ["code", "name", "active", "percent", "minimum", "maximum", "stratum", "pass_mark"]


@admin.register(ChecklistItem)
class ChecklistItemAdmin(AuditedData):
    list_display = ["code", "dimension", "text", "points", "position", "active"]
    list_filter = ["dimension", "active"]


@admin.register(SupervisionPeriod)
class SupervisionPeriodAdmin(ReadOnlyForAdministrators, admin.ModelAdmin):
    list_display = ["branch", "start", "end", "plan", "drawn_by", "drawn_at"]
    readonly_fields = ["branch", "start", "end", "plan", "seed", "drawn_by", "drawn_at"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyForAdministrators, admin.ModelAdmin):
    list_display = ["staff", "owner", "due_date", "status"]
    list_filter = ["status"]
    readonly_fields = ["sample", "staff", "created_by", "closed_by", "closed_at"]


@admin.register(QuestionBank)
class QuestionBankAdmin(AuditedData):
    list_display = ["code", "name"]


@admin.register(PracticalItem)
class PracticalItemAdmin(AuditedData):
    list_display = ["code", "text", "points", "position", "active"]


class SessionInline(admin.TabularInline):
    model = TrainingSession
    extra = 1


@admin.register(TrainingPlan)
class TrainingPlanAdmin(AuditedData):
    list_display = ["title", "role", "branch", "start", "end", "pass_mark"]
    list_filter = ["role"]
    inlines = [SessionInline]


@admin.register(AgreementVersion)
class AgreementVersionAdmin(AuditedData):
    list_display = ["version", "effective_from"]
