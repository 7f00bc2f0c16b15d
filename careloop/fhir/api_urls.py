"""API routes of careloop.fhir, mounted under /api/v1/."""

from django.urls import path

from careloop.fhir import api

urlpatterns = [
    path("fhir/", api.FhirTransaction.as_view(), name="fhir-transaction"),
]
