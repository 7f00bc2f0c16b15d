"""Pages of careloop.plans."""

from django.urls import path

from careloop.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.catalogue_view, name="catalogue"),
    path("new/", views.plan_edit_view, name="plan_new"),
    path("edit/<slug:code>/", views.plan_edit_view, name="plan_edit"),
    path("client/<int:client_id>/", views.client_plans_view, name="client"),
    path("client/<int:client_id>/enrol/", views.client_enrol_view, name="enrol"),
    path("client/<int:client_id>/use/", views.client_use_view, name="use"),
    path("client/<int:client_id>/family-doctor/", views.family_doctor_view, name="family_doctor"),
    path("client/<int:client_id>/enrolment/<int:pk>/<str:action>/", views.enrolment_action_view,
         name="enrolment_action"),
    path("client/<int:client_id>/consultations/", views.consultations_view, name="consultations"),
    path("client/<int:client_id>/green-channel/", views.green_channel_view, name="green_channel"),
    path("green-channel/<int:pk>/status/", views.green_channel_status_view, name="green_channel_status"),
    path("enterprise/<int:enterprise_id>/", views.enterprise_plans_view, name="enterprise"),
    path("enterprise-plan/<int:pk>/use/", views.enterprise_use_view, name="enterprise_use"),
]
