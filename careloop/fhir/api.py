"""/api/v1/fhir/ — a FHIR R4 transaction Bundle in, a transaction-response Bundle out (thin)."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.fhir import bulk
from careloop.fhir.importing import fhir_bundle_import
from careloop.fhir.models import BulkExport


class FhirTransaction(APIView):
    @extend_schema(
        operation_id="fhir_transaction",
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
        description=("Import a FHIR R4 transaction Bundle of Patient, Encounter, Appointment, DiagnosticReport and "
                     "Observation resources: all or nothing, idempotent by identifier. Errors are keyed by element "
                     "path, e.g. `entry[3].resource.valueQuantity.unit`."),
        examples=[OpenApiExample("Patient", value={"resourceType": "Bundle", "type": "transaction", "entry": [
            {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "name": [{"text": "王芳"}],
                                                    "gender": "female", "birthDate": "1970-05-17"},
             "request": {"method": "POST", "url": "Patient"}}]}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        data: Any = request.data
        return Response(fhir_bundle_import(bundle=data, acting_user=request.user), status=status.HTTP_200_OK)  # type: ignore[arg-type]


class BulkExportKickoff(APIView):
    """$export kick-off, at /api/v1/fhir/bulk/ (documented) and /api/v1/fhir/$export (the FHIR name)."""

    @extend_schema(
        operation_id="fhir_bulk_export",
        parameters=[OpenApiParameter("_type", str, description="comma-separated resource types (default: all)")],
        request=None,
        responses={202: OpenApiTypes.OBJECT},
        description="FHIR Bulk Data kick-off: every client in your scope, as NDJSON per resource type. "
                    "Answers 202 with `Content-Location`, the status URL.",
    )
    def post(self, request: Request) -> Response:
        raw = request.query_params.get("_type", "")
        export = bulk.bulk_export_start(acting_user=request.user,  # type: ignore[arg-type]
                                        types=[t.strip() for t in raw.split(",") if t.strip()])
        url = request.build_absolute_uri(reverse("api:fhir-bulk-status", args=[export.pk]))
        # FHIR Bulk Data clients POST to $export; the same view also answers at /fhir/bulk/ (in the schema).
        return Response({"id": export.pk, "status": export.status}, status=status.HTTP_202_ACCEPTED,
                        headers={"Content-Location": url})


def _mine(request: Request, pk: int) -> BulkExport:
    return get_object_or_404(BulkExport, pk=pk, requested_by=request.user)


class BulkExportStatus(APIView):
    @extend_schema(operation_id="fhir_bulk_export_status", responses={200: OpenApiTypes.OBJECT, 202: OpenApiTypes.OBJECT})
    def get(self, request: Request, pk: int) -> Response:
        export = _mine(request, pk)
        if export.status in (BulkExport.Status.QUEUED, BulkExport.Status.RUNNING):
            return Response({"status": export.status}, status=status.HTTP_202_ACCEPTED,
                            headers={"X-Progress": export.status, "Retry-After": "10"})
        if export.status != BulkExport.Status.DONE:
            return Response({"status": export.status, "error": export.error}, status=status.HTTP_410_GONE
                            if export.status == BulkExport.Status.EXPIRED else status.HTTP_500_INTERNAL_SERVER_ERROR)
        return Response({
            "transactionTime": export.finished_at.isoformat() if export.finished_at else None,
            "request": request.build_absolute_uri(reverse("api:fhir-bulk-kickoff")),
            "requiresAccessToken": True,
            "expires": export.expires_at.isoformat() if export.expires_at else None,
            "output": [{"type": o["type"], "count": o["count"],
                        "url": request.build_absolute_uri(reverse("api:fhir-bulk-file", args=[export.pk, o["type"]]))}
                       for o in export.output],
            "error": [],
        })


class BulkExportFile(APIView):
    @extend_schema(operation_id="fhir_bulk_export_file", responses={(200, "application/fhir+ndjson"): OpenApiTypes.STR})
    def get(self, request: Request, pk: int, kind: str) -> FileResponse:
        export = _mine(request, pk)
        path = bulk.bulk_export_file(export=export, kind=kind, acting_user=request.user)  # type: ignore[arg-type]
        return FileResponse(open(path, "rb"), content_type="application/fhir+ndjson")


@extend_schema(exclude=True)
class BulkExportDollar(BulkExportKickoff):
    """The FHIR-conventional ``$export`` address of the kick-off (left out of the OpenAPI schema: a ``$``
    in a path is not a valid OpenAPI template for every tool)."""
