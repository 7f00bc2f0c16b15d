"""API routes of careloop.crm, mounted under /api/v1/."""

from django.urls import path

from careloop.crm import api

urlpatterns = [
    path("clients/<int:pk>/ledger/", api.LedgerView.as_view(), name="client-ledger"),
    path("clients/<int:pk>/tier/", api.TierView.as_view(), name="client-tier"),
    path("appointment-slots/", api.SlotListView.as_view(), name="appointment-slot-list"),
    path("appointments/", api.AppointmentListView.as_view(), name="appointment-list"),
    path("appointments/<int:pk>/", api.AppointmentDetailView.as_view(), name="appointment-detail"),
]
