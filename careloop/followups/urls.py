"""Pages of careloop.followups."""

from django.urls import path

from careloop.followups import views

app_name = "followups"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/attempt/", views.task_attempt, name="task_attempt"),
    path("tasks/<int:pk>/call/", views.task_call, name="task_call"),
    path("tasks/<int:pk>/record/", views.task_record, name="task_record"),
    path("tasks/<int:pk>/addendum/", views.record_addendum, name="record_addendum"),
    path("tasks/<int:pk>/reassign/", views.task_reassign, name="task_reassign"),
    path("clients/<int:client_pk>/encounters/new/", views.encounter_new, name="encounter_new"),
    path("encounters/<int:pk>/", views.encounter_detail, name="encounter"),
    path("escalations/", views.escalations, name="escalations"),
    path("rules/", views.rules_list, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<int:pk>/", views.rule_edit, name="rule"),
    path("rules/<int:pk>/apply/", views.rule_apply, name="rule_apply"),
]
