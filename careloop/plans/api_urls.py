"""API routes of careloop.plans, mounted under /api/v1/."""

from django.urls import path

from careloop.plans import api

urlpatterns = [
    path("plans/", api.PlanList.as_view(), name="plan-list"),
    path("plans/<slug:code>/", api.PlanDetail.as_view(), name="plan-detail"),
    path("clients/<int:client_id>/plans/", api.ClientPlans.as_view(), name="client-plans"),
    path("clients/<int:client_id>/plans/<int:pk>/renew/", api.EnrolmentRenew.as_view(), name="client-plan-renew"),
    path("clients/<int:client_id>/plans/<int:pk>/cancel/", api.EnrolmentCancel.as_view(), name="client-plan-cancel"),
    path("clients/<int:client_id>/entitlements/", api.ClientEntitlements.as_view(), name="client-entitlements"),
    path("clients/<int:client_id>/archive-depth/", api.ClientArchiveDepth.as_view(), name="client-archive-depth"),
    path("clients/<int:client_id>/family-doctor/", api.ClientFamilyDoctor.as_view(), name="client-family-doctor"),
    path("clients/<int:client_id>/consultations/", api.ClientConsultations.as_view(), name="client-consultations"),
    path("clients/<int:client_id>/green-channel/", api.ClientGreenChannel.as_view(), name="client-green-channel"),
    path("green-channel/<int:pk>/", api.GreenChannelBookingDetail.as_view(), name="green-channel-detail"),
    path("enterprise-plans/", api.EnterprisePlans.as_view(), name="enterprise-plan-list"),
    path("enterprise-plans/<int:pk>/uses/", api.EnterprisePlanUses.as_view(), name="enterprise-plan-uses"),
    path("partner-hospitals/", api.PartnerHospitals.as_view(), name="partner-hospital-list"),
]
