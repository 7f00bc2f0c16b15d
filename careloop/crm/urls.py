"""Pages of careloop.crm, mounted under /crm/."""

from django.urls import path

from careloop.crm import engagement_views as ev
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
    path("offers/", ev.offer_list_view, name="offers"),
    path("offers/new/", ev.offer_edit_view, name="offer_new"),
    path("offers/<int:pk>/", ev.offer_edit_view, name="offer_edit"),
    path("events/", ev.event_list_view, name="events"),
    path("events/new/", ev.event_edit_view, name="event_new"),
    path("events/<int:pk>/", ev.event_view, name="event"),
    path("events/<int:pk>/edit/", ev.event_edit_view, name="event_edit"),
    path("events/<int:pk>/invite/", ev.event_invite_view, name="event_invite"),
    path("registrations/<int:pk>/action/", ev.registration_action_view, name="registration_action"),
    path("clients/<int:client_id>/engagement/", ev.client_engagement_view, name="client_engagement"),
]
