"""API routes of careloop.checkups, mounted under /api/v1/."""

from django.urls import path

from careloop.checkups import api

urlpatterns = [
    path("checkups/", api.CheckupList.as_view(), name="checkup-list"),
    path("checkups/<int:pk>/", api.CheckupDetail.as_view(), name="checkup-detail"),
    path("checkup-imports/", api.ImportCreate.as_view(), name="checkup-import-create"),
    path("checkup-imports/<int:pk>/", api.ImportDetail.as_view(), name="checkup-import-detail"),
    path("group-bookings/", api.GroupBookingList.as_view(), name="group-booking-list"),
    path("group-bookings/<int:pk>/", api.GroupBookingDetail.as_view(), name="group-booking-detail"),
]
