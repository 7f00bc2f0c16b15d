"""Django admin for the follow-up data administrators maintain (questionnaires; rules have their own screen)."""

from django.contrib import admin

from careloop.followups.models import Questionnaire, ServiceTicket


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ("code", "series", "position", "name", "active")
    list_filter = ("series", "position", "active")


@admin.register(ServiceTicket)
class ServiceTicketAdmin(admin.ModelAdmin):
    list_display = ("id", "client", "kind", "status", "created_by", "created_at")
    list_filter = ("kind", "status")
    raw_id_fields = ("client", "record")
