"""Django admin for the follow-up data administrators maintain (questionnaires; rules have their own screen)."""

from django.contrib import admin

from careloop.followups.models import Questionnaire


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ("code", "series", "position", "name", "active")
    list_filter = ("series", "position", "active")

