"""Pages of careloop.stats."""

from django.urls import path

from careloop.stats import views

app_name = "stats"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("followups/export/", views.followups_export, name="followups_export"),
    path("followups/tasks/", views.drilldown, name="drilldown"),
    path("clients/", views.clients_health, name="clients"),
    path("clients/export/", views.clients_export, name="clients_export"),
    path("reports/", views.reports, name="reports"),
    path("reports/kept/<int:pk>/", views.report_kept, name="report_kept"),
    path("reports/<str:period>/", views.report, name="report"),
    path("targets/", views.targets, name="targets"),
]
