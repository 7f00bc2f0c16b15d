"""API routes of careloop.chronic, mounted under /api/v1/."""

from django.urls import path

from careloop.chronic import api, api_plans

urlpatterns = [
    path("monitoring-plans/", api.MonitoringPlanList.as_view(), name="monitoring-plan-list"),
    path("monitoring-plans/<int:pk>/", api.MonitoringPlanDetail.as_view(), name="monitoring-plan-detail"),
    path("monitoring-logs/", api.MonitoringLogList.as_view(), name="monitoring-log-list"),
    path("monitoring-logs/batch/", api.MonitoringLogBatch.as_view(), name="monitoring-log-batch"),
    path("monitoring-logs/<int:pk>/", api.MonitoringLogDetail.as_view(), name="monitoring-log-detail"),
    path("screening-candidates/", api.ScreeningCandidateList.as_view(), name="screening-candidate-list"),
    path("screening-candidates/enrol/", api.ScreeningEnrol.as_view(), name="screening-candidate-enrol"),
    path("referrals/", api.ReferralList.as_view(), name="referral-list"),
    path("health-plans/", api_plans.HealthPlanList.as_view(), name="health-plan-list"),
    path("health-plans/<int:pk>/", api_plans.HealthPlanDetail.as_view(), name="health-plan-detail"),
    path("health-plans/<int:pk>/adjustments/", api_plans.AdjustmentCreate.as_view(), name="health-plan-adjust"),
    path("plan-adjustments/", api_plans.AdjustmentList.as_view(), name="plan-adjustment-list"),
    path("plan-adjustments/<int:pk>/", api_plans.AdjustmentDetail.as_view(), name="plan-adjustment-detail"),
    path("plan-adjustments/<int:pk>/review/", api_plans.AdjustmentReview.as_view(), name="plan-adjustment-review"),
]
