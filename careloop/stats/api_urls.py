"""API routes of careloop.stats, mounted under /api/v1/ (before the clients router: clients/export/)."""

from django.urls import path

from careloop.stats import api

urlpatterns = [
    path("stats/followups/", api.FollowupStatsView.as_view(), name="stats-followups"),
    path("stats/followups/tasks/", api.DrillDownView.as_view(), name="stats-followups-tasks"),
    path("stats/kpis/", api.KpisView.as_view(), name="stats-kpis"),
    path("stats/reports/<str:period>/", api.ReportView.as_view(), name="stats-report"),
    path("clients/export/", api.ClientExportView.as_view(), name="clients-export"),
]
