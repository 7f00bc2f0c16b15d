"""Pages of the service desk, and the public survey page (no login)."""

from django.urls import path

from . import views

app_name = "servicedesk"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("team/", views.team, name="team"),
    path("approvals/", views.approvals, name="approvals"),
    path("tickets/new/", views.ticket_new, name="ticket_new"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/<str:action>/", views.ticket_action, name="ticket_action"),
    path("surveys/new/", views.survey_new, name="survey_new"),
    path("satisfaction/", views.nps_page, name="nps"),
    path("s/<str:token>/", views.survey_public, name="survey_public"),
    path("s/<str:token>/qr.svg", views.survey_qr, name="survey_qr"),
]
