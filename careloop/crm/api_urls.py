"""API routes of careloop.crm, mounted under /api/v1/."""

from django.urls import path

from careloop.crm import api

urlpatterns = [
    path("clients/<int:pk>/ledger/", api.LedgerView.as_view(), name="client-ledger"),
]
