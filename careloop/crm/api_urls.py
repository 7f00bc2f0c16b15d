"""API routes of careloop.crm, mounted under /api/v1/."""

from django.urls import path

from careloop.crm import api
from careloop.crm import engagement_api as ea

urlpatterns = [
    path("clients/<int:pk>/ledger/", api.LedgerView.as_view(), name="client-ledger"),
    path("clients/<int:pk>/tier/", api.TierView.as_view(), name="client-tier"),
    path("appointment-slots/", api.SlotListView.as_view(), name="appointment-slot-list"),
    path("appointments/", api.AppointmentListView.as_view(), name="appointment-list"),
    path("appointments/<int:pk>/", api.AppointmentDetailView.as_view(), name="appointment-detail"),
    path("offers/", ea.OfferListView.as_view(), name="offer-list"),
    path("offers/<int:pk>/", ea.OfferDetailView.as_view(), name="offer-detail"),
    path("clients/<int:pk>/offers/", ea.ClientOffersView.as_view(), name="client-offers"),
    path("events/", ea.EventListView.as_view(), name="event-list"),
    path("events/<int:pk>/", ea.EventDetailView.as_view(), name="event-detail"),
    path("events/<int:pk>/invitations/", ea.EventInviteView.as_view(), name="event-invitations"),
    path("events/<int:pk>/registrations/", ea.EventRegistrationsView.as_view(), name="event-registrations"),
    path("event-registrations/<int:pk>/", ea.RegistrationDetailView.as_view(), name="event-registration-detail"),
]
