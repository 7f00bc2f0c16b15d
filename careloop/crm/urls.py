"""Pages of careloop.crm, mounted under /crm/."""

from django.urls import path

from careloop.crm import views

app_name = "crm"
urlpatterns = [
    path("desk/", views.desk_view, name="desk"),
    path("desk/publish/", views.publish_view, name="publish"),
    path("appointments/<int:pk>/action/", views.appointment_action_view, name="appointment_action"),
    path("clients/<int:client_id>/book/", views.client_book_view, name="client_book"),
    path("clients/<int:client_id>/tier/", views.client_tier_view, name="client_tier"),
    path("tiers/", views.dashboard_view, name="dashboard"),
    path("tiers/criteria/", views.criteria_view, name="criteria"),
]
