from django.urls import path

from careloop.quality import views

app_name = "quality"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("draw/", views.draw_view, name="draw"),
    path("periods/<int:pk>/", views.period_view, name="period"),
    path("records/<int:record_id>/", views.record_view, name="record"),
    path("samples/<int:pk>/score/", views.score_view, name="score"),
    path("samples/<int:pk>/findings/", views.finding_create_view, name="finding_create"),
    path("findings/", views.findings_view, name="findings"),
    path("findings/<int:pk>/close/", views.finding_close_view, name="finding_close"),
    path("training/", views.training_view, name="training"),
    path("training/<int:pk>/exam/", views.exam_view, name="exam"),
    path("training/<int:pk>/staff/<int:staff_id>/", views.score_sheet_view, name="score_sheet"),
    path("training/<int:pk>/staff/<int:staff_id>/record/", views.score_sheet_post, name="score_sheet_post"),
    path("agreements/", views.agreements_view, name="agreements"),
    path("agreements/<int:pk>/file/", views.agreement_file_view, name="agreement_file"),
]
