"""Pages of careloop.assessments."""

from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/pdf/", views.detail_pdf, name="pdf"),
    path("<int:pk>/prescription/", views.edit_prescription, name="prescription"),
    path("<int:pk>/issue/", views.issue, name="issue"),
    path("run/", views.run_form, name="run_form"),
    path("batches/", views.batch_start, name="batch_start"),
    path("client/<int:client_id>/run/", views.run_for_client, name="run"),
    path("client/<int:client_id>/tcm/", views.tcm_form, name="tcm"),
    path("client/<int:client_id>/questionnaire/", views.questionnaire_form, name="questionnaire"),
    path("enterprise/<int:pk>/", views.group, name="group"),
    path("batches/<int:pk>/", views.batch, name="batch"),
]
