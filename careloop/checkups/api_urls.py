"""API routes of careloop.checkups, mounted under /api/v1/."""

from django.urls import path

from careloop.checkups import api, api_actions

urlpatterns = [
    path("checkups/", api.CheckupList.as_view(), name="checkup-list"),
    path("checkups/<int:pk>/", api.CheckupDetail.as_view(), name="checkup-detail"),
    path("checkup-imports/", api.ImportCreate.as_view(), name="checkup-import-create"),
    path("checkup-imports/<int:pk>/", api.ImportDetail.as_view(), name="checkup-import-detail"),
    path("group-bookings/", api.GroupBookingList.as_view(), name="group-booking-list"),
    path("group-bookings/<int:pk>/", api.GroupBookingDetail.as_view(), name="group-booking-detail"),
    path("critical-alerts/<int:pk>/acknowledge/", api_actions.AlertAcknowledge.as_view(), name="critical-alert-ack"),
    path("report-deliveries/<int:pk>/record/", api_actions.DeliveryRecord.as_view(), name="report-delivery-record"),
    path("interpretations/<int:pk>/done/", api_actions.InterpretationDone.as_view(), name="interpretation-done"),
]
