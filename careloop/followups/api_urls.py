"""API routes of careloop.followups, mounted under /api/v1/."""

from django.urls import path

from careloop.followups import api

urlpatterns = [
    path("encounters/", api.EncounterList.as_view(), name="encounter-list"),
    path("encounters/<int:pk>/", api.EncounterDetail.as_view(), name="encounter-detail"),
    path("followup-tasks/", api.TaskList.as_view(), name="followup-task-list"),
    path("followup-tasks/worklist/", api.WorklistView.as_view(), name="followup-worklist"),
    path("followup-tasks/<int:pk>/", api.TaskDetail.as_view(), name="followup-task-detail"),
    path("followup-tasks/<int:pk>/attempts/", api.AttemptList.as_view(), name="followup-task-attempts"),
    path("followup-tasks/<int:pk>/record/", api.RecordView.as_view(), name="followup-task-record"),
]
