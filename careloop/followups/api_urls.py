"""API routes of careloop.followups, mounted under /api/v1/."""

from django.urls import path

from careloop.followups import api, api_actions

urlpatterns = [
    path("encounters/", api.EncounterList.as_view(), name="encounter-list"),
    path("encounters/<int:pk>/", api.EncounterDetail.as_view(), name="encounter-detail"),
    path("followup-tasks/", api.TaskList.as_view(), name="followup-task-list"),
    path("followup-tasks/worklist/", api.WorklistView.as_view(), name="followup-worklist"),
    path("followup-tasks/<int:pk>/", api.TaskDetail.as_view(), name="followup-task-detail"),
    path("followup-tasks/<int:pk>/attempts/", api.AttemptList.as_view(), name="followup-task-attempts"),
    path("followup-tasks/<int:pk>/record/", api.RecordView.as_view(), name="followup-task-record"),
    path("followup-tasks/<int:pk>/addendum/", api_actions.RecordAddendum.as_view(), name="followup-task-addendum"),
    path("escalations/<int:pk>/<str:step>/", api_actions.EscalationStep.as_view(), name="escalation-step"),
    path("followup-rules/", api_actions.RuleCreate.as_view(), name="followup-rule-create"),
    path("followup-rules/<int:pk>/", api_actions.RuleUpdate.as_view(), name="followup-rule-update"),
    path("followup-rules/<int:pk>/apply/", api_actions.RuleApply.as_view(), name="followup-rule-apply"),
]
