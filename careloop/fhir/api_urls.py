"""API routes of careloop.fhir, mounted under /api/v1/."""

from django.urls import path

from careloop.fhir import api

urlpatterns = [
    path("fhir/", api.FhirTransaction.as_view(), name="fhir-transaction"),
    path("fhir/bulk/", api.BulkExportKickoff.as_view(), name="fhir-bulk-kickoff"),
    path("fhir/$export", api.BulkExportDollar.as_view(), name="fhir-bulk-export"),
    path("fhir/bulk/<int:pk>/", api.BulkExportStatus.as_view(), name="fhir-bulk-status"),
    path("fhir/bulk/<int:pk>/<str:kind>.ndjson", api.BulkExportFile.as_view(), name="fhir-bulk-file"),
]
