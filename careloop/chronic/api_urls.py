"""API routes of careloop.chronic, mounted under /api/v1/."""

from django.urls import path

from careloop.chronic import api

urlpatterns = [
    path("monitoring-plans/", api.MonitoringPlanList.as_view(), name="monitoring-plan-list"),
    path("monitoring-plans/<int:pk>/", api.MonitoringPlanDetail.as_view(), name="monitoring-plan-detail"),
    path("monitoring-logs/", api.MonitoringLogList.as_view(), name="monitoring-log-list"),
    path("monitoring-logs/<int:pk>/", api.MonitoringLogDetail.as_view(), name="monitoring-log-detail"),
]
